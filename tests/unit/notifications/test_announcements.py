"""Announcements: planned by an operator for their show, recorded a batch of holders at a time
(resumable, nobody twice), sent like any other message, with their progress counted."""

from __future__ import annotations

import pytest

from lml.notifications.application.announcements import (
    list_announcements,
    plan_announcement,
    record_announcement_batch,
)
from lml.notifications.application.send_due_messages import Delivery, send_due_messages
from lml.notifications.application.testing import (
    FakeBookings,
    MemoryNotifications,
    RecordingEmailSender,
)
from lml.notifications.domain.errors import ShowNotFound
from lml.notifications.domain.message import MessageKind
from lml.platform.domain.errors import InvalidInput
from tests.fixtures.notifications import ORGANIZATION, a_show
from tests.timing import TestClock

HOLDERS = [f"holder-{n:02d}@example.com" for n in range(25)]


async def plan(world: MemoryNotifications, clock: TestClock, bookings: FakeBookings, show_id: str) -> str:
    announcement = await plan_announcement(
        world.unit_of_work(), clock, bookings, organization_id=ORGANIZATION, show_id=show_id,
        subject="Doors at 19:45", body="Tonight's doors open 15 minutes late.", created_by="user:op")
    return announcement.announcement_id


async def test_every_holder_gets_one_announcement_recorded_a_batch_at_a_time(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    show = a_show()
    bookings.shows[show.show_id] = show
    bookings.holders[show.show_id] = HOLDERS
    announcement_id = await plan(world, clock, bookings, show.show_id)

    batches = 0
    while await record_announcement_batch(world.unit_of_work(), clock, bookings, batch=10):
        batches += 1

    assert batches == 3
    messages = list(world.messages.values())
    assert sorted(m.recipient for m in messages) == HOLDERS
    assert {(m.kind, m.announcement_id, m.show_id) for m in messages} == {
        (MessageKind.ANNOUNCEMENT, announcement_id, show.show_id)}
    assert messages[0].data == {"subject": "Doors at 19:45", "body": "Tonight's doors open 15 minutes late."}
    [view] = await list_announcements(world.unit_of_work(org_id=ORGANIZATION), show_id=show.show_id)
    assert (view.planned, view.recipients, view.sent, view.failed, view.pending) == (True, 25, 0, 0, 25)


async def test_a_batch_recorded_again_after_a_crash_records_nobody_twice(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    show = a_show()
    bookings.shows[show.show_id] = show
    bookings.holders[show.show_id] = HOLDERS
    await plan(world, clock, bookings, show.show_id)
    await record_announcement_batch(world.unit_of_work(), clock, bookings, batch=10)
    [after_first] = world.announcements.values()
    await record_announcement_batch(world.unit_of_work(), clock, bookings, batch=10)
    # As if the second batch's messages were recorded but its cursor lost.
    world.announcements[after_first.announcement_id] = after_first

    while await record_announcement_batch(world.unit_of_work(), clock, bookings, batch=10):
        pass

    assert sorted(m.recipient for m in world.messages.values()) == HOLDERS


async def test_holders_whose_addresses_are_one_recipient_once_normalized_get_one_announcement(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    show = a_show()
    bookings.shows[show.show_id] = show
    bookings.holders[show.show_id] = [" ann@example.com", "ann@example.com", "bob@example.com"]
    await plan(world, clock, bookings, show.show_id)

    while await record_announcement_batch(world.unit_of_work(), clock, bookings, batch=10):
        pass

    assert sorted(m.recipient for m in world.messages.values()) == ["ann@example.com", "bob@example.com"]


async def test_progress_counts_sent_and_failed_messages(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings, email: RecordingEmailSender,
    delivery: Delivery,
) -> None:
    show = a_show()
    bookings.shows[show.show_id] = show
    bookings.holders[show.show_id] = HOLDERS[:4]
    await plan(world, clock, bookings, show.show_id)
    while await record_announcement_batch(world.unit_of_work(), clock, bookings):
        pass

    await send_due_messages(world.unit_of_work(), clock, delivery, batch=3)

    [view] = await list_announcements(world.unit_of_work(org_id=ORGANIZATION), show_id=show.show_id)
    assert (view.recipients, view.sent, view.failed, view.pending) == (4, 3, 0, 1)
    assert email.sent[0].content.subject == "announcement: Doors at 19:45"


async def test_a_show_without_holders_is_planned_with_no_recipient(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    show = a_show()
    bookings.shows[show.show_id] = show
    await plan(world, clock, bookings, show.show_id)

    assert await record_announcement_batch(world.unit_of_work(), clock, bookings)
    assert not await record_announcement_batch(world.unit_of_work(), clock, bookings)

    [view] = await list_announcements(world.unit_of_work(org_id=ORGANIZATION), show_id=show.show_id)
    assert (view.planned, view.recipients) == (True, 0)


async def test_an_announcement_for_another_organizations_show_or_a_bad_subject_is_refused(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    theirs = a_show(organization_id="7e0c1d0e-5b1f-4a43-9a7c-111111111111")
    bookings.shows[theirs.show_id] = theirs

    with pytest.raises(ShowNotFound):
        await plan(world, clock, bookings, theirs.show_id)
    with pytest.raises(InvalidInput):
        await plan_announcement(world.unit_of_work(), clock, bookings, organization_id=ORGANIZATION,
                                show_id=theirs.show_id, subject="", body="x", created_by="user:op")
    assert world.announcements == {}

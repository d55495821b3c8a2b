"""The reminder the day before a show: planned once per show when it comes within a day of starting,
then recorded for each holder of a valid ticket and sent like an announcement."""

from __future__ import annotations

from datetime import timedelta

from lml.notifications.application.announcements import (
    list_announcements,
    plan_show_reminders,
    record_announcement_batch,
)
from lml.notifications.application.testing import FakeBookings, MemoryNotifications
from lml.notifications.domain.message import MessageKind
from tests.fixtures.notifications import ORGANIZATION, a_show
from tests.timing import TestClock


async def test_a_show_is_reminded_of_once_when_it_comes_within_a_day_of_starting(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    tomorrow = a_show(starts_at=clock.now() + timedelta(hours=30))
    next_week = a_show(starts_at=clock.now() + timedelta(days=7))
    bookings.shows.update({tomorrow.show_id: tomorrow, next_week.show_id: next_week})

    assert await plan_show_reminders(world.unit_of_work(), clock, bookings) == 0
    clock.advance(hours=7)
    assert await plan_show_reminders(world.unit_of_work(), clock, bookings) == 1
    assert await plan_show_reminders(world.unit_of_work(), clock, bookings) == 0

    [reminder] = world.announcements.values()
    assert (reminder.kind, reminder.show_id, reminder.subject, reminder.body) == (
        MessageKind.SHOW_REMINDER, tomorrow.show_id, "", "")


async def test_each_holder_s_reminder_is_recorded_once_with_nothing_but_the_show(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    show = a_show(starts_at=clock.now() + timedelta(hours=20))
    bookings.shows[show.show_id] = show
    bookings.holders[show.show_id] = ["b@example.com", "a@example.com"]
    await plan_show_reminders(world.unit_of_work(), clock, bookings)

    while await record_announcement_batch(world.unit_of_work(), clock, bookings, batch=1):
        pass

    messages = sorted(world.messages.values(), key=lambda m: m.recipient)
    assert [(m.kind, m.recipient, m.show_id, m.data) for m in messages] == [
        (MessageKind.SHOW_REMINDER, "a@example.com", show.show_id, {}),
        (MessageKind.SHOW_REMINDER, "b@example.com", show.show_id, {})]
    [listed] = await list_announcements(world.unit_of_work(org_id=ORGANIZATION), show_id=show.show_id)
    assert (listed.kind, listed.planned, listed.recipients) == ("show_reminder", True, 2)

"""The in-memory fakes behave like the PostgreSQL adapters: one contract, run against both."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from psycopg.errors import UniqueViolation

from lml.notifications.application.ports import UnitOfWorkFactory
from lml.notifications.application.testing import MemoryNotifications
from lml.notifications.domain.announcement import (
    Announcement,
    AnnouncementProgress,
    new_announcement,
    new_show_reminder,
)
from lml.notifications.domain.message import Message, MessageKind, MessageStatus, new_message
from lml.notifications.domain.recipient import Channel
from lml.notifications.domain.recipient_limit import RecentMessage
from lml.notifications.domain.retry import RetryPolicy
from lml.notifications.infrastructure.unit_of_work import unit_of_work_factory
from lml.platform.ids import new_id

ORG = "2ba9629f-9948-5afc-897a-b107253b2606"
OTHER_ORG = "7e0c1d0e-5b1f-4a43-9a7c-111111111111"
SHOW = "0190f5d2-7c1a-7e4b-8000-000000000001"
# Whole microseconds: PostgreSQL keeps no finer time.
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

# (organization or None) → a unit of work factory acting as it.
Stores = Callable[[str | None], UnitOfWorkFactory]


@pytest.fixture(params=["memory", "postgresql"])
def stores(request: pytest.FixtureRequest) -> Stores:
    if request.param == "memory":
        world = MemoryNotifications()
        return lambda org: world.unit_of_work(org_id=org)
    db = request.getfixturevalue("resources").db
    return lambda org: unit_of_work_factory(db, org_id=org)


def confirmation(order_id: str | None = None, *, at: datetime = T0, recipient: str = "buyer@example.com",
                 org: str = ORG) -> Message:
    return new_message(message_id=new_id(), kind=MessageKind.ORDER_CONFIRMATION, channel=Channel.EMAIL,
                       recipient=recipient, event_key=new_id(), at=at, organization_id=org,
                       order_id=order_id or new_id(), show_id=SHOW, data={"note": ["any", 1]})


def reset(at: datetime = T0) -> Message:
    return new_message(message_id=new_id(), kind=MessageKind.PASSWORD_RESET, channel=Channel.EMAIL,
                       recipient="buyer@example.com", event_key=new_id(), at=at, secret="one-time-token")


def announcement(at: datetime = T0, org: str = ORG) -> Announcement:
    return new_announcement(announcement_id=new_id(), organization_id=org, show_id=SHOW, subject="Doors late",
                            body="Doors at 20:00", created_by="user:op", at=at)


async def add(stores: Stores, *messages: Message) -> None:
    async with stores(None)() as tx:
        for message in messages:
            await tx.messages.add(message)
        await tx.commit()


async def test_a_message_reads_back_as_it_was_added_and_only_committed_work_stays(stores: Stores) -> None:
    sms = new_message(message_id=new_id(), kind=MessageKind.ORDER_CONFIRMATION, channel=Channel.SMS,
                      recipient="+14155550123", event_key="e", at=T0, organization_id=ORG, order_id=new_id(),
                      show_id=SHOW)
    message, token_mail = confirmation(), reset()
    async with stores(None)() as tx:
        await tx.messages.add(message)
    async with stores(None)() as tx:
        assert await tx.messages.find(message.dedupe_key) is None
    await add(stores, message, token_mail, sms)

    async with stores(None)() as tx:
        assert await tx.messages.find(message.dedupe_key) == message
        assert await tx.messages.find(token_mail.dedupe_key) == token_mail
        assert await tx.messages.find(sms.dedupe_key) == sms


async def test_a_message_added_is_seen_from_the_commit_on_and_a_key_added_twice_fails_the_transaction(
    stores: Stores,
) -> None:
    message = confirmation()
    async with stores(None)() as tx:
        await tx.messages.add(message)
        assert await tx.messages.find(message.dedupe_key) is None
        assert await tx.messages.locked_recipient(message.recipient, dedupe_key=message.dedupe_key,
                                                  since=T0 - timedelta(days=1)) == (None, [])
        await tx.commit()
    async with stores(None)() as tx:
        assert await tx.messages.find(message.dedupe_key) == message

    twin = confirmation()
    with pytest.raises((ValueError, UniqueViolation)):
        async with stores(None)() as tx:
            await tx.messages.add(twin)
            await tx.messages.add(msgspec.structs.replace(twin, message_id=new_id()))
            await tx.commit()
    async with stores(None)() as tx:
        assert await tx.messages.find(twin.dedupe_key) is None


async def test_a_locked_recipient_shows_the_message_of_a_key_and_those_recorded_after_the_moment_given(
    stores: Stores,
) -> None:
    old, newer, other = confirmation(at=T0), reset(at=T0 + timedelta(minutes=30)), confirmation(recipient="x@y.io")
    await add(stores, old, newer, other)

    async with stores(None)() as tx:
        assert await tx.messages.locked_recipient("buyer@example.com", dedupe_key=old.dedupe_key, since=T0) == (old, [
            RecentMessage(kind=MessageKind.PASSWORD_RESET, order_id=None, created_at=newer.created_at)])
        found, recent = await tx.messages.locked_recipient("buyer@example.com", dedupe_key="no such key",
                                                            since=T0 - timedelta(seconds=1))
        assert found is None and len(recent) == 2


async def test_claims_take_due_messages_longest_due_first_and_lease_them(stores: Stores) -> None:
    first, second, later = confirmation(at=T0), confirmation(at=T0 + timedelta(minutes=1)), confirmation(
        at=T0 + timedelta(hours=2))
    sent = confirmation(at=T0).sent("<x@lml>", T0)
    await add(stores, later, second, first, sent)
    now, lease = T0 + timedelta(minutes=5), T0 + timedelta(minutes=10)

    async with stores(None)() as tx:
        claimed = await tx.messages.claim_due(now, lease, limit=1)
        await tx.commit()
    assert [m.message_id for m in claimed] == [first.message_id]
    assert claimed[0].next_attempt_at == lease

    async with stores(None)() as tx:
        claimed = await tx.messages.claim_due(now, lease, limit=10)
        await tx.commit()
    assert [m.message_id for m in claimed] == [second.message_id]
    async with stores(None)() as tx:
        assert await tx.messages.claim_due(now, lease, limit=10) == []
        # The lease ran out (the sender died): both are due again.
        again = await tx.messages.claim_due(lease, lease + timedelta(minutes=5), limit=10)
    assert sorted(m.message_id for m in again) == sorted([first.message_id, second.message_id])


async def test_a_claimed_message_is_skipped_by_a_concurrent_claim(stores: Stores) -> None:
    messages = [confirmation() for _ in range(4)]
    await add(stores, *messages)
    now, lease = T0 + timedelta(minutes=5), T0 + timedelta(minutes=10)

    async with stores(None)() as first:
        mine = await first.messages.claim_due(now, lease, limit=2)
        async with stores(None)() as second:
            theirs = await second.messages.claim_due(now, lease, limit=10)
            await second.commit()
        await first.commit()

    assert len(mine) == 2 and len(theirs) == 2
    assert {m.message_id for m in mine}.isdisjoint(m.message_id for m in theirs)


async def test_an_outcome_is_recorded_only_by_the_holder_of_the_lease(stores: Stores) -> None:
    message = reset()
    await add(stores, message)
    now, lease = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    async with stores(None)() as tx:
        [claimed] = await tx.messages.claim_due(now, lease, limit=1)
        await tx.commit()
    failed = claimed.failed("421 busy", now, RetryPolicy(), lambda low, high: low)

    async with stores(None)() as tx:
        assert not await tx.messages.record(failed, lease=now)
        assert await tx.messages.record(failed, lease=lease)
        await tx.commit()
    async with stores(None)() as tx:
        assert await tx.messages.find(message.dedupe_key) == failed
        # Recorded already: the same lease no longer matches.
        assert not await tx.messages.record(failed.sent("<x>", now), lease=lease)

    async with stores(None)() as tx:
        [again] = await tx.messages.claim_due(failed.next_attempt_at, lease + timedelta(hours=1), limit=1)
        sent = again.sent("<m@lml>", now)
        assert await tx.messages.record(sent, lease=again.next_attempt_at)
        await tx.commit()
    async with stores(None)() as tx:
        stored = await tx.messages.find(message.dedupe_key)
    assert stored == sent
    assert stored is not None and (stored.status, stored.secret, stored.attempts) == (MessageStatus.SENT, None, 2)


async def test_an_orders_messages_and_an_announcements_progress(stores: Stores) -> None:
    order_id = new_id()
    first, second = confirmation(order_id, at=T0), confirmation(order_id, at=T0 + timedelta(seconds=1))
    planned = announcement()
    async with stores(None)() as tx:
        await tx.announcements.add(planned)
        await tx.commit()
    notes = [
        new_message(message_id=new_id(), kind=MessageKind.ANNOUNCEMENT, channel=Channel.EMAIL,
                    recipient=f"h{n}@example.com", event_key=planned.announcement_id, at=T0, organization_id=ORG,
                    show_id=SHOW, announcement_id=planned.announcement_id, data={"subject": "s", "body": "b"})
        for n in range(4)
    ]
    notes[0] = notes[0].sent("<a@lml>", T0)
    notes[1] = notes[1].suppressed("limit", T0)
    await add(stores, second, first, *notes)

    async with stores(None)() as tx:
        assert [m.message_id for m in await tx.messages.of_order(order_id)] == [first.message_id, second.message_id]
        assert await tx.messages.progress([planned.announcement_id, new_id()]) == {
            planned.announcement_id: AnnouncementProgress(recipients=4, sent=1, failed=1, pending=2)}


async def test_announcements_are_listed_newest_first_and_claimed_oldest_first_one_holder_at_a_time(
    stores: Stores,
) -> None:
    older, newer = announcement(at=T0), announcement(at=T0 + timedelta(minutes=1))
    async with stores(None)() as tx:
        await tx.announcements.add(newer)
        await tx.announcements.add(older)
        await tx.commit()

    async with stores(None)() as first:
        claimed = await first.announcements.claim_unplanned()
        async with stores(None)() as second:
            assert await second.announcements.claim_unplanned() == newer
        assert claimed == older
        await first.announcements.save(older.advanced("m@example.com").completed(T0))
        await first.commit()

    async with stores(None)() as tx:
        assert await tx.announcements.of_show(SHOW) == [newer, older.advanced("m@example.com").completed(T0)]
        assert await tx.announcements.claim_unplanned() == newer


async def test_a_show_has_one_reminder_however_many_are_added_and_any_number_of_announcements(
    stores: Stores,
) -> None:
    first, second = (new_show_reminder(announcement_id=new_id(), organization_id=ORG, show_id=SHOW, at=T0)
                     for _ in range(2))
    async with stores(None)() as tx:
        assert [await tx.announcements.add(a) for a in (first, announcement(), announcement())] == [True] * 3
        await tx.commit()
    async with stores(None)() as tx:
        assert await tx.announcements.add(second) is False
        await tx.commit()

    async with stores(None)() as tx:
        reminders = [a for a in await tx.announcements.of_show(SHOW) if a.kind is MessageKind.SHOW_REMINDER]
    assert reminders == [first]


async def test_an_operator_sees_only_their_organizations_messages_and_announcements_and_no_account_mail(
    stores: Stores,
) -> None:
    order_id = new_id()
    ours, theirs, token_mail = confirmation(order_id), confirmation(order_id, org=OTHER_ORG), reset()
    await add(stores, ours, theirs, token_mail)
    async with stores(None)() as tx:
        await tx.announcements.add(announcement(org=OTHER_ORG))
        await tx.commit()

    async with stores(ORG)() as tx:
        assert [m.message_id for m in await tx.messages.of_order(order_id)] == [ours.message_id]
        assert await tx.messages.find(token_mail.dedupe_key) is None
        assert await tx.announcements.of_show(SHOW) == []


async def test_recording_waits_for_another_transaction_holding_the_same_recipient(
    stores: Stores,
) -> None:
    order: list[str] = []
    locked, release = asyncio.Event(), asyncio.Event()
    recorded = confirmation(recipient="a@example.com")
    seen: dict[str, tuple[Message | None, int]] = {}

    async def hold(name: str, recipient: str, *, until: asyncio.Event | None = None) -> None:
        async with stores(None)() as tx:
            found, recent = await tx.messages.locked_recipient(recipient, dedupe_key=recorded.dedupe_key,
                                                               since=T0 - timedelta(days=1))
            seen[name] = (found, len(recent))
            order.append(f"{name} locked")
            if until is not None:
                locked.set()
                await until.wait()
                await tx.messages.add(recorded)
            order.append(f"{name} done")
            await tx.commit()  # which lets the next holder of the recipient in

    first = asyncio.create_task(hold("first", "a@example.com", until=release))
    await locked.wait()
    # Started before `other`, which goes through while `first` still holds its recipient.
    same = asyncio.create_task(hold("same", "a@example.com"))
    await hold("other", "b@example.com")
    release.set()
    await asyncio.gather(first, same)

    assert order.index("other done") < order.index("first done") < order.index("same locked")
    # What the first recorded while it held the recipient is what the next one to hold it reads.
    assert seen == {"first": (None, 0), "other": (None, 0), "same": (recorded, 1)}


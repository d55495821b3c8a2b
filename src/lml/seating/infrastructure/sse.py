"""Availability changes as Server-Sent Events, fed by Redis pub/sub so that a change made through
any API process reaches the streams of every process.

One pub/sub connection per process (a pattern subscription to every show's channel) fans messages
out to the streams open in this process; it starts with the first stream and stops with the last,
so no task outlives the streams. A stream:
  1. subscribes first (so nothing published from then on is missed),
  2. resumes after `Last-Event-ID` from the show's change log when the log still has that entry,
     else sends a fresh `snapshot` event,
  3. then relays live `change` events, skipping what the snapshot or the log already covered,
     with a comment line as heartbeat while nothing happens.
A stream that falls too far behind, or a rebuilt show (after a Redis flush), gets a new snapshot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import msgspec
import redis.asyncio as aioredis
from litestar.response import ServerSentEventMessage

from lml.platform.logging import get_logger
from lml.seating.domain.availability import Availability, AvailabilityChange
from lml.seating.infrastructure.metrics import STREAMS_OPEN
from lml.seating.infrastructure.redis_holds import RedisHoldStore, changes_pattern, parse_change, show_of_channel

log = get_logger("lml.seating.sse")

QUEUE_SIZE = 1_000


class _Signal:
    def __init__(self, name: str) -> None:
        self.name = name


# The stream lost messages (it fell behind): it starts over from a snapshot.
RESYNC = _Signal("resync")
# The process lost its feed: the stream ends, and the client reconnects (EventSource does so by
# itself, with Last-Event-ID), which starts a new feed.
CLOSED = _Signal("closed")
Item = AvailabilityChange | _Signal


class Subscription:
    def __init__(self, hub: AvailabilityHub, show_id: str) -> None:
        self.hub = hub
        self.show_id = show_id
        self.queue: asyncio.Queue[Item] = asyncio.Queue(QUEUE_SIZE)

    def offer(self, item: Item) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            # Too slow a reader: drop what it has not read and make it start over from a snapshot.
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)

    def close(self) -> None:
        """Synchronous on purpose: it runs while the stream is being cancelled."""
        self.hub._remove(self)


class AvailabilityHub:
    def __init__(self, client: aioredis.Redis, key_prefix: str) -> None:
        self._redis = client
        self._pattern = changes_pattern(key_prefix)
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    @property
    def streams(self) -> int:
        return sum(len(s) for s in self._subscriptions.values())

    @property
    def running(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def subscribe(self, show_id: str) -> Subscription:
        """Returns once the process's pub/sub subscription is confirmed by Redis."""
        subscription = Subscription(self, show_id)
        self._subscriptions.setdefault(show_id, set()).add(subscription)
        try:
            async with self._starting:
                if not self.running:
                    self._reader = await self._start()
        except BaseException:
            subscription.close()
            raise
        return subscription

    async def _start(self) -> asyncio.Task[None]:
        pubsub = self._redis.pubsub()
        try:
            await pubsub.psubscribe(self._pattern)
            async with asyncio.timeout(5):
                while (await pubsub.get_message(timeout=1)) is None:
                    pass  # the psubscribe confirmation: from here on, every change reaches us
        except BaseException:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            raise
        return asyncio.create_task(self._read(pubsub), name="seating-availability-hub")

    async def _read(self, pubsub: aioredis.client.PubSub) -> None:
        try:
            async for message in pubsub.listen():
                if message["type"] != "pmessage":
                    continue
                subscribers = self._subscriptions.get(show_of_channel(message["channel"].decode()))
                if not subscribers:
                    continue
                entry_id, _, body = message["data"].partition(b" ")
                try:
                    change = parse_change(entry_id.decode(), body)
                except msgspec.DecodeError:
                    log.warning("availability_message_unreadable")
                    continue
                for subscription in list(subscribers):
                    subscription.offer(change)
        except (aioredis.RedisError, OSError) as exc:
            log.warning("availability_feed_lost", error=type(exc).__name__)
            for subscribers in self._subscriptions.values():
                for subscription in subscribers:
                    subscription.offer(CLOSED)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _remove(self, subscription: Subscription) -> None:
        subscribers = self._subscriptions.get(subscription.show_id)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscriptions[subscription.show_id]
        if not self._subscriptions and self._reader is not None:
            self._reader.cancel()  # its own `finally` closes the connection
            self._reader = None


def _after(entry_id: str, last_id: str) -> bool:
    """Stream ids `ms-seq` compared as numbers."""
    ms, _, seq = entry_id.partition("-")
    last_ms, _, last_seq = last_id.partition("-")
    return (int(ms), int(seq or 0)) > (int(last_ms), int(last_seq or 0))


def _change_event(change: AvailabilityChange) -> ServerSentEventMessage:
    body = {"version": change.version, "seats": change.seats, "zones": change.zones}
    return ServerSentEventMessage(data=msgspec.json.encode(body).decode(), event="change", id=change.id)


def snapshot_event(availability: Availability) -> ServerSentEventMessage:
    body = msgspec.json.encode(availability).decode()
    return ServerSentEventMessage(data=body, event="snapshot", id=availability.last_change_id)


async def availability_events(
    hub: AvailabilityHub,
    store: RedisHoldStore,
    show_id: str,
    snapshot: Callable[[], Awaitable[Availability]],
    last_event_id: str | None,
    *,
    heartbeat_seconds: float,
) -> AsyncIterator[ServerSentEventMessage]:
    subscription = await hub.subscribe(show_id)
    STREAMS_OPEN.inc()
    try:
        last_id = "0-0"
        resumed = await store.changes_after(show_id, last_event_id) if last_event_id else None
        if resumed is None:
            current = await snapshot()
            last_id = current.last_change_id
            yield snapshot_event(current)
        else:
            last_id = last_event_id or last_id
            for change in resumed:
                last_id = change.id
                yield _change_event(change)
        while True:
            try:
                item: Item | None = await asyncio.wait_for(subscription.queue.get(), heartbeat_seconds)
            except TimeoutError:
                item = None
            if item is None:
                yield ServerSentEventMessage(comment="heartbeat")
            elif item is CLOSED:
                return
            elif item is RESYNC:
                current = await snapshot()
                last_id = current.last_change_id
                yield snapshot_event(current)
            elif isinstance(item, AvailabilityChange) and _after(item.id, last_id):
                if item.reset:  # the show was rebuilt (after a Redis flush): start over
                    current = await snapshot()
                    last_id = current.last_change_id
                    yield snapshot_event(current)
                else:
                    last_id = item.id
                    yield _change_event(item)
    finally:
        STREAMS_OPEN.dec()
        subscription.close()

"""Availability changes as Server-Sent Events, fed by Redis sharded pub/sub so that a change made
through any API process reaches the streams of every process.

The hold scripts SPUBLISH each change on the show's shard channel, which carries the show's hash
tag: in a Redis Cluster it lives on the node of the show's keys. A process subscribes (SSUBSCRIBE)
to the channel of each show it has streams of, with the first such stream, and unsubscribes with the
last; one pub/sub connection per node (one with a single Redis) carries its shows' channels, read by
one task, and fans messages out to the streams open in this process. Connections and tasks stop with
the last stream, so none outlives the streams. A stream:
  1. subscribes first (so nothing published from then on is missed),
  2. resumes after `Last-Event-ID` from the show's change log when the log still has that entry,
     else sends a fresh `snapshot` event,
  3. then relays live `change` events, skipping what the snapshot or the log already covered,
     with a comment line as heartbeat while nothing happens.
A stream that falls too far behind, or a rebuilt show (after a Redis flush), gets a new snapshot; a
stream whose feed is lost (its node went away, its slot moved) ends, and the client reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import msgspec
import redis.asyncio as aioredis
from litestar.response import ServerSentEventMessage
from redis.exceptions import RedisClusterException

from lml.platform.logging import get_logger
from lml.platform.redis import RedisClient, ShardSubscriber, shard_of
from lml.seating.domain.availability import Availability, AvailabilityChange
from lml.seating.infrastructure.metrics import STREAMS_OPEN
from lml.seating.infrastructure.redis_holds import RedisHoldStore, changes_channel, parse_change, show_of_channel

log = get_logger("lml.seating.sse")

QUEUE_SIZE = 1_000
_SHARD_MESSAGES = ("ssubscribe", "sunsubscribe", "smessage")
SUBSCRIBE_SECONDS = 5

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


class _Shard:
    """One pub/sub connection (a Cluster node's, or the one Redis's): the shows whose channels it is
    subscribed to, each with Redis' confirmation, and the task that reads it."""

    def __init__(self, name: str, subscriber: ShardSubscriber) -> None:
        self.name = name
        self.subscriber = subscriber
        self.confirmed: dict[str, asyncio.Future[None]] = {}  # show id -> SSUBSCRIBE confirmed
        self.leaving: Counter[str] = Counter()  # our SUNSUBSCRIBEs not confirmed yet, per show
        self.reader: asyncio.Task[None] | None = None


class AvailabilityHub:
    def __init__(self, client: RedisClient, key_prefix: str) -> None:
        self._redis = client
        self._prefix = key_prefix
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._shards: dict[str, _Shard] = {}  # node name -> its connection
        self._shard_of_show: dict[str, _Shard] = {}
        # Subscribing and unsubscribing, one at a time: the commands reach each connection in order.
        self._changing = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()

    @property
    def streams(self) -> int:
        return sum(len(s) for s in self._subscriptions.values())

    @property
    def running(self) -> bool:
        return any(shard.reader is not None and not shard.reader.done() for shard in self._shards.values())

    async def subscribe(self, show_id: str) -> Subscription:
        """Returns once Redis confirmed the subscription to the show's channel."""
        subscription = Subscription(self, show_id)
        self._subscriptions.setdefault(show_id, set()).add(subscription)
        try:
            confirmed = await self._listen(show_id)
            async with asyncio.timeout(SUBSCRIBE_SECONDS):
                await asyncio.shield(confirmed)
        except BaseException:
            subscription.close()
            raise
        return subscription

    async def _listen(self, show_id: str) -> asyncio.Future[None]:
        """The show's channel subscribed on its node's connection, once for all its streams."""
        async with self._changing:
            shard = self._shard_of_show.get(show_id)
            if shard is not None:
                return shard.confirmed[show_id]
            channel = changes_channel(self._prefix, show_id)
            node = await shard_of(self._redis, channel)
            name = node.name if node is not None else ""
            shard = self._shards.get(name)
            if shard is None:
                shard = self._shards[name] = _Shard(name, ShardSubscriber(self._redis, node))
            confirmed = shard.confirmed[show_id] = asyncio.get_running_loop().create_future()
            self._shard_of_show[show_id] = shard
            await shard.subscriber.pubsub.ssubscribe(channel)
            if shard.reader is None:
                shard.reader = asyncio.create_task(self._read(shard), name="seating-availability-hub")
            return confirmed

    async def _unlisten(self, show_id: str) -> None:
        async with self._changing:
            shard = self._shard_of_show.get(show_id)
            if show_id in self._subscriptions or shard is None:
                return  # a stream of the show came back meanwhile, or the connection is gone
            del self._shard_of_show[show_id]
            del shard.confirmed[show_id]
            if not shard.confirmed:
                self._stop(shard)
                return
            shard.leaving[show_id] += 1
            # A failed connection is its reader's to handle: it ends the streams and closes it.
            with contextlib.suppress(aioredis.RedisError, RedisClusterException, OSError):
                await shard.subscriber.pubsub.sunsubscribe(changes_channel(self._prefix, show_id))

    def _forget(self, shard: _Shard) -> None:
        if self._shards.get(shard.name) is shard:
            del self._shards[shard.name]
        for show_id in shard.confirmed:
            if self._shard_of_show.get(show_id) is shard:
                del self._shard_of_show[show_id]

    def _stop(self, shard: _Shard) -> None:
        """Forget the connection; its reader closes it (at once when there is none)."""
        self._forget(shard)
        if shard.reader is None:
            self._in_background(shard.subscriber.aclose())
        else:
            shard.reader.cancel()  # its own `finally` closes the connection

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)  # kept: the loop holds its tasks weakly
        task.add_done_callback(self._background.discard)

    async def _read(self, shard: _Shard) -> None:
        try:
            async for message in shard.subscriber.pubsub.listen():
                kind = message["type"]
                if kind not in _SHARD_MESSAGES:
                    continue  # a PONG: no channel
                show_id = show_of_channel(message["channel"].decode())
                if kind == "ssubscribe":
                    confirmed = shard.confirmed.get(show_id)
                    if confirmed is not None and not confirmed.done():
                        confirmed.set_result(None)
                elif kind == "sunsubscribe":
                    if shard.leaving[show_id] > 0:
                        shard.leaving[show_id] -= 1
                    elif self._shard_of_show.get(show_id) is shard:
                        # Redis dropped the subscription (the show's slot moved to another node): the
                        # show's streams end, and their clients' reconnections subscribe afresh.
                        del self._shard_of_show[show_id]
                        shard.confirmed.pop(show_id, None)
                        self._offer(show_id, CLOSED)
                elif kind == "smessage":
                    self._deliver(show_id, message["data"])
        except (aioredis.RedisError, RedisClusterException, OSError) as exc:
            log.warning("availability_feed_lost", error=type(exc).__name__)
            for show_id, confirmed in shard.confirmed.items():
                if not confirmed.done():
                    confirmed.set_exception(aioredis.ConnectionError("the availability feed was lost"))
                    confirmed.exception()  # retrieved: a stream that gave up waiting would leave it unread
                self._offer(show_id, CLOSED)
        finally:
            self._forget(shard)
            await shard.subscriber.aclose()

    def _deliver(self, show_id: str, data: bytes) -> None:
        if not self._subscriptions.get(show_id):
            return
        entry_id, _, body = data.partition(b" ")
        try:
            change = parse_change(entry_id.decode(), body)
        except msgspec.DecodeError:
            log.warning("availability_message_unreadable")
            return
        self._offer(show_id, change)

    def _offer(self, show_id: str, item: Item) -> None:
        for subscription in list(self._subscriptions.get(show_id, ())):
            subscription.offer(item)

    def _remove(self, subscription: Subscription) -> None:
        subscribers = self._subscriptions.get(subscription.show_id)
        if subscribers is None:
            return
        subscribers.discard(subscription)
        if subscribers:
            return
        del self._subscriptions[subscription.show_id]
        if not self._subscriptions:
            for shard in list(self._shards.values()):
                self._stop(shard)
            return
        self._in_background(self._unlisten(subscription.show_id))


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

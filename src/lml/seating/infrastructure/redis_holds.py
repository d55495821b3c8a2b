"""HoldStore on Redis: one Lua script per decision over one show's keys (see lua/show_state.lua
for the structure), each a function of one library of Redis functions (Redis >= 7.0) whose top defines
the code they share once, when it is loaded: the library is loaded on first use, and again when Redis
has lost it (a restart, a flush)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import Any, cast

import msgspec
import redis.asyncio as aioredis

from lml.platform.domain.rate_budget import RateBill, RateBucket
from lml.platform.rate_limit import bills_args, bucket_args
from lml.platform.redis import (
    FunctionLibrary,
    LibraryFunction,
    LibrarySource,
    PackedKey,
    RedisClient,
    library_source,
    lua_source,
)
from lml.platform.redis_batch import ScriptBatcher
from lml.seating.domain.availability import (
    CODE_OF_STATUS,
    Availability,
    AvailabilityChange,
    BuyerRow,
    InventoryState,
    SeatRow,
    ZoneAvailability,
    ZoneRow,
    seat_order,
)
from lml.seating.domain.hold import (
    Hold,
    HoldChangeRefused,
    Holder,
    HoldExtended,
    HoldPlaced,
    HoldRefused,
    HoldRequest,
    HoldTerms,
    InventoryNotLoaded,
    PlaceOutcome,
    RateLimited,
)
from lml.seating.domain.seat_quality import PlacedSeat, ShowRow
from lml.seating.infrastructure.metrics import SHOWS_LOADED, count_hold
from lml.seating.infrastructure.shared_snapshots import SharedSnapshots

_KEYS = ("inv", "idx", "holder", "holds", "expiry", "zones", "buyers", "status", "version", "log", "loaded",
         "ordered", "addresses", "closed", "places", "rows", "rowstate", "rowseats", "ranked", "labels", "runs",
         "free", "longest", "rowranks")
# A field every hash of a loaded show but `zones` holds, which names nothing of the show: it keeps the hash
# a hash table (lua/show_state.lua: TABLE_FIELD). Whoever reads a whole hash leaves it out.
TABLE_FIELD = b"#table"
# The hold scripts answer with JSON text, [rate, reply]:
# one bulk string is read in one go, where nested arrays cost redis-py a read per item. `rate` is the
# bucket script's answer, `{}` when no budget was spent (cjson writes an empty table so).
_RATED = msgspec.json.Decoder(tuple[list[int] | dict[str, int], list[str | int]])
# Seats (or buyers) per call when a show is rebuilt: each call stays short, so Redis keeps serving
# other shows.
LOAD_CHUNK = 5_000


class _Record(msgspec.Struct, frozen=True):
    o: str
    t: str
    s: str
    z: dict[str, int] | list[Any]  # Lua's cjson writes an empty table as `{}`; never a list in practice
    n: int
    c: int
    m: int
    # Holds placed before holds carried these were counted by owner only (see drop_hold).
    b: str = ""
    a: str = ""


class _Change(msgspec.Struct, frozen=True):
    v: str
    seats: dict[str, str] | list[Any]
    zones: dict[str, int] | list[Any]
    reset: bool = False


class ShowKeys:
    """The keys of one show; `{show_id}` is the hash tag, so they share one Cluster slot. Encoded and
    packed once: every script call sends them all."""

    def __init__(self, prefix: str, show_id: str) -> None:
        self.keys = [PackedKey(f"{prefix}:seating:{name}:{{{show_id}}}".encode()) for name in _KEYS]
        self.channel = changes_channel(prefix, show_id)
        self.log = self.keys[_KEYS.index("log")]
        self.expiry = self.keys[_KEYS.index("expiry")]
        self.ordered = self.keys[_KEYS.index("ordered")]


def changes_channel(prefix: str, show_id: str) -> str:
    """The show's shard channel of availability changes (sharded pub/sub, in the show's slot)."""
    return f"{prefix}:seating:changes:{{{show_id}}}"


def show_of_channel(channel: str) -> str:
    return channel[channel.index("{") + 1 : channel.rindex("}")]


def parse_change(entry_id: str, body: bytes | str) -> AvailabilityChange:
    change = msgspec.json.decode(body, type=_Change)
    return AvailabilityChange(
        id=entry_id,
        version=change.v,
        seats=change.seats if isinstance(change.seats, dict) else {},
        zones=change.zones if isinstance(change.zones, dict) else {},
        reset=change.reset,
    )


# The scripts (lua/<name>.lua), each a function of the library; those that place a hold run holding.lua's
# part of the library too.
_SCRIPTS = ("place_hold", "best_available", "change_hold", "read_hold", "apply_inventory", "load_inventory",
            "snapshot", "purge", "close_show")
_HOLDING = ("place_hold", "best_available")


@cache
def seating_library() -> LibrarySource:
    """The library: the platform's bucket functions (a hold or snapshot spends a request's rate budgets
    with its own work), then show_state.lua and holding.lua, then each script in a function that binds
    the call's values of their locals first."""
    shared = lua_source("lml.platform", "buckets.lua") + lua_source("lml.seating.infrastructure", "show_state.lua",
                                                                     "holding.lua")
    return library_source("lml_seating", shared, {
        name: ("bind_call()\nbind_hold()\n" if name in _HOLDING else "bind_call()\n")
        + lua_source("lml.seating.infrastructure", f"{name}.lua")
        for name in _SCRIPTS
    })


def _flag(on: bool) -> str:
    return "1" if on else "0"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisHoldStore:
    def __init__(self, client: RedisClient, key_prefix: str, *, now_ms: Callable[[], int] | None = None) -> None:
        """`now_ms` drives the scripts' clock (tests); None uses the Redis server's clock, the one
        every API process agrees on."""
        self._redis = client
        self._prefix = key_prefix
        self._now_ms = now_ms
        self._batcher = ScriptBatcher(client)
        library = FunctionLibrary(client, seating_library())
        self._place = library.function("place_hold")
        self._best = library.function("best_available")
        self._change = library.function("change_hold")
        self._read = library.function("read_hold")
        self._apply = library.function("apply_inventory")
        self._loader = library.function("load_inventory")
        self._snapshot = library.function("snapshot")
        self._snapshots = SharedSnapshots(self._snapshot_for)
        self._purge = library.function("purge")
        self._close = library.function("close_show")
        self.show_keys = lru_cache(maxsize=4096)(self._show_keys)
        self.active_shows_key = f"{key_prefix}:seating:active-shows"

    def _show_keys(self, show_id: str) -> ShowKeys:
        return ShowKeys(self._prefix, show_id)

    async def _run(
        self, script: LibraryFunction, show_id: str, args: Sequence[Any], more_keys: Sequence[str] = ()
    ) -> Any:
        keys = self.show_keys(show_id)
        now = "" if self._now_ms is None else str(self._now_ms())
        return await self._batcher.run(script, [*keys.keys, *more_keys] if more_keys else keys.keys,
                                       [now, keys.channel, *args])

    async def _snapshot_for(self, show_id: str, known_version: str, readers: list[Sequence[RateBucket]]) -> bytes:
        budgets, keys = bills_args(readers)
        return cast(bytes, await self._run(self._snapshot, show_id, [known_version, *budgets], keys))

    async def place(
        self, show_id: str, hold_id: str, holder: Holder, token_hash: str, request: HoldRequest, terms: HoldTerms,
        bill: RateBill | None = None,
    ) -> PlaceOutcome:
        """The bill's buckets carry the show's hash tag: the hold script spends them in its own step."""
        outcome = await self._place_once(show_id, hold_id, holder, token_hash, request, terms, bill)
        count_hold(outcome)
        return outcome

    async def _place_once(
        self, show_id: str, hold_id: str, holder: Holder, token_hash: str, request: HoldRequest, terms: HoldTerms,
        bill: RateBill | None,
    ) -> PlaceOutcome:
        args: list[Any] = [hold_id, holder.owner, holder.limit_key, holder.address, token_hash, terms.hold_ms,
                           terms.cap_ms, terms.max_per_buyer, terms.max_per_address]
        best = request.best
        unpaid = bill if bill is not None and bill.decision is None else None
        buckets = unpaid.buckets if unpaid is not None else ()
        if best is None:
            args += [_flag(terms.avoid_single_explicit), len(buckets), *bucket_args(buckets), len(request.seat_ids),
                     *request.seat_ids]
            script = self._place
        else:
            args += [_flag(terms.avoid_single_best), len(buckets), *bucket_args(buckets), best.quantity,
                     _flag(best.together), best.tier_id or "", len(best.sections), *best.sections]
            script = self._best
        for zone_id, qty in request.zones:
            args += [zone_id, qty]
        rate, reply = _rated(await self._run(script, show_id, args, [b.key for b in buckets]))
        if unpaid is not None and rate:  # none spent on a show not loaded
            unpaid.settle(rate)
        outcome = _outcome(reply)
        if isinstance(outcome, HoldPlaced) and int(reply[3]) == 1:
            # The show's first live hold: the worker's sweep publishes its expiry (see actors.py).
            await self._redis.sadd(self.active_shows_key, show_id)
        return outcome

    async def extend(
        self, show_id: str, hold_id: str, owner: str, token_hash: str, hold_ms: int
    ) -> HoldExtended | HoldChangeRefused:
        reply = await self._run(self._change, show_id, ["extend", hold_id, owner, token_hash, hold_ms])
        if reply[0] == b"extended":
            return HoldExtended(int(reply[1]), int(reply[2]))
        return _missing(reply[0])

    async def release(self, show_id: str, hold_id: str, owner: str, token_hash: str) -> HoldChangeRefused | None:
        reply = await self._run(self._change, show_id, ["release", hold_id, owner, token_hash, 0])
        return None if reply[0] == b"released" else _missing(reply[0])

    async def get(self, show_id: str, hold_id: str) -> Hold | None:
        reply = await self._run(self._read, show_id, [hold_id])
        if reply[0] != b"ok":
            return None
        record = msgspec.json.decode(reply[1], type=_Record)
        return Hold(
            hold_id=hold_id, show_id=show_id, owner=record.o, limit_key=record.b or record.o, address=record.a,
            token_hash=record.t,
            seat_ids=tuple(record.s.split(",")) if record.s else (),
            zones=record.z if isinstance(record.z, dict) else {},
            created_at_ms=record.c, expires_at_ms=int(float(reply[2])), max_expires_at_ms=record.m,
        )

    async def load(self, show_id: str, state: InventoryState) -> None:
        """Rebuild the show from PostgreSQL's state; rows already newer in Redis are kept."""
        SHOWS_LOADED.inc()
        rows = {row.seat_id: row for row in state.seats}
        ordered = [rows[seat_id] for seat_id in seat_order(list(rows))]
        layout = row_layout(state.places, state.rows)
        epoch = str(time.time_ns() // 1_000_000)
        seat_chunks = [ordered[i : i + LOAD_CHUNK] for i in range(0, len(ordered), LOAD_CHUNK)]
        buyer_chunks = [state.buyers[i : i + LOAD_CHUNK] for i in range(0, len(state.buyers), LOAD_CHUNK)]
        calls: list[tuple[int, list[SeatRow], list[BuyerRow]]] = [
            (number * LOAD_CHUNK, chunk, []) for number, chunk in enumerate(seat_chunks)
        ] + [(len(ordered), [], chunk) for chunk in buyer_chunks]
        calls = calls or [(0, [], [])]
        for number, (offset, seats, buyers) in enumerate(calls):
            last = number == len(calls) - 1
            zones = state.zones if last else []
            show_rows = layout.rows if last else {}
            labels = layout.labels if last else {}
            args: list[Any] = [epoch, offset, "1" if last else "0", len(seats), len(zones), len(show_rows),
                               len(labels)]
            for seat in seats:
                args += [seat.seat_id, CODE_OF_STATUS[seat.status], seat.version, layout.places.get(seat.seat_id, "")]
            for zone in zones:
                args += [zone.zone_id, zone.capacity, zone.taken, zone.version]
            for row_no, row in show_rows.items():
                args += [row_no, row, layout.ranks[row_no]]
            for label, count in labels.items():
                args += [label, count]
            for buyer in buyers:
                args += [buyer.buyer_key, buyer.places, buyer.version]
            if not await self._run(self._loader, show_id, args):
                return  # another process finished loading the show meanwhile

    async def apply(
        self, show_id: str, seats: Sequence[SeatRow], zones: Sequence[ZoneRow], buyers: Sequence[BuyerRow] = (),
        *, drop_holds: Sequence[str] = (),
    ) -> int:
        """Follow PostgreSQL after a commit; idempotent, and a stale update never wins."""
        args: list[Any] = [len(drop_holds), len(seats), len(zones), *drop_holds]
        for seat in seats:
            args += [seat.seat_id, CODE_OF_STATUS[seat.status], seat.version]
        for zone in zones:
            args += [zone.zone_id, zone.taken, zone.version]
        for buyer in buyers:
            args += [buyer.buyer_key, buyer.places, buyer.version]
        return int(await self._run(self._apply, show_id, args))

    async def availability(
        self, show_id: str, known_version: str | None = None, bill: RateBill | None = None
    ) -> Availability | str | RateLimited | None:
        """The show's availability; only its version when it is still `known_version`; None when
        the show is not loaded. The bill's buckets carry the show's hash tag: the snapshot script
        spends them in its own step, shared with the readers of the show that came in with this one
        (`SharedSnapshots`)."""
        unpaid = bill if bill is not None and bill.decision is None else None
        rate, reply = await self._snapshots.read(show_id, known_version or "", unpaid.buckets if unpaid else ())
        if unpaid is not None and not unpaid.settle(rate).allowed:
            return RateLimited()
        if reply[0] == "not_loaded":
            return None
        version = str(reply[1])
        if reply[0] == "same":
            return version
        fields = dict(zip(_texts(reply[4::2]), reply[5::2], strict=True))
        zones = []
        for field, capacity in fields.items():
            if field.startswith("cap:"):
                zone_id = field[4:]
                taken = int(fields.get("taken:" + zone_id, 0))
                held = int(fields.get("held:" + zone_id, 0))
                zones.append(ZoneAvailability(zone_id, int(capacity), max(0, int(capacity) - taken - held)))
        zones.sort(key=lambda z: z.zone_id)
        return Availability(show_id=show_id, version=version, seats=str(reply[3]), zones=zones,
                            last_change_id=str(reply[2]))

    async def changes_after(self, show_id: str, last_id: str) -> list[AvailabilityChange] | None:
        """The changes logged after `last_id`, or None when the log no longer reaches back to it
        (trimmed, or rebuilt after a flush): the reader needs a fresh snapshot then."""
        log = self.show_keys(show_id).log
        try:
            found = await self._redis.xrange(log, min=last_id, max=last_id, count=1)
        except aioredis.ResponseError:
            return None  # not a stream id
        if not found:
            return None
        after = await self._redis.xrange(log, min=f"({last_id}", max="+")
        entries = cast(list[tuple[bytes, dict[bytes, bytes]]], after)
        return [parse_change(entry_id.decode(), fields[b"m"]) for entry_id, fields in entries]

    async def zone_held(self, show_id: str) -> dict[str, int]:
        """Places in live holds per GA zone (exact once `availability` or any script has purged)."""
        fields = await self._redis.hgetall(self.show_keys(show_id).keys[_KEYS.index("zones")])
        return {_text(k)[5:]: int(v) for k, v in fields.items() if _text(k).startswith("held:")}

    async def purge(self, show_id: str) -> int:
        return int(await self._run(self._purge, show_id, []))

    async def close(self, show_id: str) -> int:
        """The show is cancelled: drop its live holds and place none any more; returns the holds dropped."""
        return int(await self._run(self._close, show_id, []))


class RowLayout(msgspec.Struct, frozen=True):
    """The best-available structures' values (see lua/show_state.lua): each seat's place
    "rank,offset,row,tier", each row's "start,length,section" and its seats' ranks and tiers (`rowranks`),
    the sections' and tiers' seat counts."""

    places: dict[str, str]
    rows: dict[int, str]
    ranks: dict[int, str]
    labels: dict[str, int]


def row_layout(places: Sequence[PlacedSeat], rows: Sequence[ShowRow]) -> RowLayout:
    """Seats laid out row after row, each row in its seats' order: a seat's offset is its index."""
    by_row: dict[int, list[PlacedSeat]] = {}
    for place in places:
        by_row.setdefault(place.row_no, []).append(place)
    values: dict[str, str] = {}
    row_values: dict[int, str] = {}
    row_ranks: dict[int, str] = {}
    labels: Counter[str] = Counter()
    rank_digits = len(str(max((place.rank for place in places), default=0)))
    offset = 0
    for row_no in sorted(by_row):
        seats = sorted(by_row[row_no], key=lambda p: p.row_pos)
        section = rows[row_no].section
        row_values[row_no] = f"{offset},{len(seats)},{section}"
        row_ranks[row_no] = _row_ranks(seats, rank_digits)
        labels[f"s:{section}"] += len(seats)
        for place in seats:
            values[place.seat_id] = f"{place.rank},{offset},{row_no},{place.tier_id or ''}"
            if place.tier_id is not None:
                labels[f"t:{place.tier_id}"] += 1
            offset += 1
    return RowLayout(values, row_values, row_ranks, dict(labels))


def _row_ranks(seats: Sequence[PlacedSeat], rank_digits: int) -> str:
    """A row's `rowranks` value (see lua/show_state.lua): "<r>,<t>:<tiers>:" then each seat's rank in r
    digits and, when its seats' tiers differ (t > 0), its tier's 1-based index in <tiers> (0: none)."""
    ranks = [f"{seat.rank:0{rank_digits}d}" for seat in seats]
    tiers = {seat.tier_id for seat in seats}
    if len(tiers) == 1:
        return f"{rank_digits},0:{tiers.pop() or ''}:{''.join(ranks)}"
    names = list(dict.fromkeys(seat.tier_id for seat in seats if seat.tier_id is not None))
    index: dict[str | None, int] = {name: number for number, name in enumerate(names, 1)}
    index[None] = 0
    tier_digits = len(str(len(names)))
    return f"{rank_digits},{tier_digits}:{','.join(names)}:" + "".join(
        f"{rank}{index[seat.tier_id]:0{tier_digits}d}" for rank, seat in zip(ranks, seats, strict=True))


def _rated(answer: bytes) -> tuple[list[int], list[str | int]]:
    """A script's [rate, reply] (see _RATED)."""
    rate, reply = _RATED.decode(answer)
    return (rate if isinstance(rate, list) else []), reply


def _outcome(reply: list[str | int]) -> PlaceOutcome:
    """A hold script's reply (lua/place_hold.lua) as the outcome it stands for."""
    kind = reply[0]
    if kind == "ok":
        return HoldPlaced(int(reply[1]), int(reply[2]), _texts(reply[4:]))
    if kind == "not_enough":
        return HoldRefused("not_enough", together=int(reply[1]), apart=int(reply[2]))
    if kind == "unknown_choice":
        return HoldRefused("unknown_choice", tier_id=str(reply[1]), sections=_texts(reply[2:]))
    if kind == "single_seat":
        return HoldRefused("single_seat", seat_ids=(str(reply[1]),))
    if kind == "not_loaded":
        return InventoryNotLoaded()
    if kind == "rate_limited":
        return RateLimited()
    if kind == "closed":
        return HoldRefused("closed")
    if kind == "over_limit":
        return HoldRefused("over_limit", held=int(reply[1]), ordered=int(reply[2]), limit=int(reply[3]))
    if kind == "address_cap":
        return HoldRefused("address_cap", held=int(reply[1]), limit=int(reply[2]))
    if kind == "blocked":
        return HoldRefused("blocked", seat_ids=_texts(reply[1:]))
    seat_count = int(reply[1])
    seats = _texts(reply[2 : 2 + seat_count])
    rest = reply[2 + seat_count :]
    if kind == "unknown":
        return HoldRefused("unknown", seat_ids=seats, zone_ids=_texts(rest))
    return HoldRefused("conflict", seat_ids=seats, zone_ids=_texts(rest[0::2]),
                       zone_remaining=tuple(int(r) for r in rest[1::2]))


def _texts(items: list[str | int]) -> tuple[str, ...]:
    return tuple(str(item) for item in items)


def _missing(kind: bytes) -> HoldChangeRefused:
    if kind == b"bad_token":
        return "bad_token"
    if kind == b"at_cap":
        return "at_cap"
    return "not_found"

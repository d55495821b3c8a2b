"""The Line port on Redis: one Lua script per decision over one show's room (lua/room.lua holds the
structure). Calls made in the same event-loop turn share a round trip (the platform's batcher): a
join storm is thousands of scripts a second. The join and place scripts spend the request's rate
budgets in their own step (lua/bills.lua, after the platform's bucket functions), so that a join and
a poll are one call to Redis each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import msgspec
from redis.commands.core import AsyncScript

from lml.admission.application.ports import (
    Admitted,
    Joined,
    JoinRefused,
    Place,
    RateLimited,
    RoomFacts,
    RoomFigures,
)
from lml.platform.domain.rate_budget import RateBill
from lml.platform.rate_limit import bills_args
from lml.platform.redis import RedisClient, lua_source
from lml.platform.redis_batch import ScriptBatcher

_KEYS = ("room", "of", "who", "line", "active", "recent", "log")
# A room's keys outlive its sale by a day (operators read its figures after), then go.
KEEP_AFTER_SALE = timedelta(days=1)
# A script that spends bills answers with JSON text, [rates, reply] (lua/bills.lua): one bulk string is
# read in one go, where nested arrays cost redis-py a read per item. `rates` is `{}` when no bill was
# given (cjson writes an empty table so).
_BILLED_REPLY = msgspec.json.Decoder(tuple[list[list[int]] | dict[str, int], list[str | int]])


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _load(client: RedisClient, name: str, *, spends_budgets: bool = False) -> AsyncScript:
    """`spends_budgets`: the script spends a request's rate budgets with its own work (lua/bills.lua)."""
    if not spends_budgets:
        return client.register_script(lua_source("lml.admission.infrastructure", "room.lua", name))
    return client.register_script(lua_source("lml.platform", "buckets.lua")
                                  + lua_source("lml.admission.infrastructure", "room.lua", "bills.lua", name))


def _place(reply: Sequence[Any]) -> Place:
    entry, state, rank, expires, waiting, rate = (_text(v) if isinstance(v, bytes) else v for v in reply)
    return Place(entry_id=str(entry), state=str(state), rank=int(rank) if rank != "" else None,
                 pass_expires_ms=int(float(expires)) if expires != "" else None, waiting=int(waiting),
                 admit_per_minute=int(rate))


class RedisLine:
    def __init__(self, client: RedisClient, key_prefix: str) -> None:
        self._redis = client
        self._prefix = key_prefix
        self._batcher = ScriptBatcher(client)
        self._configure = _load(client, "configure.lua")
        self._join = _load(client, "join.lua", spends_budgets=True)
        self._read = _load(client, "place.lua", spends_budgets=True)
        self._admit = _load(client, "admit.lua")
        self._keep = _load(client, "keep_pass.lua")
        self._figures = _load(client, "figures.lua")

    def keys(self, show_id: str) -> list[str]:
        """`{show_id}` is the hash tag: one show's keys share one Cluster slot."""
        return [f"{self._prefix}:admission:{name}:{{{show_id}}}" for name in _KEYS]

    async def _run(self, script: AsyncScript, show_id: str, now_ms: int, *args: Any) -> Any:
        return await self._batcher.run(script, self.keys(show_id), [now_ms, *args])

    async def configure(self, show_id: str, facts: RoomFacts) -> None:
        keep_until = facts.closes_ms + int(KEEP_AFTER_SALE.total_seconds() * 1000)
        await self._run(
            self._configure, show_id, 0, int(facts.enabled), facts.opens_ms,
            "" if facts.on_sale_ms is None else facts.on_sale_ms, facts.closes_ms, facts.admit_per_minute,
            facts.max_active, facts.pass_ms, int(facts.paused), int(facts.closed), keep_until,
        )

    async def _run_billed(self, script: AsyncScript, show_id: str, bills: Sequence[RateBill], now_ms: int,
                          *args: Any) -> list[str | int]:
        """The reply of a script that spends the bills first (lua/bills.lua). Their buckets carry the show's
        hash tag; each bill is settled with its own answer, and one already settled is not spent again."""
        unpaid = [bill for bill in bills if bill.decision is None and bill.buckets]
        billed, bucket_keys = bills_args([bill.buckets for bill in unpaid])
        rates, reply = _BILLED_REPLY.decode(await self._batcher.run(script, [*self.keys(show_id), *bucket_keys],
                                                                    [now_ms, *args, *billed]))
        for bill, rate in zip(unpaid, rates if isinstance(rates, list) else [], strict=False):
            bill.settle(rate)
        return reply

    async def join(self, show_id: str, *, buyer: str, entry_id: str, pre_queue_rank: int, now_ms: int,
                   bills: Sequence[RateBill] = ()) -> Joined | JoinRefused:
        reply = await self._run_billed(self._join, show_id, bills, now_ms, buyer, entry_id, pre_queue_rank)
        outcome = str(reply[0])
        if outcome in ("joined", "existing"):
            return Joined(place=_place(reply[1:]), new=outcome == "joined")
        return JoinRefused(reason=outcome, opens_ms=int(reply[1]) if outcome == "not_open" else None)

    async def place(self, show_id: str, *, buyer: str, now_ms: int, bills: Sequence[RateBill] = ()
                    ) -> Place | RateLimited | None:
        reply = await self._run_billed(self._read, show_id, bills, now_ms, buyer)
        if reply[0] == "rate_limited":
            return RateLimited()
        return _place(reply[1:]) if reply[0] == "in_line" else None

    async def admit(self, show_id: str, *, now_ms: int, sold_out: bool, closed: bool, at_most: int
                    ) -> list[Admitted] | None:
        reply = await self._run(self._admit, show_id, now_ms, int(sold_out), int(closed), at_most)
        if reply[0] == -1:
            return None
        return [Admitted(entry_id=_text(reply[i]), buyer=_text(reply[i + 1]), at_ms=now_ms)
                for i in range(1, len(reply), 2)]

    async def keep_pass(self, show_id: str, *, entry_id: str, until_ms: int, now_ms: int) -> None:
        await self._run(self._keep, show_id, now_ms, entry_id, until_ms)

    async def figures(self, show_id: str, *, now_ms: int) -> RoomFigures:
        waiting, admitted, active, last_minute, sold_out = await self._run(self._figures, show_id, now_ms)
        return RoomFigures(waiting=int(waiting), admitted_total=int(admitted), active=int(active),
                           admitted_last_minute=int(last_minute), sold_out=_text(sold_out) == "1")

    async def admissions(self, show_id: str) -> list[Admitted]:
        log = self.keys(show_id)[_KEYS.index("log")]
        entries = await self._redis.xrange(log)
        return [Admitted(entry_id=_text(fields[b"e"]), buyer=_text(fields[b"b"]), at_ms=int(fields[b"t"]))
                for _, fields in entries]

"""The seat map of a show: the pinned layout's geometry (the venues export, embedded as it is) with
each seat's and zone's price tier, and the tiers' prices.

Built once per show version and shared by every API process through Redis. The version is a digest
of what the map is made of (the pinned layout's content hash, the currency and the price tiers):
none of these changes once a show sells, so the map is served with a long cache lifetime and an
`ETag`, and a client that has it gets a 304 without anything being built or read.

Seats are listed in ascending seat id order: the i-th character of the availability string is the
status of the i-th seat here."""

from __future__ import annotations

import hashlib
from typing import cast

import msgspec
from cachetools import LRUCache

from lml.platform.redis import RedisClient
from lml.seating.domain.availability import seat_order
from lml.seating.domain.sale_terms import SaleTerms
from lml.seating.infrastructure.pg_sales import PgInventoryReads
from lml.seating.infrastructure.sale_terms_reader import MAX_SHOWS, SaleTermsReader
from lml.venues.facade import VenuesFacade

# Maps are large (a layout's geometry): a handful in process, the rest a Redis GET away.
MAX_IN_PROCESS = 16
REDIS_TTL_SECONDS = 24 * 3600


class SeatMapTier(msgspec.Struct, frozen=True):
    tier_id: str
    name: str
    price: int
    fees: list[dict[str, object]]
    unit_total: int


class SeatMapZone(msgspec.Struct, frozen=True):
    zone_id: str
    tier: int | None  # index in `tiers`


class SeatMap(msgspec.Struct, frozen=True):
    show_id: str
    version: str
    currency: str
    tiers: list[SeatMapTier]
    seat_ids: list[str]  # ascending: the order of the availability string
    seat_tiers: list[int | None]  # index in `tiers` of each seat's tier (None: a blocked seat nobody priced)
    zones: list[SeatMapZone]
    layout: msgspec.Raw  # the venues export of the pinned layout version, as published


def seatmap_version(terms: SaleTerms) -> str:
    parts = msgspec.json.encode([terms.layout_id, terms.layout_version, terms.layout_hash, terms.currency,
                                 terms.tiers])
    return hashlib.sha256(parts).hexdigest()[:24]


class SeatMaps:
    def __init__(
        self, redis: RedisClient, key_prefix: str, terms: SaleTermsReader, reads: PgInventoryReads,
        venues: VenuesFacade,
    ) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._terms = terms
        self._reads = reads
        self._venues = venues
        self._built: LRUCache[tuple[str, str], bytes] = LRUCache(maxsize=MAX_IN_PROCESS)
        # Each show's version with the terms it was computed from: the terms reader hands out the same
        # object until it reads the show again, so a revalidation (a 304) digests nothing.
        self._versions: dict[str, tuple[SaleTerms, str]] = {}

    async def version(self, show_id: str) -> str:
        return self._version_of(await self._terms.terms(show_id))

    async def body(self, show_id: str) -> tuple[str, bytes]:
        terms = await self._terms.terms(show_id)
        version = self._version_of(terms)
        body = self._built.get((show_id, version))
        if body is None:
            key = f"{self._prefix}:seating:seatmap:{{{show_id}}}:{version}"
            body = cast(bytes | None, await self._redis.get(key))  # the client does not decode responses
            if body is None:
                body = await self._build(terms, version)
                await self._redis.set(key, body, ex=REDIS_TTL_SECONDS)
            self._built[(show_id, version)] = body
        return version, body

    def _version_of(self, terms: SaleTerms) -> str:
        known = self._versions.get(terms.show_id)
        if known is None or known[0] is not terms:
            if len(self._versions) >= MAX_SHOWS:  # as many as the terms reader keeps
                self._versions.clear()  # the shows still asked for come back at their next request
            known = self._versions[terms.show_id] = (terms, seatmap_version(terms))
        return known[1]

    async def _build(self, terms: SaleTerms, version: str) -> bytes:
        pinned = await self._venues.get_pinned_layout(layout_id=terms.layout_id, version=terms.layout_version,
                                                      hash=terms.layout_hash)
        seat_tier, zone_tier = await self._reads.tiers(terms.show_id)
        index = {tier.tier_id: i for i, tier in enumerate(terms.tiers)}
        seat_ids = seat_order(list(seat_tier))
        seatmap = SeatMap(
            show_id=terms.show_id,
            version=version,
            currency=terms.currency,
            tiers=[SeatMapTier(t.tier_id, t.name, t.price, [msgspec.to_builtins(f) for f in t.fees], t.unit_total)
                   for t in terms.tiers],
            seat_ids=seat_ids,
            seat_tiers=[index.get(seat_tier[s] or "") for s in seat_ids],
            zones=[SeatMapZone(zone_id, index.get(tier_id)) for zone_id, tier_id in sorted(zone_tier.items())],
            layout=msgspec.Raw(pinned.export),
        )
        return msgspec.json.encode(seatmap)

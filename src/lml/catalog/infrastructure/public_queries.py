"""Buyers' read models: plain SQL straight to msgspec Structs, run acting as no organization (row-level
security shows published events of every organization, never a draft)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec

from lml.catalog.application.ports import Inventory
from lml.catalog.domain.sale import SaleStatus, next_change, sale_status, window_opens
from lml.catalog.infrastructure.sql_ids import as_uuid
from lml.platform.db import UnitOfWork
from lml.platform.domain.errors import FieldError, InvalidInput


class PublicVenue(msgspec.Struct, frozen=True, kw_only=True):
    venue_id: str
    name: str
    city: str
    country: str | None
    timezone: str


class PublicFee(msgspec.Struct, frozen=True):
    name: str
    amount: int


class PublicTier(msgspec.Struct, frozen=True, kw_only=True):
    tier_id: str
    name: str
    price: int
    fees: list[PublicFee]
    total: int  # price + fees, what one ticket costs


class PublicShow(msgspec.Struct, frozen=True, kw_only=True):
    show_id: str
    event_id: str
    starts_at: datetime
    local_starts_at: str  # the venue's wall-clock time, with its offset
    doors_at: datetime | None
    sale_status: SaleStatus
    on_sale_at: datetime | None
    off_sale_at: datetime
    currency: str
    max_seats_per_buyer: int
    price_tiers: list[PublicTier]


class PublicEventRef(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    title: str
    category: str
    status: str
    venue: PublicVenue


class PublicShowDetail(PublicShow, frozen=True, kw_only=True):
    event: PublicEventRef


class PublicEvent(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    title: str
    description: str
    category: str
    images: list[str]
    status: str
    venue: PublicVenue
    shows: list[PublicShow]


class EventListItem(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    title: str
    category: str
    images: list[str]
    venue: PublicVenue
    first_show_at: datetime  # the first show in the asked range
    upcoming_shows: int


class EventPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[EventListItem]
    next_cursor: str | None


class EventFilters(msgspec.Struct, frozen=True, kw_only=True):
    starts_after: datetime | None = None
    starts_before: datetime | None = None
    city: str | None = None
    category: str | None = None
    text: str | None = None

    def fingerprint(self) -> str:
        """Names the query a cursor belongs to (its reference time aside)."""
        return hashlib.sha256(msgspec.json.encode(self)).hexdigest()[:12]

    def tsquery(self) -> str | None:
        """Every word must match, as a word prefix ("jaz" finds jazz).

        `(w | w:*)` matches what `w:*` alone does; the planner, though, guesses a prefix matches 2 % of
        rows whatever it is, and knows how common a whole word is: told that a common word matches most
        events, it walks the listing in order for a page instead of fetching every match and sorting."""
        words = re.findall(r"[^\W_]+", (self.text or "").lower())[:8]
        return " & ".join(f"({w} | {w}:*)" for w in words) or None


_Instant = Annotated[datetime, msgspec.Meta(tz=True)]


class _Cursor(msgspec.Struct, frozen=True, array_like=True):
    query: str
    as_of: _Instant  # the first page's "now": later pages see the same upcoming shows
    first_show_at: _Instant
    event_id: str


def encode_cursor(cursor: _Cursor) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(cursor)).decode().rstrip("=")


def decode_cursor(raw: str, filters: EventFilters) -> _Cursor:
    cursor: _Cursor | None
    try:
        cursor = msgspec.json.decode(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)), type=_Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        cursor = None
    # An event id that is no uuid comes from a forged cursor only, and would fail its cast in SQL.
    if cursor is None or as_uuid(cursor.event_id) is None:
        raise InvalidInput([FieldError("/cursor", "is not a cursor this API gave out")])
    if cursor.query != filters.fingerprint():
        raise InvalidInput([FieldError("/cursor", "belongs to a query with other filters")])
    return cursor


_VENUE = "e.venue_id::text AS venue_id, e.venue_name, e.city, e.country, e.timezone"


def _venue(row: dict[str, Any]) -> PublicVenue:
    return PublicVenue(venue_id=row["venue_id"], name=row["venue_name"], city=row["city"], country=row["country"],
                       timezone=row["timezone"])


# Published events with a show (not cancelled) starting in the range, by their first such show,
# then id: a keyset, so pages neither repeat nor skip an event when others are added meanwhile.
#
# Walks the listed shows (migration 0022: a row per show of a published event, with the event's city,
# category and search words) in start order, keeping a show only when it is its event's first in range
# (ties broken by show id): its start is the event's sort key. A page reads about as many rows as it
# lists (more when filters are selective), however large the catalog. The first-show check is a
# correlated subquery, one index probe per row walked: as NOT EXISTS the planner may turn it into an
# anti-join that reads every listed show for each one walked. It runs outside the ordered rows
# (`OFFSET 0` keeps the planner from pushing it in), so that when they come from a sort (matches of
# rare words, say) it runs on the first few sorted rows only, not on every match; and its estimate
# (one row in all, by the equality on a unique id) does not steer how those rows are fetched.
LIST_SQL = f"""
    SELECT e.id::text AS event_id, e.title, e.category, e.images, {_VENUE}, f.first_show_at,
           (SELECT count(*) FROM catalog.listed_shows c
            WHERE c.event_id = f.event_id AND c.starts_at > %(from)s
              AND (%(to)s::timestamptz IS NULL OR c.starts_at < %(to)s)) AS upcoming_shows
    FROM (
        SELECT l.event_id, l.starts_at AS first_show_at
        FROM (
            SELECT l.event_id, l.starts_at, l.show_id
            FROM catalog.listed_shows l
            WHERE l.starts_at > %(from)s AND (%(to)s::timestamptz IS NULL OR l.starts_at < %(to)s)
              AND (%(city)s::text IS NULL OR l.city_key = lower(%(city)s))
              AND (%(category)s::text IS NULL OR l.category = %(category)s)
              AND (%(q)s::text IS NULL OR l.search @@ to_tsquery('simple', %(q)s))
              AND (%(after_at)s::timestamptz IS NULL
                   OR (l.starts_at, l.event_id) > (%(after_at)s, %(after_id)s::uuid))
            ORDER BY l.starts_at, l.event_id
            OFFSET 0
        ) l
        WHERE l.show_id = (
            SELECT p.show_id FROM catalog.listed_shows p
            WHERE p.event_id = l.event_id AND p.starts_at > %(from)s
            ORDER BY p.starts_at, p.show_id LIMIT 1
        )
        LIMIT %(limit)s  -- the first in the ordered rows' order (an ORDER BY here made the planner sort them all)
    ) f
    JOIN catalog.events e ON e.id = f.event_id AND e.status = 'published'
    ORDER BY f.first_show_at, f.event_id
"""  # noqa: S608 - fixed text


def list_params(filters: EventFilters, after: _Cursor | None, as_of: datetime, limit: int) -> dict[str, Any]:
    """`LIST_SQL`'s parameters (the benchmark EXPLAINs the query with them)."""
    return {
        "from": max(as_of, filters.starts_after) if filters.starts_after else as_of,
        "to": filters.starts_before,
        "city": filters.city,
        "category": filters.category,
        "q": filters.tsquery(),
        "after_at": after.first_show_at if after else None,
        "after_id": after.event_id if after else None,
        "limit": limit + 1,
    }


async def list_events(uow: UnitOfWork, filters: EventFilters, cursor: str | None, limit: int,
                      now: datetime) -> EventPage:
    """A page of `LIST_SQL`."""
    after = decode_cursor(cursor, filters) if cursor else None
    as_of = after.as_of if after else now
    rows = await (await uow.conn.execute(LIST_SQL, list_params(filters, after, as_of, limit))).fetchall()
    items = [
        EventListItem(event_id=r["event_id"], title=r["title"], category=r["category"], images=r["images"],
                      venue=_venue(r), first_show_at=r["first_show_at"], upcoming_shows=r["upcoming_shows"])
        for r in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor(_Cursor(filters.fingerprint(), as_of, last.first_show_at, last.event_id))
    return EventPage(items=items, next_cursor=next_cursor)


_SHOW_COLUMNS = """s.id::text AS show_id, s.event_id::text AS event_id, s.starts_at, s.doors_at, s.status,
    s.on_sale_at, s.off_sale_at, s.went_on_sale_at, s.currency, s.max_seats_per_buyer"""


async def _tiers(uow: UnitOfWork, show_ids: list[str]) -> dict[str, list[PublicTier]]:
    rows = await (
        await uow.conn.execute(
            """
            SELECT show_id::text AS show_id, tier_id, name, price, fees FROM catalog.price_tiers
            WHERE show_id = ANY(%s::uuid[]) ORDER BY show_id, position
            """,
            (show_ids,),
        )
    ).fetchall()
    tiers: dict[str, list[PublicTier]] = {show_id: [] for show_id in show_ids}
    for r in rows:
        fees = [PublicFee(f["name"], f["amount"]) for f in r["fees"]]
        tiers[r["show_id"]].append(PublicTier(tier_id=r["tier_id"], name=r["name"], price=r["price"], fees=fees,
                                              total=r["price"] + sum(f.amount for f in fees)))
    return tiers


# The moments at which an answer's time-derived sale statuses may change.
Moments = tuple[datetime | None, ...]


class _ShowFacts(msgspec.Struct, frozen=True):
    show: PublicShow
    moments: Moments


async def _public_shows(uow: UnitOfWork, inventory: Inventory, rows: list[dict[str, Any]], event_status: str,
                        timezone: str, now: datetime) -> list[_ShowFacts]:
    tiers = await _tiers(uow, [r["show_id"] for r in rows])
    shows = []
    for r in rows:
        opens = window_opens(r["on_sale_at"], r["went_on_sale_at"])
        closes = r["off_sale_at"] or r["starts_at"]
        status = sale_status(event_status=event_status, show_status=r["status"], opens_at=opens, closes_at=closes,
                             now=now)
        if status == "on_sale":
            tally = await inventory.tally(r["show_id"])
            status = "sold_out" if tally is not None and tally.sold_out else status
        shows.append(_ShowFacts(PublicShow(
            show_id=r["show_id"], event_id=r["event_id"], starts_at=r["starts_at"],
            local_starts_at=r["starts_at"].astimezone(ZoneInfo(timezone)).isoformat(), doors_at=r["doors_at"],
            sale_status=status, on_sale_at=opens or r["on_sale_at"], off_sale_at=closes, currency=r["currency"],
            max_seats_per_buyer=r["max_seats_per_buyer"], price_tiers=tiers[r["show_id"]],
        ), (opens, closes)))
    return shows


def seconds_valid(now: datetime, moments: Iterable[datetime | None], ceiling: int) -> int:
    """How long an answer derived from these moments stays true, at most `ceiling` seconds."""
    change = next_change(now, moments)
    if change is None:
        return ceiling
    return max(0, min(ceiling, int((change - now).total_seconds())))


async def event_detail(
    uow: UnitOfWork, inventory: Inventory, event_id: str, now: datetime
) -> tuple[PublicEvent, Moments] | None:
    if as_uuid(event_id) is None:
        return None
    row = await (
        await uow.conn.execute(
            f"""
            SELECT e.id::text AS event_id, e.title, e.description, e.category, e.images, e.status, {_VENUE}
            FROM catalog.events e WHERE e.id = %s
            """,  # noqa: S608 - fixed text
            (event_id,),
        )
    ).fetchone()
    if row is None:
        return None
    show_rows = await (
        await uow.conn.execute(
            f"SELECT {_SHOW_COLUMNS} FROM catalog.shows s WHERE s.event_id = %s ORDER BY s.starts_at, s.id",  # noqa: S608
            (event_id,),
        )
    ).fetchall()
    facts = await _public_shows(uow, inventory, show_rows, row["status"], row["timezone"], now)
    event = PublicEvent(event_id=row["event_id"], title=row["title"], description=row["description"],
                        category=row["category"], images=row["images"], status=row["status"], venue=_venue(row),
                        shows=[f.show for f in facts])
    return event, tuple(m for f in facts for m in f.moments)


async def show_detail(
    uow: UnitOfWork, inventory: Inventory, show_id: str, now: datetime
) -> tuple[PublicShowDetail, Moments] | None:
    if as_uuid(show_id) is None:
        return None
    row = await (
        await uow.conn.execute(
            f"""
            SELECT {_SHOW_COLUMNS}, e.title, e.category, e.status AS event_status, {_VENUE}
            FROM catalog.shows s JOIN catalog.events e ON e.id = s.event_id WHERE s.id = %s
            """,  # noqa: S608 - fixed text
            (show_id,),
        )
    ).fetchone()
    if row is None:
        return None
    (facts,) = await _public_shows(uow, inventory, [row], row["event_status"], row["timezone"], now)
    ref = PublicEventRef(event_id=row["event_id"], title=row["title"], category=row["category"],
                         status=row["event_status"], venue=_venue(row))
    detail = PublicShowDetail(**msgspec.structs.asdict(facts.show), event=ref)
    return detail, facts.moments

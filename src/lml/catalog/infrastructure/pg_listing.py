"""The public listing's rows (`catalog.listed_shows`, see migration 0022), rewritten for each event a
unit of work touched, in its transaction, just before it commits: the listing never disagrees with the
events and shows it was built from."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psycopg import AsyncConnection


async def relist_events(conn: AsyncConnection[dict[str, Any]], event_ids: Iterable[str]) -> None:
    """Each event's listed shows from its rows as they are now: none unless it is published, none cancelled.

    Two transactions changing one event (one a show, the other its category, say) would each rebuild
    its rows from a view missing the other's change. A lock per event, held until commit, orders them:
    the later one reads the earlier's committed rows (read committed: each statement sees what was
    committed when it began). It is taken last, once the transaction holds every row lock it will,
    so it waits on no one who waits on it; events in a fixed order, so two such locks cannot cross."""
    for event_id in sorted(event_ids):
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('catalog.listing:' || %s, 0))",
                           (event_id,))
        await conn.execute("DELETE FROM catalog.listed_shows WHERE event_id = %s", (event_id,))
        await conn.execute(
            """
            INSERT INTO catalog.listed_shows (show_id, event_id, organization_id, starts_at, city_key, category,
                search)
            SELECT s.id, e.id, e.organization_id, s.starts_at, lower(e.city), e.category, e.search
            FROM catalog.events e JOIN catalog.shows s ON s.event_id = e.id
            WHERE e.id = %s AND e.status = 'published' AND s.status <> 'cancelled'
            """,
            (event_id,),
        )

"""Publish a layout's draft: checked again, hashed, stored insert-only, recorded; or archive a version."""

from __future__ import annotations

from lml.platform.logging import get_logger
from lml.venues.application.finding import find_version
from lml.venues.application.integrity import verified_draft, verified_published
from lml.venues.application.ports import Stores
from lml.venues.domain.canonical import content_hash
from lml.venues.domain.errors import LayoutBusy, LayoutNotPublished
from lml.venues.domain.layout import draft_of
from lml.venues.domain.layout_rules import build_layout
from lml.venues.domain.layout_version import LayoutVersion, latest
from lml.venues.events import LayoutArchived, LayoutPublished

log = get_logger("lml.venues.publish")


async def publish_layout(stores: Stores, *, org_id: str, venue_id: str, layout_id: str) -> LayoutVersion:
    """The published version. Without an open draft, publishing again answers with the latest published
    version, once its stored document is proven intact."""
    documents = stores.documents
    async with stores.uow(org_id) as uow:
        versions = await uow.layouts.versions(layout_id, venue_id=venue_id, lock=True)
        draft = latest(versions, "draft")
        if draft is None:
            current = latest(versions, "published")
            if current is None:
                find_version(versions, layout_id, None)  # no such layout → 404
                raise LayoutNotPublished("Every version of this layout is archived; start a new version to publish")
            verified_published(await documents.published(layout_id, current.version, org_id=org_id), current)
            return current
        stored = verified_draft(await documents.draft(org_id, layout_id), draft)
        # The rules again, as they stand today: nothing published breaks them.
        content = build_layout(layout_id, draft.version, draft_of(stored))
        digest = content_hash(content)
        existing = await documents.insert_published(org_id, venue_id, content, digest)
        if existing is not None and existing != digest:
            # We hold the layout and it says draft: that document is the leftover of a publication whose
            # transaction never committed, so nobody can have pinned it.
            await documents.discard_unpublished(layout_id, draft.version, existing)
            if await documents.insert_published(org_id, venue_id, content, digest) is not None:
                raise LayoutBusy()
        published = draft.publish(digest, stores.clock.now())
        await uow.layouts.save_version(published)
        venue = await uow.venues.get(venue_id)
        if venue is not None:
            grown = venue.with_published_layout(content.seat_count, content.zone_capacity)
            if grown != venue:
                await uow.venues.save_capacity(grown)
        await uow.publish(
            LayoutPublished(
                org_id=org_id, venue_id=venue_id, layout_id=layout_id, version=published.version, hash=digest,
                layout_type=content.layout_type, seat_count=content.seat_count, zone_capacity=content.zone_capacity,
            )
        )
        await uow.commit()
    try:
        await documents.discard_draft(org_id, layout_id, published.version)
    except Exception as exc:  # noqa: BLE001 - the layout is published; a leftover draft is only ignored
        log.warning("layout_draft_not_discarded", layout_id=layout_id, version=published.version,
                    error=type(exc).__name__)
    return published


async def archive_version(stores: Stores, *, org_id: str, venue_id: str, layout_id: str, version: int) -> LayoutVersion:
    """No new show may pin an archived version; the shows that pinned it keep reading it."""
    async with stores.uow(org_id) as uow:
        versions = await uow.layouts.versions(layout_id, venue_id=venue_id, lock=True)
        archived = find_version(versions, layout_id, version).archive(stores.clock.now())
        await uow.layouts.save_version(archived)
        await uow.publish(LayoutArchived(org_id=org_id, venue_id=venue_id, layout_id=layout_id, version=version))
        await uow.commit()
    return archived

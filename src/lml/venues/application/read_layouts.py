"""Read layouts: the admin document of a version, its export, a venue's layouts, and the published
versions other contexts pin. Everything served is checked against its hash first."""

from __future__ import annotations

from lml.venues.application.finding import find_version
from lml.venues.application.integrity import verified, verified_draft, verified_published
from lml.venues.application.ports import LayoutDocuments, Stores
from lml.venues.application.views import LayoutExport, LayoutHistory, LayoutView, PinnedView
from lml.venues.domain.errors import LayoutNotFound, LayoutNotPublished, VenueNotFound
from lml.venues.domain.layout_version import LayoutVersion, latest


async def _versions(stores: Stores, org_id: str, layout_id: str, venue_id: str | None = None) -> list[LayoutVersion]:
    async with stores.uow(org_id) as uow:
        return await uow.layouts.versions(layout_id, venue_id=venue_id)


async def get_layout(
    stores: Stores, *, org_id: str, venue_id: str, layout_id: str, version: int | None = None
) -> LayoutView:
    """The given version, or the newest (the open draft if there is one)."""
    record = find_version(await _versions(stores, org_id, layout_id, venue_id), layout_id, version)
    if record.status == "draft":
        content = verified_draft(await stores.documents.draft(org_id, layout_id), record)
    else:
        content, _ = verified_published(
            await stores.documents.published(layout_id, record.version, org_id=org_id), record
        )
    return LayoutView(record, content)


async def export_layout(
    stores: Stores, *, org_id: str, venue_id: str, layout_id: str, version: int | None = None
) -> LayoutExport:
    """The canonical JSON of a published (or archived) version; the latest published one by default."""
    versions = await _versions(stores, org_id, layout_id, venue_id)
    record = find_version(versions, layout_id, version) if version is not None else latest(versions, "published")
    if record is None:
        find_version(versions, layout_id, None)  # no such layout → 404
        raise LayoutNotPublished("This layout has no published version to export")
    if record.status == "draft":
        raise LayoutNotPublished(f"Version {record.version} is a draft: publish it to export it")
    _, body = verified_published(await stores.documents.published(layout_id, record.version, org_id=org_id), record)
    return LayoutExport(record, body)


async def list_layouts(stores: Stores, *, org_id: str, venue_id: str) -> list[LayoutHistory]:
    async with stores.uow(org_id) as uow:
        if await uow.venues.get(venue_id) is None:
            raise VenueNotFound()
        versions = await uow.layouts.of_venue(venue_id)
    histories: dict[str, list[LayoutVersion]] = {}
    for record in versions:
        histories.setdefault(record.layout_id, []).append(record)
    return [LayoutHistory(layout_id, venue_id, records) for layout_id, records in histories.items()]


async def list_versions(stores: Stores, *, org_id: str, venue_id: str, layout_id: str) -> list[LayoutVersion]:
    versions = await _versions(stores, org_id, layout_id, venue_id)
    find_version(versions, layout_id, None)  # no such layout → 404
    return versions


async def published_layout(stores: Stores, *, org_id: str, layout_id: str, version: int | None = None) -> LayoutView:
    """A version a show may pin: published (not a draft, not archived); the latest one by default."""
    versions = await _versions(stores, org_id, layout_id)
    record = find_version(versions, layout_id, version) if version is not None else latest(versions, "published")
    if record is None:
        find_version(versions, layout_id, None)  # no such layout → not found
        raise LayoutNotPublished(f"Layout {layout_id} has no published version")
    if record.status != "published":
        raise LayoutNotPublished(f"Version {record.version} of layout {layout_id} is {record.status}, not published")
    content, _ = verified_published(await stores.documents.published(layout_id, record.version, org_id=org_id), record)
    return LayoutView(record, content)


async def pinned_layout(documents: LayoutDocuments, *, layout_id: str, version: int, content_hash: str) -> PinnedView:
    """A version pinned by (id, version, hash), for anyone: published content never changes, so the
    document store answers alone, and the hash proves it is the one pinned."""
    stored = await documents.published(layout_id, version)
    if stored is None:
        raise LayoutNotFound(f"There is no published version {version} of layout {layout_id}")
    content, body = verified(stored, layout_id, version, content_hash)
    return PinnedView(org_id=stored.org_id, venue_id=stored.venue_id, content=content, body=body)

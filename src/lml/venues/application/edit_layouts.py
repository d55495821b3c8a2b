"""Write a layout's draft: create a layout, replace or patch its draft, start a new version from a
published one. Nothing is stored for a layout that breaks the rules."""

from __future__ import annotations

from lml.platform.ids import new_id
from lml.venues.application.finding import find_version
from lml.venues.application.integrity import verified_draft, verified_published
from lml.venues.application.ports import Stores, VenuesUnitOfWork
from lml.venues.application.views import LayoutView
from lml.venues.domain.canonical import content_hash
from lml.venues.domain.errors import DraftAlreadyOpen, VenueNotFound
from lml.venues.domain.layout import LayoutContent, LayoutDraft, LayoutPatch, draft_of
from lml.venues.domain.layout_rules import build_layout
from lml.venues.domain.layout_version import LayoutVersion, latest


async def _save_draft(stores: Stores, org_id: str, venue_id: str, content: LayoutContent) -> None:
    # The checksum lets publishing notice a draft changed other than through here.
    await stores.documents.save_draft(org_id, venue_id, content, content_hash(content))


async def create_layout(stores: Stores, *, org_id: str, venue_id: str, draft: LayoutDraft) -> LayoutView:
    async with stores.uow(org_id) as uow:
        if await uow.venues.get(venue_id) is None:
            raise VenueNotFound()
        content = build_layout(new_id(), 1, draft)
        record = LayoutVersion.draft(venue_id, content, stores.clock.now())
        # The document first: should the transaction fail after it, an unreferenced draft is harmless,
        # whereas a recorded version without its document would not be.
        await _save_draft(stores, org_id, venue_id, content)
        await uow.layouts.add(record)
        await uow.commit()
    return LayoutView(record, content)


async def _editable(uow: VenuesUnitOfWork, venue_id: str, layout_id: str, version: int | None) -> LayoutVersion:
    versions = await uow.layouts.versions(layout_id, venue_id=venue_id, lock=True)
    if version is None and (open_draft := latest(versions, "draft")) is not None:
        version = open_draft.version
    # Without a draft this is the newest published version, refused just below.
    record = find_version(versions, layout_id, version)
    record.ensure_editable()
    return record


async def _revise(
    stores: Stores, uow: VenuesUnitOfWork, org_id: str, record: LayoutVersion, draft: LayoutDraft
) -> LayoutView:
    content = build_layout(record.layout_id, record.version, draft)
    revised = record.revise(content, stores.clock.now())
    await _save_draft(stores, org_id, record.venue_id, content)
    await uow.layouts.save_version(revised)
    await uow.commit()
    return LayoutView(revised, content)


async def replace_draft(
    stores: Stores, *, org_id: str, venue_id: str, layout_id: str, draft: LayoutDraft, version: int | None = None
) -> LayoutView:
    """The whole draft replaced; `LayoutImmutable` when the version is published (or archived)."""
    async with stores.uow(org_id) as uow:
        record = await _editable(uow, venue_id, layout_id, version)
        return await _revise(stores, uow, org_id, record, draft)


async def patch_draft(
    stores: Stores, *, org_id: str, venue_id: str, layout_id: str, patch: LayoutPatch, version: int | None = None
) -> LayoutView:
    """The top-level fields given replace the draft's; `LayoutImmutable` when the version is published."""
    async with stores.uow(org_id) as uow:
        record = await _editable(uow, venue_id, layout_id, version)
        current = verified_draft(await stores.documents.draft(org_id, layout_id), record)
        return await _revise(stores, uow, org_id, record, patch.apply(draft_of(current)))


async def start_version(
    stores: Stores, *, org_id: str, venue_id: str, layout_id: str, from_version: int | None = None
) -> LayoutView:
    """A new draft, copied from a published version (the latest by default): same seats, same seat ids."""
    async with stores.uow(org_id) as uow:
        versions = await uow.layouts.versions(layout_id, venue_id=venue_id, lock=True)
        if (open_draft := latest(versions, "draft")) is not None:
            raise DraftAlreadyOpen(
                f"Version {open_draft.version} of this layout is a draft already; edit or publish it"
            )
        source = find_version(versions, layout_id, from_version)
        stored = await stores.documents.published(layout_id, source.version, org_id=org_id)
        copied, _ = verified_published(stored, source)
        next_version = max(v.version for v in versions) + 1
        content = build_layout(layout_id, next_version, draft_of(copied))
        record = LayoutVersion.draft(venue_id, content, stores.clock.now())
        await _save_draft(stores, org_id, venue_id, content)
        await uow.layouts.add_version(record)
        await uow.commit()
    return LayoutView(record, content)

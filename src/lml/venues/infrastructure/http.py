"""Venues' HTTP routes (`/v1/admin/venues`): operators describe their rooms and publish seat maps.

Every route needs a bearer token and `X-Org-ID`; `owner` and `manager` may write, `box_office` may
read. Another organization's venue or layout answers 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, Router, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from lml.identity.facade import READERS, WRITERS, OperatorAccess, current_operator, operator_in
from lml.platform.http.contract import Contract, contract, route_contract
from lml.venues.application import edit_layouts, manage_venues, publish_layout, read_layouts
from lml.venues.application.ports import Stores
from lml.venues.application.views import LayoutHistory, LayoutView
from lml.venues.domain.layout import (
    LayoutContent,
    LayoutDraftBody,
    LayoutPatch,
    LayoutType,
    Section,
    Shape,
    Viewport,
    Zone,
)
from lml.venues.domain.layout_rules import MAX_SEATS
from lml.venues.domain.layout_version import LayoutStatus, LayoutVersion, latest
from lml.venues.domain.venue import Venue, VenueDraft
from lml.venues.infrastructure.services import VenuesServices

AnyRequest = Request[Any, Any, Any]

# A 100,000-seat layout sent back as read (seat ids included, pretty-printed) is about 20 MiB.
LAYOUT_MAX_BODY_BYTES = 32 * 1024 * 1024
# What a layout valid per the schema must still meet (a 422 listing every problem otherwise).
LAYOUT_RULE = (f"no seat twice (section, row and number) nor two seats with one seat id, no zone_id twice, at most"
               f" {MAX_SEATS} seats; bounds within the viewport (x + width and y + height at most 1)")
# A change is checked with the draft it changes: the rules of a whole draft's layout type too.
PATCH_RULE = ("the draft as changed meets every rule of a draft: a seated layout has seats and no GA zones,"
              f" a standing one GA zones and no seats, a hybrid one both; {LAYOUT_RULE}")

IMMUTABLE = "private, max-age=31536000, immutable"
# "The latest published version" moves when a new one is published: revalidate (cheap, by ETag).
REVALIDATE = "private, max-age=0, must-revalidate"


async def _stores(venues: NamedDependency[VenuesServices]) -> Stores:
    return venues.stores


# --- Bodies and answers


class CapacityOut(msgspec.Struct, frozen=True):
    seats: int
    standing: int
    total: int


class VenueOut(msgspec.Struct, frozen=True, kw_only=True):
    venue_id: str
    name: str
    address: str
    city: str
    country: str | None
    timezone: str
    capacity: CapacityOut
    created_at: datetime

    @classmethod
    def of(cls, venue: Venue) -> VenueOut:
        return cls(
            venue_id=venue.venue_id, name=venue.name, address=venue.address, city=venue.city,
            country=venue.country, timezone=venue.timezone, created_at=venue.created_at,
            capacity=CapacityOut(venue.seat_capacity, venue.standing_capacity, venue.capacity),
        )


class VenueList(msgspec.Struct, frozen=True):
    items: list[VenueOut]


class LayoutOut(msgspec.Struct, frozen=True, kw_only=True):
    """A layout version: its seat map (a `seat_id` on every seat) and where it is in its lifecycle."""

    layout_id: LayoutId
    venue_id: str
    version: int
    status: LayoutStatus
    hash: str | None
    name: str
    layout_type: LayoutType
    viewport: Viewport
    sections: list[Section]
    zones: list[Zone]
    shapes: list[Shape]
    seat_count: int
    zone_capacity: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    archived_at: datetime | None

    @classmethod
    def of(cls, view: LayoutView) -> LayoutOut:
        record, content = view.record, view.content
        return cls(
            layout_id=record.layout_id, venue_id=record.venue_id, version=record.version, status=record.status,
            hash=record.hash, name=content.name, layout_type=content.layout_type, viewport=content.viewport,
            sections=content.sections, zones=content.zones, shapes=content.shapes, seat_count=content.seat_count,
            zone_capacity=content.zone_capacity, created_at=record.created_at, updated_at=record.updated_at,
            published_at=record.published_at, archived_at=record.archived_at,
        )


class LayoutSummary(msgspec.Struct, frozen=True, kw_only=True):
    layout_id: LayoutId
    name: str
    latest_version: int
    draft_version: int | None
    published_version: int | None
    versions: list[LayoutVersion]

    @classmethod
    def of(cls, history: LayoutHistory) -> LayoutSummary:
        newest = latest(history.versions)
        draft = latest(history.versions, "draft")
        published = latest(history.versions, "published")
        return cls(
            layout_id=history.layout_id,
            name=newest.name if newest else "",
            latest_version=newest.version if newest else 0,
            draft_version=draft.version if draft else None,
            published_version=published.version if published else None,
            versions=history.versions,
        )


class LayoutList(msgspec.Struct, frozen=True):
    items: list[LayoutSummary]


class VersionList(msgspec.Struct, frozen=True):
    items: list[LayoutVersion]


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in candidates or etag in candidates


Operator = NamedDependency[OperatorAccess]
StoresDep = NamedDependency[Stores]
VenueId = FromPath[str]
LayoutId = FromPath[str]
VersionQuery = Annotated[
    int | None, QueryParameter(ge=1, required=False, description="a version number; default: the newest")
]


class VenuesController(Controller):
    path = "/v1/admin/venues"
    tags = ["venues"]
    dependencies = {"operator": Provide(current_operator), "stores": Provide(_stores)}

    @post("/", operation_id="createVenue", status_code=201, guards=[operator_in(WRITERS)], summary="Create a venue")
    async def create_venue(self, operator: Operator, stores: StoresDep, data: JSONBody[VenueDraft]) -> VenueOut:
        return VenueOut.of(await manage_venues.create_venue(stores, org_id=operator.org_id, draft=data))

    @get("/", operation_id="listVenues", guards=[operator_in(READERS)], summary="The organization's venues")
    async def list_venues(self, operator: Operator, stores: StoresDep) -> VenueList:
        return VenueList([VenueOut.of(v) for v in await manage_venues.list_venues(stores, org_id=operator.org_id)])

    @get("/{venue_id:str}", operation_id="getVenue", guards=[operator_in(READERS)], summary="A venue")
    async def get_venue(self, operator: Operator, stores: StoresDep, venue_id: VenueId) -> VenueOut:
        return VenueOut.of(await manage_venues.get_venue(stores, org_id=operator.org_id, venue_id=venue_id))

    @post(
        "/{venue_id:str}/layouts",
        operation_id="createLayout",
        opt=route_contract(Contract(rule=LAYOUT_RULE)),
        status_code=201,
        guards=[operator_in(WRITERS)],
        request_max_body_size=LAYOUT_MAX_BODY_BYTES,
        summary="Create a layout (version 1, a draft); 422 lists every problem",
    )
    async def create_layout(
        self, operator: Operator, stores: StoresDep, venue_id: VenueId, data: JSONBody[LayoutDraftBody]
    ) -> LayoutOut:
        view = await edit_layouts.create_layout(stores, org_id=operator.org_id, venue_id=venue_id, draft=data)
        return LayoutOut.of(view)

    @get("/{venue_id:str}/layouts", operation_id="listLayouts",
         guards=[operator_in(READERS)], summary="The venue's layouts and their versions")
    async def list_layouts(self, operator: Operator, stores: StoresDep, venue_id: VenueId) -> LayoutList:
        histories = await read_layouts.list_layouts(stores, org_id=operator.org_id, venue_id=venue_id)
        return LayoutList([LayoutSummary.of(h) for h in histories])

    @get(
        "/{venue_id:str}/layouts/{layout_id:str}",
        operation_id="getLayout",
        opt=route_contract(contract(304, reads=("If-None-Match",), sends=("ETag", "Cache-Control"), body={
            # `?format=export`: the version's canonical JSON, as published (what its hash covers).
            "application/json": (LayoutOut, LayoutContent)})),
        guards=[operator_in(READERS)],
        summary="A layout version; `?format=export`: the canonical JSON of a published version, ETag = its hash",
        responses={
            200: ResponseSpec(LayoutOut, description="The layout document; with `format=export`, the canonical "
                              "JSON of the version (what its hash covers), `ETag` = the hash"),
            304: ResponseSpec(None, description="The export has not changed (If-None-Match)"),
        },
    )
    async def get_layout(
        self,
        request: AnyRequest,
        operator: Operator,
        stores: StoresDep,
        venue_id: VenueId,
        layout_id: LayoutId,
        version: VersionQuery = None,
        format: FromQuery[Literal["document", "export"]] = "document",
    ) -> Response[Any]:
        if format == "document":
            view = await read_layouts.get_layout(
                stores, org_id=operator.org_id, venue_id=venue_id, layout_id=layout_id, version=version
            )
            return Response(LayoutOut.of(view))
        export = await read_layouts.export_layout(
            stores, org_id=operator.org_id, venue_id=venue_id, layout_id=layout_id, version=version
        )
        etag = f'"{export.record.hash}"'
        headers = {"ETag": etag, "Cache-Control": IMMUTABLE if version is not None else REVALIDATE,
                   "X-Layout-Version": str(export.record.version)}
        if _etag_matches(request.headers.get("if-none-match"), etag):
            return Response(b"", status_code=304, headers=headers)
        return Response(export.body, media_type="application/json", headers=headers)

    @put(
        "/{venue_id:str}/layouts/{layout_id:str}",
        operation_id="replaceLayout",
        opt=route_contract(Contract(rule=LAYOUT_RULE)),
        guards=[operator_in(WRITERS)],
        request_max_body_size=LAYOUT_MAX_BODY_BYTES,
        summary="Replace the draft; 409 once published (start a new version instead)",
    )
    async def replace_layout(
        self, operator: Operator, stores: StoresDep, venue_id: VenueId, layout_id: LayoutId,
        data: JSONBody[LayoutDraftBody], version: VersionQuery = None,
    ) -> LayoutOut:
        view = await edit_layouts.replace_draft(
            stores, org_id=operator.org_id, venue_id=venue_id, layout_id=layout_id, draft=data, version=version
        )
        return LayoutOut.of(view)

    @patch(
        "/{venue_id:str}/layouts/{layout_id:str}",
        operation_id="patchLayout",
        opt=route_contract(Contract(rule=PATCH_RULE)),
        guards=[operator_in(WRITERS)],
        request_max_body_size=LAYOUT_MAX_BODY_BYTES,
        summary="Change top-level fields of the draft; 409 once published",
    )
    async def patch_layout(
        self, operator: Operator, stores: StoresDep, venue_id: VenueId, layout_id: LayoutId,
        data: JSONBody[LayoutPatch], version: VersionQuery = None,
    ) -> LayoutOut:
        view = await edit_layouts.patch_draft(
            stores, org_id=operator.org_id, venue_id=venue_id, layout_id=layout_id, patch=data, version=version
        )
        return LayoutOut.of(view)

    @post(
        "/{venue_id:str}/layouts/{layout_id:str}/publish",
        operation_id="publishLayout",
        status_code=200,
        guards=[operator_in(WRITERS)],
        summary="Publish the draft: it gets its content hash and never changes again",
    )
    async def publish(
        self, operator: Operator, stores: StoresDep, venue_id: VenueId, layout_id: LayoutId
    ) -> LayoutVersion:
        return await publish_layout.publish_layout(stores, org_id=operator.org_id, venue_id=venue_id,
                                                   layout_id=layout_id)

    @get("/{venue_id:str}/layouts/{layout_id:str}/versions", operation_id="listLayoutVersions",
         guards=[operator_in(READERS)],
         summary="Every version of a layout")
    async def list_versions(
        self, operator: Operator, stores: StoresDep, venue_id: VenueId, layout_id: LayoutId
    ) -> VersionList:
        return VersionList(
            await read_layouts.list_versions(stores, org_id=operator.org_id, venue_id=venue_id, layout_id=layout_id)
        )

    @post(
        "/{venue_id:str}/layouts/{layout_id:str}/versions",
        operation_id="startLayoutVersion",
        status_code=201,
        guards=[operator_in(WRITERS)],
        summary="Start a new draft version, copied from a published one (the latest by default)",
    )
    async def start_version(
        self, operator: Operator, stores: StoresDep, venue_id: VenueId, layout_id: LayoutId,
        from_version: Annotated[int | None, QueryParameter(ge=1, required=False)] = None,
    ) -> LayoutOut:
        view = await edit_layouts.start_version(
            stores, org_id=operator.org_id, venue_id=venue_id, layout_id=layout_id, from_version=from_version
        )
        return LayoutOut.of(view)

    @post(
        "/{venue_id:str}/layouts/{layout_id:str}/versions/{version:int}/archive",
        operation_id="archiveLayoutVersion",
        status_code=200,
        guards=[operator_in(WRITERS)],
        summary="Archive a published version: no new show may pin it",
    )
    async def archive(
        self, operator: Operator, stores: StoresDep, venue_id: VenueId, layout_id: LayoutId, version: FromPath[int]
    ) -> LayoutVersion:
        return await publish_layout.archive_version(
            stores, org_id=operator.org_id, venue_id=venue_id, layout_id=layout_id, version=version
        )


router = Router(path="/", route_handlers=[VenuesController])

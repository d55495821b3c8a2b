"""A layout version's lifecycle: `draft → published → archived`. Only a draft ever changes content."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from lml.venues.domain.errors import InvalidTransition, LayoutImmutable
from lml.venues.domain.layout import LayoutContent, LayoutType

LayoutStatus = Literal["draft", "published", "archived"]


class LayoutVersion(msgspec.Struct, frozen=True, kw_only=True):
    """What is known about one version besides its seats: status, hash once published, sizes."""

    layout_id: str
    venue_id: str
    version: int
    status: LayoutStatus
    name: str
    layout_type: LayoutType
    seat_count: int
    zone_capacity: int
    created_at: datetime
    updated_at: datetime
    hash: str | None = None
    published_at: datetime | None = None
    archived_at: datetime | None = None

    @classmethod
    def draft(cls, venue_id: str, content: LayoutContent, at: datetime) -> LayoutVersion:
        return cls(
            layout_id=content.layout_id,
            venue_id=venue_id,
            version=content.version,
            status="draft",
            name=content.name,
            layout_type=content.layout_type,
            seat_count=content.seat_count,
            zone_capacity=content.zone_capacity,
            created_at=at,
            updated_at=at,
        )

    def ensure_editable(self) -> None:
        if self.status != "draft":
            raise LayoutImmutable(
                f"Version {self.version} of this layout is {self.status} and never changes;"
                " POST .../versions to start a new draft from it"
            )

    def revise(self, content: LayoutContent, at: datetime) -> LayoutVersion:
        self.ensure_editable()
        return msgspec.structs.replace(
            self,
            name=content.name,
            layout_type=content.layout_type,
            seat_count=content.seat_count,
            zone_capacity=content.zone_capacity,
            updated_at=at,
        )

    def publish(self, content_hash: str, at: datetime) -> LayoutVersion:
        self.ensure_editable()
        return msgspec.structs.replace(self, status="published", hash=content_hash, published_at=at, updated_at=at)

    def archive(self, at: datetime) -> LayoutVersion:
        if self.status != "published":
            raise InvalidTransition(
                f"Only a published version can be archived; version {self.version} is {self.status}"
            )
        return msgspec.structs.replace(self, status="archived", archived_at=at, updated_at=at)


def latest(versions: list[LayoutVersion], *statuses: LayoutStatus) -> LayoutVersion | None:
    """The highest version whose status is one of `statuses` (any status when none are given)."""
    wanted = [v for v in versions if not statuses or v.status in statuses]
    return max(wanted, key=lambda v: v.version, default=None)

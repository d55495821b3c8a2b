"""What the read and write use cases answer with."""

from __future__ import annotations

import msgspec

from lml.venues.domain.layout import LayoutContent
from lml.venues.domain.layout_version import LayoutVersion


class LayoutView(msgspec.Struct, frozen=True):
    """One version: its lifecycle record and its seat map."""

    record: LayoutVersion
    content: LayoutContent


class LayoutExport(msgspec.Struct, frozen=True):
    """A published version in canonical form: `body` hashes to `record.hash`."""

    record: LayoutVersion
    body: bytes


class LayoutHistory(msgspec.Struct, frozen=True):
    """A layout and all its versions, oldest first."""

    layout_id: str
    venue_id: str
    versions: list[LayoutVersion]


class PinnedView(msgspec.Struct, frozen=True, kw_only=True):
    """A published version read by its pin, with its canonical bytes (they hash to the pin)."""

    org_id: str
    venue_id: str
    content: LayoutContent
    body: bytes

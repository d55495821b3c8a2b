"""Finding the version a request is about among a layout's versions."""

from __future__ import annotations

from lml.venues.domain.errors import LayoutNotFound
from lml.venues.domain.layout_version import LayoutVersion, latest


def find_version(versions: list[LayoutVersion], layout_id: str, version: int | None) -> LayoutVersion:
    """The given version, or the newest one (an open draft if there is one)."""
    found = latest(versions) if version is None else next((v for v in versions if v.version == version), None)
    if found is None:
        what = f"version {version} of layout {layout_id}" if version is not None and versions else f"layout {layout_id}"
        raise LayoutNotFound(f"There is no {what} here")
    return found

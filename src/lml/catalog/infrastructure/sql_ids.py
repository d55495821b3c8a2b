"""Ids in URLs are opaque strings to clients, but uuid columns to PostgreSQL: a string that is no
uuid names nothing (404), rather than failing the cast inside a query (500)."""

from __future__ import annotations

import uuid


def as_uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None

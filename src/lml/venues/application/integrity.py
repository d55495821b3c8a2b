"""Serve nothing that does not match its hash: a document altered behind our back is refused, and said so."""

from __future__ import annotations

import hashlib
import hmac

from lml.platform.logging import get_logger
from lml.venues.application.ports import StoredLayout
from lml.venues.domain.canonical import canonical_json
from lml.venues.domain.errors import LayoutIntegrityError
from lml.venues.domain.layout import LayoutContent
from lml.venues.domain.layout_version import LayoutVersion

log = get_logger("lml.venues.integrity")


def _refuse(layout_id: str, version: int, reason: str) -> LayoutIntegrityError:
    log.error("layout_integrity_failed", layout_id=layout_id, version=version, reason=reason)
    return LayoutIntegrityError(
        f"Version {version} of layout {layout_id} failed its integrity check ({reason}); it is not served"
    )


def verified(
    stored: StoredLayout | None, layout_id: str, version: int, expected_hash: str
) -> tuple[LayoutContent, bytes]:
    """The content and its canonical bytes, when both the stored hash and the content's own hash are
    `expected_hash`; otherwise `LayoutIntegrityError`."""
    if stored is None:
        raise _refuse(layout_id, version, "the document is missing")
    content = stored.content
    if content.layout_id != layout_id or content.version != version:
        raise _refuse(layout_id, version, "the document is of another version")
    if not hmac.compare_digest(stored.hash, expected_hash):
        raise _refuse(layout_id, version, "the stored hash is not the one recorded")
    body = canonical_json(content)
    if not hmac.compare_digest(hashlib.sha256(body).hexdigest(), expected_hash):
        raise _refuse(layout_id, version, "the content does not match its hash")
    return content, body


def verified_draft(stored: StoredLayout | None, record: LayoutVersion) -> LayoutContent:
    """A draft is checked against the checksum written with it: changed only through this context."""
    expected = stored.hash if stored is not None else ""
    content, _ = verified(stored, record.layout_id, record.version, expected)
    return content


def verified_published(stored: StoredLayout | None, record: LayoutVersion) -> tuple[LayoutContent, bytes]:
    return verified(stored, record.layout_id, record.version, record.hash or "")

"""The canonical form of a layout version: the exact bytes that are hashed, pinned and exported.

Sorted keys, no whitespace, msgspec's encoding (floats in their shortest round-tripping form,
defaults omitted). The same content always gives the same bytes, so the hash proves that what is
served is what was published.
"""

from __future__ import annotations

import hashlib
import hmac

import msgspec

from lml.venues.domain.layout import LayoutContent


def canonical_json(content: LayoutContent) -> bytes:
    return msgspec.json.encode(content, order="sorted")


def content_hash(content: LayoutContent) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def hash_matches(content: LayoutContent, expected: str) -> bool:
    return hmac.compare_digest(content_hash(content), expected)

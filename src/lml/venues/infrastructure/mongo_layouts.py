"""Seat maps on MongoDB.

- `layout_drafts`: a layout's one draft, `_id` = layout id, replaced whole on every edit, with the
  checksum of its content written next to it.
- `layout_versions`: published versions, `_id` = "<layout id>:<version>", inserted once and never
  updated (this module has no update for them), with their content hash.

Every query names the organization, except the read by pin (id, version), which the hash guards.
Validators (`$jsonSchema`) are defence in depth on a real MongoDB; the layout rules are the guarantee
(the nx-27017 test server accepts validators but does not enforce them). Booleans are only ever
written as parts of whole documents: nx-27017 stores a `$set` boolean as an integer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from pymongo.errors import CollectionInvalid, DuplicateKeyError, OperationFailure

from lml.platform.logging import get_logger
from lml.platform.mongo import Mongo
from lml.platform.single_flight import SingleFlight
from lml.venues.application.ports import StoredLayout
from lml.venues.domain.errors import LayoutIntegrityError
from lml.venues.domain.layout import LAYOUT_TYPES, LayoutContent

DRAFTS = "layout_drafts"
VERSIONS = "layout_versions"

log = get_logger("lml.venues.mongo")

_NUMBER = {"bsonType": ["double", "int", "long", "decimal"]}
_UNIT = {**_NUMBER, "minimum": 0, "maximum": 1}
_SEAT = {
    "bsonType": "object",
    "required": ["seat_id", "number", "x", "y"],
    "properties": {
        "seat_id": {"bsonType": "string", "pattern": "^[0-9a-f]{16,64}$"},
        "number": {"bsonType": ["int", "long"], "minimum": 1},
        "x": _UNIT,
        "y": _UNIT,
        "accessible": {"bsonType": "bool"},
        "obstructed_view": {"bsonType": "bool"},
    },
}
_CONTENT = {
    "bsonType": "object",
    "required": ["layout_id", "version", "name", "layout_type", "viewport", "sections", "zones", "shapes",
                 "seat_count", "zone_capacity"],
    "properties": {
        "layout_type": {"enum": list(LAYOUT_TYPES)},
        "viewport": {
            "bsonType": "object",
            "required": ["width", "height", "unit"],
            "properties": {"unit": {"enum": ["relative", "px"]}},
        },
        "sections": {
            "bsonType": "array",
            "items": {
                "bsonType": "object",
                "required": ["label", "rows"],
                "properties": {
                    "rows": {
                        "bsonType": "array",
                        "minItems": 1,
                        "items": {
                            "bsonType": "object",
                            "required": ["label", "seats"],
                            "properties": {"seats": {"bsonType": "array", "minItems": 1, "items": _SEAT}},
                        },
                    }
                },
            },
        },
        "zones": {
            "bsonType": "array",
            "items": {
                "bsonType": "object",
                "required": ["zone_id", "name", "capacity"],
                "properties": {"capacity": {"bsonType": ["int", "long"], "minimum": 1}},
            },
        },
        "seat_count": {"bsonType": ["int", "long"], "minimum": 0, "maximum": 100_000},
        "zone_capacity": {"bsonType": ["int", "long"], "minimum": 0},
    },
}


def _schema(hash_field: str) -> dict[str, Any]:
    return {
        "$jsonSchema": {
            "bsonType": "object",
            "required": ["_id", "org_id", "venue_id", "layout_id", "version", hash_field, "content"],
            "properties": {
                "org_id": {"bsonType": "string"},
                "venue_id": {"bsonType": "string"},
                "layout_id": {"bsonType": "string"},
                "version": {"bsonType": ["int", "long"], "minimum": 1},
                hash_field: {"bsonType": "string", "pattern": "^[0-9a-f]{64}$"},
                "content": _CONTENT,
            },
        }
    }


_COLLECTIONS = {DRAFTS: _schema("checksum"), VERSIONS: _schema("hash")}
_INDEXES = {
    DRAFTS: [([("org_id", 1), ("layout_id", 1)], True, "org_layout")],
    VERSIONS: [
        ([("org_id", 1), ("layout_id", 1), ("version", 1)], True, "org_layout_version"),
        ([("org_id", 1), ("venue_id", 1)], False, "org_venue"),
    ],
}
_NAMESPACE_EXISTS = 48


async def ensure_venues_collections(mongo: Mongo) -> None:
    """Create venues' collections with their validators and indexes, or bring them up to date. Idempotent;
    safe when several processes run it at once."""
    existing = set(await mongo.db.list_collection_names())
    for name, validator in _COLLECTIONS.items():
        options: dict[str, Any] = {"validator": validator, "validationLevel": "strict", "validationAction": "error"}
        if name in existing:
            await mongo.db.command("collMod", name, **options)
            continue
        try:
            await mongo.db.create_collection(name, **options)
        except CollectionInvalid:
            pass  # created meanwhile by another process
        except OperationFailure as exc:
            if exc.code != _NAMESPACE_EXISTS:
                raise
    for name, indexes in _INDEXES.items():
        for keys, unique, index_name in indexes:
            await mongo.db[name].create_index(keys, unique=unique, name=index_name)


def _version_key(layout_id: str, version: int) -> str:
    return f"{layout_id}:{version}"


class MongoLayoutDocuments:
    """One per process (venues' services): the collections are set up on first use, once."""

    def __init__(self, mongo: Mongo) -> None:
        self._mongo = mongo
        self._ready = False
        self._setting_up: SingleFlight[str, None] = SingleFlight()
        self._drafts = mongo.db[DRAFTS]
        self._versions = mongo.db[VERSIONS]

    async def _ensure_collections(self) -> None:
        if not self._ready:
            await self._setting_up.run("collections", lambda: ensure_venues_collections(self._mongo))
            self._ready = True

    @staticmethod
    def _stored(doc: dict[str, Any], hash_field: str) -> StoredLayout:
        try:
            return StoredLayout(
                org_id=doc["org_id"],
                venue_id=doc["venue_id"],
                content=msgspec.convert(doc["content"], LayoutContent),
                hash=str(doc[hash_field]),
            )
        except (KeyError, TypeError, msgspec.ValidationError) as exc:
            log.error("layout_document_unreadable", document_id=doc.get("_id"), error=str(exc))
            raise LayoutIntegrityError("The stored layout no longer reads as a layout; it is not served") from None

    async def save_draft(self, org_id: str, venue_id: str, content: LayoutContent, checksum: str) -> None:
        await self._ensure_collections()
        doc = {
            "_id": content.layout_id,
            "org_id": org_id,
            "venue_id": venue_id,
            "layout_id": content.layout_id,
            "version": content.version,
            "checksum": checksum,
            "content": msgspec.to_builtins(content),
            "saved_at": datetime.now(UTC),
        }
        await self._drafts.replace_one({"_id": content.layout_id, "org_id": org_id}, doc, upsert=True)

    async def draft(self, org_id: str, layout_id: str) -> StoredLayout | None:
        await self._ensure_collections()
        doc = await self._drafts.find_one({"_id": layout_id, "org_id": org_id})
        return self._stored(doc, "checksum") if doc is not None else None

    async def discard_draft(self, org_id: str, layout_id: str, version: int) -> None:
        await self._ensure_collections()
        await self._drafts.delete_one({"_id": layout_id, "org_id": org_id, "version": version})

    async def insert_published(
        self, org_id: str, venue_id: str, content: LayoutContent, content_hash: str
    ) -> str | None:
        await self._ensure_collections()
        key = _version_key(content.layout_id, content.version)
        doc = {
            "_id": key,
            "org_id": org_id,
            "venue_id": venue_id,
            "layout_id": content.layout_id,
            "version": content.version,
            "hash": content_hash,
            "content": msgspec.to_builtins(content),
            "published_at": datetime.now(UTC),
        }
        try:
            await self._versions.insert_one(doc)
        except DuplicateKeyError:
            existing = await self._versions.find_one({"_id": key}, projection={"hash": 1})
            return str(existing["hash"]) if existing is not None else ""
        return None

    async def discard_unpublished(self, layout_id: str, version: int, content_hash: str) -> None:
        await self._ensure_collections()
        await self._versions.delete_one({"_id": _version_key(layout_id, version), "hash": content_hash})

    async def published(self, layout_id: str, version: int, *, org_id: str | None = None) -> StoredLayout | None:
        await self._ensure_collections()
        query: dict[str, Any] = {"_id": _version_key(layout_id, version)}
        if org_id is not None:
            query["org_id"] = org_id
        doc = await self._versions.find_one(query)
        return self._stored(doc, "hash") if doc is not None else None

"""The edge refuses a NUL character (U+0000) in every string and member name of a request
(`request_guard`): the document says so on every schema a request uses (its body, path and query),
so that a request it calls valid is one the edge lets through.

A string with no `pattern` of its own gets `NO_NUL_PATTERN` (a route's own pattern leaves NUL out
itself); an object gets `propertyNames`, and when it takes members it does not name, they are
`JsonValue`: any JSON without a NUL in it."""

from __future__ import annotations

from typing import Any

from lml.platform.http.request_guard import NO_NUL_PATTERN

JSON_VALUE = "JsonValue"
_NO_NUL = {"pattern": NO_NUL_PATTERN}
_SCHEMAS = "#/components/schemas/"
_JSON_VALUE_REF = {"$ref": f"{_SCHEMAS}{JSON_VALUE}"}
# Keywords whose value is a schema, or a list or map of schemas, to walk into.
_ONE = ("items", "additionalProperties", "not", "propertyNames", "contains")
_MANY = ("anyOf", "oneOf", "allOf", "prefixItems")


def json_value_schema() -> dict[str, Any]:
    return {
        "description": "Any JSON value; no string or member name in it holds a NUL character",
        "anyOf": [
            {"type": "string", **_NO_NUL},
            {"type": ["number", "boolean", "null"]},
            {"type": "array", "items": _JSON_VALUE_REF},
            {"type": "object", "propertyNames": _NO_NUL, "additionalProperties": _JSON_VALUE_REF},
        ],
    }


def referenced(schemas: dict[str, Any], roots: list[Any]) -> set[str]:
    """The names of the `schemas` components that `roots` refer to, directly or not."""
    found: set[str] = set()
    pending = list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            name = ref.rsplit("/", 1)[-1] if isinstance(ref, str) and ref.startswith(_SCHEMAS) else None
            if name is not None and name not in found and name in schemas:
                found.add(name)
                pending.append(schemas[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def without_nul(schema: Any) -> Any:
    """`schema` (not changed) that also says no string or member name holds a NUL."""
    if isinstance(schema, list):
        return [without_nul(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: without_nul(value) if key in _ONE or key in _MANY else value for key, value in schema.items()}
    if "properties" in schema:
        out["properties"] = {name: without_nul(value) for name, value in schema["properties"].items()}
    if "$defs" in schema:
        out["$defs"] = {name: without_nul(value) for name, value in schema["$defs"].items()}
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "string" in kinds and not any(key in schema for key in ("pattern", "enum", "const", "format")):
        out.update(_NO_NUL)
    if "object" in kinds:
        out.setdefault("propertyNames", _NO_NUL)
        if schema.get("additionalProperties", True) is True:
            out["additionalProperties"] = _JSON_VALUE_REF
    return out

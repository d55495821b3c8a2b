"""List every field error of a body at once (msgspec stops at the first)."""

from __future__ import annotations

import re
import types
import typing
from typing import Any

import msgspec

from lml.platform.domain.errors import FieldError

_AT = re.compile(r" - at `\$[^`]*`$")


def collect_field_errors(value: Any, target: Any, path: str = "") -> list[FieldError]:
    """All the reasons `value` does not convert to `target`, each with its JSON-pointer path."""
    try:
        msgspec.convert(value, target, strict=False)
        return []
    except msgspec.ValidationError as exc:
        first = FieldError(path or "/", _AT.sub("", str(exc)))
    origin = typing.get_origin(target)
    args = typing.get_args(target)
    if isinstance(target, type) and issubclass(target, msgspec.Struct) and isinstance(value, dict):
        errors = _struct_errors(value, target, path)
    elif origin in (list, tuple, set, frozenset) and isinstance(value, list) and args:
        errors = [e for i, item in enumerate(value) for e in collect_field_errors(item, args[0], f"{path}/{i}")]
    elif origin is dict and isinstance(value, dict) and len(args) == 2:
        errors = [e for k, item in value.items() for e in collect_field_errors(item, args[1], f"{path}/{k}")]
    elif origin is typing.Annotated and args:
        errors = collect_field_errors(value, args[0], path)
        errors = errors or [first]
    elif origin in (typing.Union, types.UnionType):
        errors = [first]
    else:
        errors = [first]
    return errors or [first]


def _struct_errors(value: dict[str, Any], target: type[msgspec.Struct], path: str) -> list[FieldError]:
    hints = typing.get_type_hints(target, include_extras=True)
    config = target.__struct_config__
    fields = target.__struct_fields__
    encoded = target.__struct_encode_fields__
    n_required = len(fields) - len(target.__struct_defaults__)
    errors: list[FieldError] = []
    for index, (name, wire) in enumerate(zip(fields, encoded, strict=True)):
        where = f"{path}/{wire}"
        if wire not in value:
            if index < n_required:
                errors.append(FieldError(where, "is required"))
            continue
        errors.extend(collect_field_errors(value[wire], hints[name], where))
    if config.forbid_unknown_fields:
        errors.extend(FieldError(f"{path}/{k}", "is not a known field") for k in value if k not in encoded)
    return errors

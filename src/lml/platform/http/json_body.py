"""A route's JSON body read straight from `receive` and converted to the route's type: what Litestar's
`data` parameter does, without its per-request machinery (kwargs model, body stream, headers parsed
again), for routes hot enough that it shows. Refused with the same problems as a `data` parameter:
400 when the body is not JSON (or not UTF-8), 422 naming every field that does not convert.

The route states its body in its contract (`reads_body`), so the document describes it as before."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from litestar.exceptions import SerializationException, ValidationException
from litestar.types import Receive

from lml.platform.domain.errors import FieldError
from lml.platform.http.validation import collect_field_errors

T = TypeVar("T")

_DECODER = msgspec.json.Decoder()
# What a `data` parameter answers to a request without a body, word for word.
_NO_BODY = [FieldError("/data", "'data'")]


async def read_body(receive: Receive) -> bytes:
    """The whole body, however many messages it comes in."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def json_body(receive: Receive, target: Any) -> Any:
    """The body converted to `target` (a type, or an Annotated one), as loosely as Litestar converts
    a `data` parameter (`strict=False`: "2" is a 2). A body nested deeper than msgspec decodes raises
    its RecursionError, answered as a 400 like any such body."""
    return decode_json(await read_body(receive), target)


def decode_json(body: bytes, target: Any) -> Any:
    """`json_body`'s conversion of a body already read."""
    if not body:
        raise _invalid(_NO_BODY)
    try:
        value = _DECODER.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise SerializationException(str(exc)) from exc
    try:
        return msgspec.convert(value, target, strict=False)
    except msgspec.ValidationError:
        raise _invalid(collect_field_errors(value, target)) from None


def _invalid(errors: list[FieldError]) -> ValidationException:
    """The errors as Litestar reports a body's (`lml.platform.http.problems` reads them back)."""
    return ValidationException(extra=[{"message": e.message, "key": e.path[1:], "source": "body"} for e in errors])

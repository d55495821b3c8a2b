"""Answers sent to the server as they are, for the routes clients call most (a hold, a conditional GET
of the seat map or availability, the liveness probe).

Litestar turns a route's `Response` into an `ASGIResponse` per request (a copy of its headers into a
header container, each name and value encoded one by one): about ten times what sending the same
answer costs. A route returns an `Answer` in its place, with its return annotated `ASGIApp` (which
Litestar hands to the server untouched) and its body described by its `Contract`; the problems it
returns rather than raises are answered as `Answer`s too (`lml.platform.http.problems.domain_error_answer`).
An `Answer` carries the headers a `Response` would: the route's, then `content-type` and
`content-length` where the status allows a body."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
from litestar.types import Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]

_ENCODER = msgspec.json.Encoder()


class Answer:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: Headers, body: bytes = b"") -> None:
        self.status = status
        self.headers = headers
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


def headers_of(fields: Iterable[tuple[str, str]]) -> Headers:
    """Header fields as an answer carries them: lower-case names, both sides encoded."""
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in fields]


def json_answer(status: int, body: bytes | msgspec.Struct, headers: Headers, *,
                media_type: bytes = b"application/json") -> Answer:
    """`body` (JSON, or a Struct to encode) with `headers`, the route's own."""
    encoded = body if isinstance(body, bytes) else _ENCODER.encode(body)
    return Answer(status, [*headers, (b"content-type", media_type), (b"content-length", str(len(encoded)).encode())],
                  encoded)


def not_modified(headers: Headers) -> Answer:
    """304: the representation the client holds is current (no body, no content headers)."""
    return Answer(304, headers)

"""The edge of every routed request (app-level middleware): what no route should have to think about.

- NUL characters (U+0000): PostgreSQL stores none in text, so one that reached a query was a 500.
  Refused in path parameters, the query string and the body (a JSON `\\u0000` escape, a form's `%00`)
  with a 422 naming each place.
- The body's size: at most the route's `request_max_body_size` (LML_MAX_BODY_BYTES unless the route
  allows more). A larger Content-Length is refused before a byte is read, a longer body as soon as
  it passes the limit: 413.
- The body's pace: all of it within LML_BODY_TIMEOUT_SECONDS of the first read, else 408; a body
  trickled a byte at a time no longer holds a request open for as long as the client likes. A
  client that hangs up mid-body is answered 400 (nobody reads it; it is no error of ours).

The body rules wrap `receive`, so they hold for every reader alike: Litestar's own, the
Idempotency-Key middleware, and routes that read `request.body()` themselves."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import parse_qsl

import msgspec
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, HTTPException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from lml.platform.domain.errors import FieldError, InvalidInput
from lml.platform.http.request_headers import header

NUL = "\x00"
# The rule above as the OpenAPI document states it, on every string and member name (JSON Schema regex).
NO_NUL_PATTERN = "^[^\\x00]*$"
_FORM = "application/x-www-form-urlencoded"
# A form's NUL is `%00` (or a raw byte); JSON's is the escape `\u0000`: a raw one is no valid JSON.
_FORM_SUSPECTS = (b"%00", b"\x00")
_JSON_SUSPECTS = (b"u0000",)
_MAX_NAMED = 20  # places named in one problem; enough to fix a request, bounded for a hostile one


class NulCharacter(InvalidInput):
    """The input holds a character that cannot be stored, such as NUL (U+0000)."""

    def __init__(self, paths: list[str]) -> None:
        detail = f"NUL characters (U+0000) are not accepted: {', '.join(paths)}" if paths else None
        super().__init__([FieldError(path, "must not contain a NUL character (U+0000)") for path in paths],
                         detail or self.__doc__)


class BodyTimeout(HTTPException):
    status_code = 408

    def __init__(self, seconds: float) -> None:
        # The rest of the body may still be on its way: this connection carries no further request.
        super().__init__(detail=f"The request body did not arrive within {seconds:g} seconds",
                         headers={"Connection": "close"})


class BodyIncomplete(ClientException):
    def __init__(self) -> None:
        super().__init__(detail="The connection closed before the request body was complete")


def request_guard(body_timeout_seconds: float) -> Callable[[ASGIApp], ASGIApp]:
    def middleware(app: ASGIApp) -> ASGIApp:
        async def guard(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == ScopeType.HTTP:
                _refuse_nul_in_url(scope)
                receive = _GuardedBody(scope, receive, body_timeout_seconds)
            await app(scope, receive, send)

        return guard

    return middleware


def may_hold_nul(content_type: str | None, body: bytes) -> bool:
    """Whether the guard would look into this whole body for a NUL (a form's, or one a suspect may be)."""
    return (content_type or "").lower().startswith(_FORM) or any(s in body for s in _JSON_SUSPECTS)


def _refuse_nul_in_url(scope: Scope) -> None:
    paths = [f"/{name}" for name, value in scope.get("path_params", {}).items()
             if isinstance(value, str) and NUL in value]
    query: bytes = scope.get("query_string", b"")
    if any(suspect in query for suspect in _FORM_SUSPECTS):
        paths += [f"/{name}" for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
                  if NUL in name or NUL in value]
    if paths:
        raise NulCharacter(list(dict.fromkeys(paths))[:_MAX_NAMED])


class _GuardedBody:
    """`receive` held to the rules of the module's docstring until the body is complete; after it
    (a route waiting for the client to disconnect, say) messages pass untouched."""

    # Set up by the first read, not per request: most requests (GETs) never read a body.
    _deadline: float | None = None
    _limit = math.inf
    _size = 0
    _complete = False
    _nul: _NulScan

    def __init__(self, scope: Scope, receive: Receive, timeout: float) -> None:
        self._scope = scope
        self._receive = receive
        self._timeout = timeout

    async def __call__(self) -> ReceiveMessage:
        if self._complete:
            return await self._receive()
        if self._deadline is None:
            self._begin()
        try:
            async with asyncio.timeout_at(self._deadline):
                message = await self._receive()
        except TimeoutError:
            raise BodyTimeout(self._timeout) from None
        if message["type"] == "http.disconnect":
            raise BodyIncomplete()
        if message["type"] == "http.request":
            self._take(message.get("body", b""), more=message.get("more_body", False))
        return message

    def _begin(self) -> None:
        handler = cast(HTTPRouteHandler, self._scope["route_handler"])  # the app mounts no raw ASGI route
        self._limit = handler.resolve_request_max_body_size() or math.inf
        announced = header(self._scope, b"content-length") or ""
        # Twenty digits already exceed any limit (and int() refuses a few thousand).
        if announced.isdigit() and (len(announced) > 20 or int(announced) > self._limit):
            raise RequestEntityTooLarge()
        self._nul = _NulScan(form=(header(self._scope, b"content-type") or "").lower().startswith(_FORM))
        self._deadline = asyncio.get_running_loop().time() + self._timeout

    def _take(self, chunk: bytes, *, more: bool) -> None:
        self._size += len(chunk)
        if self._size > self._limit:
            raise RequestEntityTooLarge()
        self._nul.feed(chunk)
        if not more:
            self._complete = True
            self._nul.finish()


class _NulScan:
    """Looks for a NUL in each chunk as it passes (the usual body has none, and costs a substring
    search); only a body that may have one is decoded, once whole, to name where each one is."""

    def __init__(self, *, form: bool) -> None:
        self._form = form
        self._suspects = _FORM_SUSPECTS if form else _JSON_SUSPECTS
        self._chunks: list[bytes] = []
        self._tail = b""  # the end of the previous chunk: a suspect may straddle two
        self._suspect = False

    def feed(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        if not self._suspect:
            self._suspect = any(s in chunk or s in self._tail + chunk[: len(s) - 1] for s in self._suspects)
            self._tail = (self._tail + chunk[-4:])[-4:]

    def finish(self) -> None:
        chunks, self._chunks = self._chunks, []
        if self._suspect:
            body = b"".join(chunks)
            paths = _nul_in_form(body) if self._form else _nul_in_json(body)
            if paths:
                raise NulCharacter(paths[:_MAX_NAMED])


def _nul_in_form(body: bytes) -> list[str]:
    fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return list(dict.fromkeys(f"/{name}" for name, value in fields if NUL in name or NUL in value))


def _pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")  # RFC 6901


def _nul_in_json(body: bytes) -> list[str]:
    """The JSON pointer of each string (or member name) holding a NUL, in document order. A body that
    does not decode is left to its reader, which refuses it on its own terms."""
    try:
        document = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):
        return []
    found: list[str] = []
    pending: list[tuple[str, Any]] = [("", document)]
    while pending and len(found) < _MAX_NAMED:
        pointer, value = pending.pop()
        if isinstance(value, str):
            if NUL in value:
                found.append(pointer or "/")
        elif isinstance(value, dict):
            members = [(f"{pointer}/{_pointer_token(key)}", key, item) for key, item in value.items()]
            found += [path for path, key, _ in members if NUL in key]
            pending += [(path, item) for path, _, item in reversed(members)]
        elif isinstance(value, list):
            pending += [(f"{pointer}/{index}", item) for index, item in reversed(list(enumerate(value)))]
    return found

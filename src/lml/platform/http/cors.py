"""CORS for the web apps, applied to every request by `lml.platform.http.edge`: the origins of
LML_CORS_ORIGINS, compared exactly, may call the API from a browser; no other origin may (none at all
when the setting is empty).

Litestar's own `CORSConfig` is not used: it reads origins as patterns (`*` anywhere), answers a
refused preflight with a `text/plain` 400 rather than a problem, and sets `Vary: Origin` in place of
the answer's own `Vary`.

- A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an allowed origin,
  for a method and headers the API reads, is answered 204 here, whatever the path: the request
  itself then gets the route's answer (a 404 problem, say) readable by the app. Any other preflight
  is a 403 problem naming what is refused, without `Access-Control-Allow-Origin`, so the browser
  sends nothing more.
- Every other answer to an allowed origin, errors and event streams included, carries
  `Access-Control-Allow-Origin` (that origin) and `Access-Control-Expose-Headers`. Tokens travel in
  `Authorization`, never in cookies: no credentials mode, so no `Access-Control-Allow-Credentials`.
- Requests from other origins run as they would without the header (CORS protects what a browser
  lets a page read, and bearer tokens are not sent by browsers on their own); their answers lack
  `Access-Control-Allow-Origin`, so the page cannot read them.
- While any origin is allowed, every answer varies on `Origin` (`Vary`), so that no cache hands one
  origin's answer to another."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from litestar import Request
from litestar.types import HTTPResponseBodyEvent, Receive, Scope, Send

from lml.platform.http.problems import problem

# What the apps send beyond CORS' safelisted headers, and the methods the routes answer.
ALLOWED_HEADERS = ("authorization", "content-type", "idempotency-key", "if-match", "if-none-match",
                   "last-event-id", "x-org-id", "x-queue-pass", "x-request-id")
ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# What the apps read of an answer beyond CORS' safelisted response headers.
EXPOSED_HEADERS = ("ETag", "Location", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
                   "X-Request-ID", "Idempotent-Replayed")
# How long a browser may reuse a preflight's answer (Chromium caps it at 2 hours).
MAX_AGE_SECONDS = 600


class Preflight(NamedTuple):
    origin: str
    allowed: bool  # the origin is one of LML_CORS_ORIGINS
    method: str
    asked: str  # Access-Control-Request-Headers, as sent


class Cors:
    """The policy `lml.platform.http.edge.Edge` applies: which request is a preflight, and what
    headers each answer gets."""

    # The request headers it reads.
    reads = (b"origin", b"access-control-request-method", b"access-control-request-headers")

    def __init__(self, origins: Sequence[str]) -> None:
        self.origins = frozenset(origins)
        self._exposed = (b"access-control-expose-headers", ", ".join(EXPOSED_HEADERS).encode())
        self._preflight = [
            (b"access-control-allow-methods", ", ".join(ALLOWED_METHODS).encode()),
            (b"access-control-allow-headers", ", ".join(ALLOWED_HEADERS).encode()),
            (b"access-control-max-age", str(MAX_AGE_SECONDS).encode()),
        ]

    def on_request(self, scope: Scope, picked: Sequence[tuple[bytes, bytes]]
                   ) -> tuple[Preflight | None, list[tuple[bytes, bytes]]]:
        """The preflight to answer (None for any other request), and the headers the request's
        answer gets (`picked`: its headers, those named in `reads` at least)."""
        if not self.origins:
            return None, []
        headers = {name: value for name, value in picked if name in self.reads}
        origin = headers.get(b"origin", b"").decode("latin-1")
        allowed = origin in self.origins
        if scope.get("method") == "OPTIONS" and origin and b"access-control-request-method" in headers:
            method = headers[b"access-control-request-method"].decode("latin-1")
            asked = headers.get(b"access-control-request-headers", b"").decode("latin-1")
            return Preflight(origin, allowed, method, asked), []
        return None, [(b"access-control-allow-origin", origin.encode("latin-1")), self._exposed] if allowed else []

    def vary(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """An answer's `headers`, varying on `Origin` while any origin is allowed."""
        return _vary_on_origin(headers) if self.origins else headers

    async def answer(self, preflight: Preflight, scope: Scope, receive: Receive, send: Send) -> None:
        origin = preflight.origin
        asked = [h.strip().lower() for h in preflight.asked.split(",") if h.strip()]
        refused = [] if preflight.allowed else [f"the origin {origin} (LML_CORS_ORIGINS)"]
        if preflight.method not in ALLOWED_METHODS:
            refused.append(f"the method {preflight.method}")
        if unknown := [h for h in asked if h not in ALLOWED_HEADERS]:
            refused.append(f"the headers {', '.join(unknown)}")
        if not refused:
            allow = [(b"access-control-allow-origin", origin.encode("latin-1")), *self._preflight, (b"vary", b"Origin")]
            await send({"type": "http.response.start", "status": 204, "headers": allow})
            empty: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(empty)
            return
        request: Request[Any, Any, Any] = Request(scope, receive)
        refusal = problem(request, 403, "cors-refused", f"A browser may not call the API with {'; '.join(refused)}",
                          headers={"Vary": "Origin"})
        await refusal.to_asgi_response(None, request)(scope, receive, send)


def _vary_on_origin(headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` with `Origin` among the fields of their `Vary` (kept as one header line)."""
    named = [value for name, value in headers if name.lower() == b"vary"]
    fields = [f.strip() for value in named for f in value.split(b",") if f.strip()]
    if b"*" in fields or any(f.lower() == b"origin" for f in fields):
        return list(headers)
    others = [(name, value) for name, value in headers if name.lower() != b"vary"]
    return [*others, (b"vary", b", ".join([*fields, b"Origin"]))]

"""Headers on every answer, errors and unrouted 404s included (an outer ASGI wrapper):

- `X-Content-Type-Options: nosniff`: a browser takes a JSON or text answer for what it says it is,
  never for a script or a page;
- `Referrer-Policy: no-referrer`: nothing of our URLs (ids, cursors) leaks to where a page links;
- `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`: no page may frame an answer;
- `Strict-Transport-Security` in production, where the API is only reached over HTTPS;
- `Server: api`: granian adds `server: granian` to an answer that has no Server header (it cannot
  be turned off: emmett-framework/granian#594), and the stack's name helps nobody but an attacker.
  Answers granian makes itself (a request it cannot parse) still name it."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"server", b"api"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self._headers = [*_ALWAYS, HSTS] if production else list(_ALWAYS)
        self._names = {name for name, _ in self._headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Ours replace any a route set: one value of each, whatever the route did.
                kept = [(name, value) for name, value in message.get("headers", []) if name.lower() not in self._names]
                message = {**message, "headers": [*kept, *self._headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

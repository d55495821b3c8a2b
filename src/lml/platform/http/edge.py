"""What every HTTP request passes through before the app, and every answer on its way out, errors and
unrouted 404s included: one ASGI wrapper around the whole app, with one `send` wrapper.

On the way in: the request's span when traces are exported (`tracing`), its id and the process's HTTP
kit in its scope (`request_context`), the client's address (`client_address`), and a CORS preflight
answered here (`cors`). On the way out, the answer's headers: CORS' (`cors`), the security headers
(`security_headers`) and the request id; then the request is counted, timed and logged.

One wrapper rather than one per concern: each layer of its own cost a coroutine, a `send` closure and
a copy of the answer's headers per request, on every route."""

from __future__ import annotations

import time
from typing import Any

import structlog

from lml.platform.http.client_address import TrustedProxies
from lml.platform.http.cors import Cors
from lml.platform.http.kit import SCOPE_KEY as KIT_KEY
from lml.platform.http.kit import HttpKit
from lml.platform.http.request_context import REQUEST_ID_HEADER, incoming_request_id, record_request
from lml.platform.http.security_headers import SecurityHeaders
from lml.platform.http.tracing import TRACEPARENT_HEADER, serve_traced
from lml.platform.tracing.spans import tracer

Headers = list[tuple[bytes, bytes]]


class Edge:
    def __init__(self, app: Any, kit: HttpKit, proxies: TrustedProxies, security: SecurityHeaders,
                 cors: Cors) -> None:
        self.app = app
        self.kit = kit
        self.proxies = proxies
        self.security = security
        self.cors = cors
        # The request headers any part reads: picked out in one pass over the request's headers.
        self._forwarded = proxies.header.encode()
        self._read = frozenset({REQUEST_ID_HEADER, TRACEPARENT_HEADER, self._forwarded, *cors.reads})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        read = self._read
        picked = [(name, value) for name, value in scope["headers"] if name in read]
        if tracer() is None:
            await self._serve(scope, receive, send, picked)
            return
        traceparent = next((value for name, value in picked if name == TRACEPARENT_HEADER), None)

        async def serve(traced_send: Any) -> None:
            await self._serve(scope, receive, traced_send, picked)

        await serve_traced(scope, traceparent, serve, send)

    async def _serve(self, scope: Any, receive: Any, send: Any, picked: Headers) -> None:
        request_id = incoming_request_id(picked)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state[KIT_KEY] = self.kit
        self._find_client(scope, picked)
        status = 500
        started = time.perf_counter()
        cors = self.cors
        preflight, allowed = cors.on_request(scope, picked)
        added = [*allowed, *self.security.headers, (REQUEST_ID_HEADER, request_id.encode())]
        filtered = self.security.names

        async def send_at_edge(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # The route's own values of our headers give way to ours (one value of each).
                kept = [(name, value) for name, value in message.get("headers", ()) if name.lower() not in filtered]
                message = {**message, "headers": [*cors.vary(kept), *added]}
            await send(message)

        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            if preflight is None:
                await self.app(scope, receive, send_at_edge)
            else:
                await cors.answer(preflight, scope, receive, send_at_edge)
        finally:
            record_request(scope, status, time.perf_counter() - started)
            structlog.contextvars.clear_contextvars()

    def _find_client(self, scope: Any, picked: Headers) -> None:
        """The client's address in the scope's `client`, where Litestar's `connection.client` (and so
        `lml.platform.http.auth.client_address`) reads it."""
        peer = scope.get("client")
        if not peer:
            return
        forwarded = self._forwarded
        client = self.proxies.client(str(peer[0]), [value.decode("latin-1") for name, value in picked
                                                     if name == forwarded])
        if client != peer[0]:
            scope["client"] = (client, peer[1])

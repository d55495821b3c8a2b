"""Outermost ASGI wrapper: a server span for every HTTP request, continuing the caller's trace when
its `traceparent` header names one. Outside the request context, so that its access log line (and
every line logged while the request is served) carries the trace id."""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from lml.platform.tracing.spans import TRACEPARENT, extract, span, tracer

_TRACEPARENT_HEADER = TRACEPARENT.encode()


class TraceRequests:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or tracer() is None:
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "")
        incoming = next((value for name, value in scope.get("headers", []) if name == _TRACEPARENT_HEADER), None)
        parent = extract({TRACEPARENT: incoming.decode("latin-1")}) if incoming else None
        status = 500

        async def send_and_see_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        attributes = {"http.request.method": method, "url.path": scope.get("path", "")}
        with span(method, kind=SpanKind.SERVER, attributes=attributes, parent=parent) as current:
            try:
                await self.app(scope, receive, send_and_see_status)
            finally:
                if current is not None:
                    _record_response(current, scope, method, status)


def _record_response(current: Span, scope: Any, method: str, status: int) -> None:
    # Named for the route, known once the app has routed the request (the path holds ids).
    route = scope.get("path_template")
    if route:
        current.update_name(f"{method} {route}")
        current.set_attribute("http.route", route)
    current.set_attribute("http.response.status_code", status)
    if status >= 500:
        current.set_status(Status(StatusCode.ERROR))

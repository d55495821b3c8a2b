"""A server span for every HTTP request while traces are exported, continuing the caller's trace when
its `traceparent` header names one. `lml.platform.http.edge` opens it before anything else, so that
its access log line (and every line logged while the request is served) carries the trace id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from lml.platform.tracing.spans import TRACEPARENT, extract, span

TRACEPARENT_HEADER = TRACEPARENT.encode()


async def serve_traced(scope: Any, traceparent: bytes | None, serve: Callable[[Any], Awaitable[None]],
                       send: Any) -> None:
    """`serve(send)` inside the request's span (`traceparent`: the caller's header, if any)."""
    method = scope.get("method", "")
    parent = extract({TRACEPARENT: traceparent.decode("latin-1")}) if traceparent else None
    status = 500

    async def send_and_see_status(message: Any) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    attributes = {"http.request.method": method, "url.path": scope.get("path", "")}
    with span(method, kind=SpanKind.SERVER, attributes=attributes, parent=parent) as current:
        try:
            await serve(send_and_see_status)
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

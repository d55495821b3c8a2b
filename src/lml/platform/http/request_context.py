"""Outermost ASGI wrapper: request id, access log line and Prometheus metrics for every request."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import structlog
from prometheus_client import Counter, Histogram

from lml.platform.http.kit import SCOPE_KEY as KIT_KEY
from lml.platform.http.kit import HttpKit
from lml.platform.logging import get_logger

REQUEST_ID_HEADER = b"x-request-id"
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:\-]{1,128}$")

HTTP_REQUESTS = Counter("lml_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "lml_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

log = get_logger("lml.http")


def incoming_request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == REQUEST_ID_HEADER and _VALID_REQUEST_ID.match(value):
            return value.decode()
    # 128 random bits in hex, as a uuid4's hex would be, without building a UUID (a fifth of the cost).
    return os.urandom(16).hex()


class RequestContext:
    """Wraps the app's handler stack, so unrouted 404s and exception responses are counted too; and
    hands every request the process's HTTP kit (`lml.platform.http.kit`)."""

    def __init__(self, app: Any, kit: HttpKit) -> None:
        self.app = app
        self.kit = kit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope.get("headers", []))
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state[KIT_KEY] = self.kit
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "<unmatched>"
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route, str(status)).observe(elapsed)
            if route not in ("/livez", "/metrics"):
                log.info("request", method=method, route=route, path=scope.get("path"), status=status,
                         ms=round(elapsed * 1000, 2))
            structlog.contextvars.clear_contextvars()

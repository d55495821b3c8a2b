"""Every request's id, Prometheus metrics and access log line (`lml.platform.http.edge` applies them)."""

from __future__ import annotations

import os
import re
from typing import Any

from prometheus_client import Counter, Histogram

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
_NOT_LOGGED = frozenset({"/livez", "/metrics"})


def incoming_request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == REQUEST_ID_HEADER and _VALID_REQUEST_ID.match(value):
            return value.decode()
    # 128 random bits in hex, as a uuid4's hex would be, without building a UUID (a fifth of the cost).
    return os.urandom(16).hex()


# The labelled series of each (method, route, status) seen, so that a request looks its pair up once.
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def record_request(scope: Any, status: int, elapsed: float) -> None:
    """The request counted and timed; its access log line (none for probes and scrapes)."""
    route = scope.get("path_template") or "<unmatched>"
    method = scope.get("method", "")
    series = _SERIES.get((method, route, status))
    if series is None:
        labels = (method, route, str(status))
        series = _SERIES[method, route, status] = (HTTP_REQUESTS.labels(*labels), HTTP_LATENCY.labels(*labels))
    series[0].inc()
    series[1].observe(elapsed)
    if route not in _NOT_LOGGED:
        log.info("request", method=method, route=route, path=scope.get("path"), status=status,
                 ms=round(elapsed * 1000, 2))

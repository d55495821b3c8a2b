"""A log line written while a request is served carries the request's trace id (and the caller's
trace continues when it sends a `traceparent`); without traces exported, lines carry none."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from lml.app import create_app
from lml.config import Settings
from lml.platform.logging import get_logger
from tests.fixtures.tracing import Traces
from tests.integration.platform.conftest import CapturedLogs

log = get_logger("tests.platform.tracing")
CALLERS_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@get("/test/log-traced", sync_to_thread=False)
def log_traced() -> dict[str, str]:
    log.info("inside_the_request")
    return {"ok": "yes"}


@pytest.fixture
async def client(base_settings: Settings, logs: CapturedLogs) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(msgspec.structs.replace(base_settings, log_level="info", log_format="json"))
    app.register(log_traced)
    async with AsyncTestClient(app=app) as client:
        yield client


async def test_a_line_logged_inside_a_request_carries_the_requests_trace_id(
    traces: Traces, client: AsyncTestClient[Litestar], logs: CapturedLogs
) -> None:
    await client.get("/test/log-traced", headers={"X-Request-ID": "req-traced-1"})

    [request] = traces.named("GET /test/log-traced")
    assert request.context is not None
    lines = [line for line in logs.json_lines() if line.get("request_id") == "req-traced-1"]
    assert [line["event"] for line in lines] == ["inside_the_request", "request"]
    assert {line["trace_id"] for line in lines} == {format(request.context.trace_id, "032x")}
    assert lines[0]["span_id"] == format(request.context.span_id, "016x")


async def test_a_callers_traceparent_is_continued(traces: Traces, client: AsyncTestClient[Litestar]) -> None:
    traceparent = f"00-{CALLERS_TRACE}-00f067aa0ba902b7-01"

    await client.get("/test/log-traced", headers={"traceparent": traceparent})

    [request] = traces.named("GET /test/log-traced")
    assert request.context is not None and request.parent is not None
    assert format(request.context.trace_id, "032x") == CALLERS_TRACE
    assert format(request.parent.span_id, "016x") == "00f067aa0ba902b7"


async def test_without_traces_exported_lines_carry_no_trace_id(
    client: AsyncTestClient[Litestar], logs: CapturedLogs
) -> None:
    await client.get("/test/log-traced", headers={"X-Request-ID": "req-untraced-1"})

    lines = [line for line in logs.json_lines() if line.get("request_id") == "req-untraced-1"]
    assert len(lines) == 2 and not any("trace_id" in line for line in lines)

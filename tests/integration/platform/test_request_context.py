"""Every request has an id (the caller's when it is sane), echoed back and carried by every log line."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from lml.app import create_app
from lml.config import Settings
from lml.platform.logging import get_logger
from tests.integration.platform.conftest import CapturedLogs

GENERATED = re.compile(r"^[0-9a-f]{32}$")
log = get_logger("tests.platform")


@get("/test/log-inside", sync_to_thread=False)
def log_inside() -> dict[str, str]:
    log.info(
        "signing_in",
        email="buyer@example.com",
        password="hunter2",
        authorization="Bearer abc.def.ghi",
        stripe_secret_key="sk_live_zzz",
        request_headers={"Authorization": "Bearer abc.def.ghi", "Accept": "application/json"},
    )
    return {"ok": "yes"}


async def _client(settings: Settings, **changes: Any) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(msgspec.structs.replace(settings, log_level="info", **changes))
    app.register(log_inside)
    async with AsyncTestClient(app=app) as client:
        yield client


@pytest.fixture
async def json_client(base_settings: Settings, logs: CapturedLogs) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async for client in _client(base_settings, log_format="json"):
        yield client


@pytest.fixture
async def console_client(base_settings: Settings, logs: CapturedLogs) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async for client in _client(base_settings, log_format="console"):
        yield client


async def test_a_valid_incoming_request_id_is_echoed(json_client: AsyncTestClient[Litestar]) -> None:
    response = await json_client.get("/livez", headers={"X-Request-ID": "edge-7f3a:01.B_c-9"})

    assert response.headers["x-request-id"] == "edge-7f3a:01.B_c-9"


@pytest.mark.parametrize("incoming", [b"x" * 129, b"has space", b"<script>", "naïve".encode("latin-1"), b""])
async def test_an_unusable_incoming_request_id_is_replaced(
    json_client: AsyncTestClient[Litestar], incoming: bytes
) -> None:
    response = await json_client.get("/livez", headers={b"X-Request-ID": incoming})

    assert GENERATED.match(response.headers["x-request-id"])


async def test_each_request_without_an_id_gets_its_own(json_client: AsyncTestClient[Litestar]) -> None:
    first = (await json_client.get("/livez")).headers["x-request-id"]
    second = (await json_client.get("/livez")).headers["x-request-id"]

    assert GENERATED.match(first) and GENERATED.match(second)
    assert first != second


async def test_every_log_line_of_a_request_carries_its_id(
    json_client: AsyncTestClient[Litestar], logs: CapturedLogs
) -> None:
    await json_client.get("/test/log-inside", headers={"X-Request-ID": "req-logs-1"})

    lines = [line for line in logs.json_lines() if line.get("request_id") == "req-logs-1"]
    assert [line["event"] for line in lines] == ["signing_in", "request"]
    access = lines[-1]
    assert access["route"] == "/test/log-inside"
    assert access["status"] == 200
    assert access["level"] == "info"
    assert "timestamp" in access


async def test_secrets_are_redacted_from_log_lines(
    json_client: AsyncTestClient[Litestar], logs: CapturedLogs
) -> None:
    await json_client.get("/test/log-inside")

    (line,) = [line for line in logs.json_lines() if line["event"] == "signing_in"]
    assert line["email"] == "buyer@example.com"
    assert line["password"] == line["authorization"] == line["stripe_secret_key"] == "[redacted]"
    assert line["request_headers"] == {"Authorization": "[redacted]", "Accept": "application/json"}
    for secret in ("hunter2", "abc.def.ghi", "sk_live_zzz"):
        assert secret not in logs.text()


async def test_a_crash_is_logged_with_its_request_id_and_without_frame_locals(
    base_settings: Settings, logs: CapturedLogs
) -> None:
    @get("/test/crash", sync_to_thread=False)
    def crash() -> None:
        card_number = "4242424242424242"
        raise RuntimeError(f"declined {len(card_number)} digits")

    app = create_app(msgspec.structs.replace(base_settings, log_format="json"))
    app.register(crash)
    async with AsyncTestClient(app=app) as client:
        await client.get("/test/crash", headers={"X-Request-ID": "req-crash-2"})

    (line,) = [line for line in logs.json_lines() if line["event"] == "unhandled_error"]
    assert line["request_id"] == "req-crash-2"
    assert line["exception"][0]["exc_type"] == "RuntimeError"
    assert "4242424242424242" not in logs.text()


async def test_development_logs_are_console_lines_with_the_request_id(
    console_client: AsyncTestClient[Litestar], logs: CapturedLogs
) -> None:
    await console_client.get("/test/log-inside", headers={"X-Request-ID": "req-console-1"})

    lines = [line for line in logs.text().splitlines() if "req-console-1" in line]
    assert len(lines) == 2
    assert not any(line.startswith("{") for line in lines)
    assert "request_id=req-console-1" in lines[-1]
    assert "hunter2" not in logs.text()


async def test_library_log_records_in_the_api_are_json_lines_too(base_settings: Settings, logs: CapturedLogs) -> None:
    app = create_app(msgspec.structs.replace(base_settings, log_format="json"))
    async with AsyncTestClient(app=app):
        logging.getLogger("psycopg.pool").warning("pool exhausted, waiting")

    assert {"event": "pool exhausted, waiting", "logger_name": "psycopg.pool", "level": "warning"}.items() <= next(
        (line for line in logs.json_lines() if line["event"] == "pool exhausted, waiting"), {}
    ).items()

"""Platform fixtures: log capture through the real logging configuration, an app that needs no clean world."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import structlog
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lml.app import create_app
from lml.config import Settings
from lml.platform.logging import rebuild_loggers


class CapturedLogs:
    """What the logging set up by `configure_logging` (called by `create_app`) wrote to stderr."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self._text = ""

    def text(self) -> str:
        self._text += self._capsys.readouterr().err
        return self._text

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text().splitlines() if line.startswith("{")]


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> Iterator[CapturedLogs]:
    """capsys is active from this fixture's set-up to the test's end, so an app created either in a
    fixture or in the test logs into it. The logging configuration in force before is restored after."""
    config = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield CapturedLogs(capsys)
    finally:
        structlog.configure(**config)
        rebuild_loggers()
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.fixture
async def stateless_client(base_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The real app for tests that neither read nor write stored data: the per-test clean world
    (a TRUNCATE of every table) is skipped."""
    async with AsyncTestClient(app=create_app(base_settings)) as client:
        yield client

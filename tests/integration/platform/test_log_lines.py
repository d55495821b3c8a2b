"""Log lines as an operator's log pipeline reads them: one JSON object per line, whatever was logged."""

from __future__ import annotations

import contextlib
import io
import json
import uuid

import pytest

from lml.config import Settings
from lml.platform.logging import configure_logging, get_logger
from tests.integration.platform.conftest import CapturedLogs


def test_ids_sets_and_unknown_objects_are_written_as_plain_values(logs: CapturedLogs) -> None:
    configure_logging(Settings(log_format="json"))
    show = uuid.UUID(int=7)

    get_logger("lml.test").info("odd_values", show=show, seats={3, 4}, price=12.5, note="café", kind=Settings)

    (line,) = [line for line in logs.json_lines() if line["event"] == "odd_values"]
    assert line["show"] == str(show)
    assert sorted(line["seats"]) == [3, 4]
    assert line["kind"] == repr(Settings)
    assert (line["price"], line["note"], line["level"]) == (12.5, "café", "info")


def test_a_line_with_text_that_is_not_unicode_is_still_one_json_line(logs: CapturedLogs) -> None:
    configure_logging(Settings(log_format="json"))

    # A request path decoded with surrogateescape: bytes that were not UTF-8.
    get_logger("lml.test").info("odd_text", path="/v1/\udcff", request_headers={"Cookie": "s=1", 7: "x"})

    (line,) = [line for line in logs.json_lines() if line["event"] == "odd_text"]
    assert line["path"] == "/v1/\udcff"
    assert line["request_headers"] == {"Cookie": "[redacted]", "7": "x"}
    assert "s=1" not in logs.text()


def test_a_logger_already_used_follows_the_configuration_and_the_stream_in_force(
    logs: CapturedLogs, capsys: pytest.CaptureFixture[str],
) -> None:
    log = get_logger("lml.test")
    configure_logging(Settings(log_format="json", log_level="warning"))
    log.info("dropped")
    log.warning("kept_at_warning")

    configure_logging(Settings(log_format="json", log_level="info"))
    log.info("kept_at_info")
    with capsys.disabled():  # another stream in place of stderr since the logger was built
        swapped = io.StringIO()
        with contextlib.redirect_stderr(swapped):
            log.info("written_to_the_new_stream")

    events = [line["event"] for line in logs.json_lines()]
    assert events == ["kept_at_warning", "kept_at_info"]
    assert json.loads(swapped.getvalue())["event"] == "written_to_the_new_stream"

"""structlog: JSON lines in production, readable console in development; request ids ride contextvars,
and a line logged inside a span carries its `trace_id` and `span_id`.

Libraries that log through the standard library (dramatiq, psycopg_pool, granian) go through the
same processors, so production output is JSON lines throughout and secrets are redacted everywhere.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Mapping, MutableMapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import msgspec
import structlog
from structlog.tracebacks import ExceptionDictTransformer

from lml.platform.tracing.spans import current_ids

if TYPE_CHECKING:  # the settings are handed in: every layer logs, and no layer below the root reads them
    from lml.config import Settings

_REDACTED = "[redacted]"
# A key containing any of these is a secret, whatever the prefix (`stripe_secret_key`, `new_password`).
_SECRET_FRAGMENTS = ("password", "secret", "token", "authorization", "cookie", "api_key", "apikey", "card")


# Every line's keys are checked, the access log's on every request: a key's answer is remembered (a
# line's keys come from a small set of names; the bound keeps a stream of odd ones from growing it).
@lru_cache(maxsize=4096)
def _is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(fragment in lowered for fragment in _SECRET_FRAGMENTS)


# Values that hold no keys, told apart without the costlier check for a Mapping.
_FLAT = frozenset({str, int, float, bool, type(None), bytes})


def _redacted(value: Any) -> Any:
    if value.__class__ in _FLAT:
        return value
    if isinstance(value, Mapping):
        return {k: _REDACTED if isinstance(k, str) and _is_secret(k) else _redacted(v) for k, v in value.items()}
    return value


def _redact_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if _is_secret(key):
            event[key] = _REDACTED
        elif value.__class__ not in _FLAT:
            event[key] = _redacted(value)
    return event


def _unencodable(value: Any) -> Any:
    """What a line holds that JSON has no form for: as structlog's own renderer writes it."""
    to_log = getattr(value, "__structlog__", None)
    return to_log() if to_log is not None else repr(value)


_LINE = msgspec.json.Encoder(enc_hook=_unencodable)


def _json_line(event: Mapping[str, Any], **dumps_options: Any) -> str:
    """A line as JSON, by msgspec (several times quicker than the standard library: every request writes one);
    what it refuses (text with lone surrogates, keys that are not text or numbers) goes to `json`."""
    try:
        return _LINE.encode(event).decode()
    except (TypeError, ValueError, msgspec.EncodeError):
        return json.dumps(event, **dumps_options)


def _add_trace_ids(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The current span's ids, so that a line leads to its trace (and a trace to its lines)."""
    ids = current_ids()
    if ids is not None:
        event["trace_id"], event["span_id"] = ids
    return event


def _processors(settings: Settings) -> tuple[list[structlog.typing.Processor], list[structlog.typing.Processor]]:
    """(what every line goes through, how it is rendered)."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_secrets,
    ]
    # Tracebacks never show frame locals: they hold passwords, tokens and card data.
    render: list[structlog.typing.Processor]
    if settings.log_format == "json":
        render = [
            structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False)),
            structlog.processors.JSONRenderer(serializer=_json_line),
        ]
    else:
        colors = sys.stderr.isatty()
        render = [
            structlog.dev.set_exc_info,
            structlog.dev.ConsoleRenderer(
                colors=colors,
                exception_formatter=structlog.dev.RichTracebackFormatter(show_locals=False, color_system="auto")
                if colors
                else structlog.dev.plain_traceback,
            ),
        ]
    return shared, render


def _stdlib_logger_name(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event["logger_name"] = event["_record"].name
    return event


# Lines from the worker's threads and its event loop's are written one at a time, never interleaved.
_WRITING = threading.Lock()


class _StderrLogger:
    """Writes each line to `sys.stderr` as it is when the line is written."""

    def msg(self, message: str) -> None:
        with _WRITING:
            stream = sys.stderr
            stream.write(message + "\n")
            stream.flush()

    log = debug = info = warn = warning = fatal = failure = err = error = critical = exception = msg


def _stderr_logger(*_: Any) -> _StderrLogger:
    return _StderrLogger()


class _StdlibHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time; marks the handler this module installs,
    so that configuring again replaces it."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper())
    shared, render = _processors(settings)
    structlog.configure(
        processors=[*shared, *render],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # `sys.stderr` as it is when a line is written, not when logging was configured: a stream
        # swapped since (by a test runner, a daemonizer) is followed, and a closed one never written to.
        logger_factory=_stderr_logger,
        # Not structlog's cache: configuring again (a test, a second app in one process) reaches every
        # logger, through `_ModuleLogger`'s.
        cache_logger_on_first_use=False,
    )
    rebuild_loggers()
    handler = _StdlibHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[_stdlib_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *render],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StdlibHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    # Libraries are chatty at INFO; their warnings and errors are what matter here.
    root.setLevel(max(level, logging.WARNING))


# How many times structlog was configured: a module's logger built under an earlier configuration is
# built again.
_configured = 0


def rebuild_loggers() -> None:
    """Every module's logger is built again at its next use, from structlog's configuration then: for
    whoever configures structlog itself (`configure_logging` does)."""
    global _configured
    _configured += 1


class _ModuleLogger:
    """A module's logger, built at its first use from the configuration in force then, and kept until
    logging is configured again. structlog's own lazy logger is built anew at every call (about 2 µs,
    a tenth of the smallest request's work, for a line the level then drops)."""

    __slots__ = ("_built", "_configured", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._configured = -1
        self._built: Any = None

    def __getattr__(self, attribute: str) -> Any:
        if self._configured != _configured:
            self._built = structlog.get_logger(self._name, logger_name=self._name).bind()
            self._configured = _configured
        return getattr(self._built, attribute)


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    return cast(structlog.typing.FilteringBoundLogger, _ModuleLogger(name))

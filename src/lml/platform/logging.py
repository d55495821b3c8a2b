"""structlog: JSON lines in production, readable console in development; request ids ride contextvars."""

from __future__ import annotations

import logging
import sys

import structlog

from lml.config import Settings

_REDACTED = "[redacted]"
_SECRET_KEYS = {"password", "token", "access_token", "refresh_token", "authorization", "secret", "client_secret",
                "hold_token", "card", "api_key", "cookie"}


def _redact_secrets(_: object, __: str, event: dict[str, object]) -> dict[str, object]:
    for key in list(event):
        if key.lower() in _SECRET_KEYS:
            event[key] = _REDACTED
    return event


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact_secrets,
            structlog.processors.dict_tracebacks if settings.log_format == "json" else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Libraries that log through the stdlib go to the same stream at the same level.
    logging.basicConfig(level=max(level, logging.WARNING), stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]

"""Every integration event a context publishes reaches a consumer, or is declared audit-only with a
reason: an event nobody handles is how a cancelled show once refunded nobody."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import msgspec

import lml
from lml.container import AUDIT_ONLY, Container, outbox_handlers
from lml.platform.outbox import Handler


def published_event_types() -> set[str]:
    """`<context>.<Event>` for every Struct defined in a context's `events` module."""
    found = set()
    for context in pkgutil.iter_modules(lml.__path__):
        if not context.ispkg or importlib.util.find_spec(f"lml.{context.name}.events") is None:
            continue
        events = importlib.import_module(f"lml.{context.name}.events")
        for name, cls in inspect.getmembers(events, inspect.isclass):
            if issubclass(cls, msgspec.Struct) and cls.__module__ == events.__name__:
                found.add(f"{context.name}.{name}")
    return found


def _handlers(container: Container) -> dict[str, list[Handler]]:
    async def nowhere(order_id: str, delay_ms: int) -> None: ...

    return outbox_handlers(container, schedule_expiry=nowhere)


def test_every_published_event_is_handled_or_declared_audit_only(container: Container) -> None:
    handled = {event_type for event_type, handlers in _handlers(container).items() if handlers}
    published = published_event_types()
    assert published, "no events found: the discovery is broken"
    assert sorted(published - handled - set(AUDIT_ONLY)) == []


def test_no_event_is_both_handled_and_declared_audit_only(container: Container) -> None:
    assert sorted(set(_handlers(container)) & set(AUDIT_ONLY)) == []


def test_every_handler_and_declaration_names_an_event_that_exists(container: Container) -> None:
    published = published_event_types()
    assert sorted(set(_handlers(container)) - published) == []
    assert sorted(set(AUDIT_ONLY) - published) == []

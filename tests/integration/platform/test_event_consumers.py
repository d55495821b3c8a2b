"""Every integration event a context publishes reaches a consumer, or is declared audit-only with a
reason: an event nobody handles is how a cancelled show once refunded nobody."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import msgspec

import lml
from lml.platform.resources import Resources
from lml.worker import AUDIT_ONLY, outbox_handlers


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


def test_every_published_event_is_handled_or_declared_audit_only(resources: Resources) -> None:
    handled = {event_type for event_type, handlers in outbox_handlers(resources).items() if handlers}
    published = published_event_types()
    assert published, "no events found: the discovery is broken"
    assert sorted(published - handled - set(AUDIT_ONLY)) == []


def test_no_event_is_both_handled_and_declared_audit_only(resources: Resources) -> None:
    assert sorted(set(outbox_handlers(resources)) & set(AUDIT_ONLY)) == []


def test_every_handler_and_declaration_names_an_event_that_exists(resources: Resources) -> None:
    published = published_event_types()
    assert sorted(set(outbox_handlers(resources)) - published) == []
    assert sorted(set(AUDIT_ONLY) - published) == []

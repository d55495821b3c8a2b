"""Spans, and the W3C `traceparent` that carries a trace across rows and messages.

Tracing is on once `trace_with` was given a tracer provider (`lml.platform.tracing.setup`, or a
test's). Until then every helper here returns at once, before OpenTelemetry's own no-op machinery is
reached: a process that exports no traces pays one attribute read per would-be span.

Failures are recorded by the error's class only (`error.type`), never its message: messages may
quote request parameters, tokens or card data, and spans leave the process as logs do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

TRACEPARENT = "traceparent"
_PROPAGATOR = TraceContextTextMapPropagator()


class _Tracing:
    """The process's switch: the tracer spans are made with, None while traces are not exported.
    Per process, as OpenTelemetry's own tracer provider is (which is set once and found through an
    environment look-up on every call while unset); this one is read in one attribute look-up and
    may be set again (tests)."""

    tracer: trace.Tracer | None = None


_TRACING = _Tracing()


def trace_with(provider: TracerProvider | None) -> None:
    """Make spans with `provider` from now on; with None, make none. Set once at a process's start
    (`setup.configure_tracing`), and around a test that reads its spans."""
    _TRACING.tracer = provider.get_tracer("lml") if provider is not None else None


def tracer() -> trace.Tracer | None:
    """The process's tracer, or None when no traces are exported."""
    return _TRACING.tracer


def in_trace() -> bool:
    """A span is active: work done now is part of a trace."""
    return trace.get_current_span().get_span_context().is_valid


# What every helper hands out while tracing is off: reusable, and cheaper than entering a generator.
_NO_SPAN: AbstractContextManager[None] = nullcontext()


def span(
    name: str, *, kind: SpanKind = SpanKind.INTERNAL, attributes: Mapping[str, AttributeValue] | None = None,
    parent: otel_context.Context | None = None,
) -> AbstractContextManager[Span | None]:
    """A span around the block, current inside it (None when tracing is off); child of `parent`
    when given, else of the current span."""
    found = tracer()
    if found is None:
        return _NO_SPAN
    return _span(found, name, kind=kind, attributes=attributes, parent=parent)


@contextmanager
def _span(
    found: trace.Tracer, name: str, *, kind: SpanKind, attributes: Mapping[str, AttributeValue] | None,
    parent: otel_context.Context | None,
) -> Iterator[Span]:
    with found.start_as_current_span(name, context=parent, kind=kind, attributes=attributes,
                                     record_exception=False, set_status_on_exception=False) as current:
        try:
            yield current
        except BaseException as exc:
            failed(current, exc)
            raise


def failed(current: Span, exc: BaseException) -> None:
    current.set_attribute("error.type", type(exc).__qualname__)
    current.set_status(Status(StatusCode.ERROR))


def mark_failed(exc: BaseException) -> None:
    """The current span failed with `exc`, caught and handled (recorded for a retry, say)."""
    current = trace.get_current_span()
    if current.is_recording():
        failed(current, exc)


def continued(
    traceparent: str | None, name: str, *, kind: SpanKind = SpanKind.CONSUMER,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> AbstractContextManager[Span | None]:
    """A span continuing the trace `traceparent` names (recorded with a row or a message), as a
    child of the span that recorded it; without one, a child of the current span (or a trace of its own)."""
    if tracer() is None:
        return _NO_SPAN
    parent = extract({TRACEPARENT: traceparent}) if traceparent else None
    return span(name, kind=kind, attributes=attributes, parent=parent)


def child_span(
    name: str, *, kind: SpanKind = SpanKind.CLIENT, attributes: Mapping[str, AttributeValue] | None = None,
) -> AbstractContextManager[Span | None]:
    """A span only inside a trace: a store's calls are traced as part of the work that made them,
    and a periodic poll outside any trace leaves no trace of its own."""
    return span(name, kind=kind, attributes=attributes) if in_traced_work() else _NO_SPAN


def in_traced_work() -> bool:
    """Traces are exported and a span is active: what `child_span` would make a span of."""
    return tracer() is not None and in_trace()


def current_traceparent() -> str | None:
    """The current span as a W3C `traceparent`, to be stored with a row or sent with a message."""
    if not in_traced_work():
        return None
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get(TRACEPARENT)


def extract(carrier: Mapping[str, str]) -> otel_context.Context:
    """The remote parent that `carrier`'s `traceparent` names (an empty context when it names none)."""
    return _PROPAGATOR.extract(carrier)


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) of the current span, as hex, for log lines."""
    if tracer() is None:
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")

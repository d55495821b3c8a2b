"""Dramatiq messages carry the trace they were sent in (a `traceparent` message option); the worker
processes such a message in a span continuing it. Messages sent outside a trace (the periodic ticks)
are processed outside one: the work they find (an outbox event, a Stripe event) continues the trace
recorded with it."""

from __future__ import annotations

import threading
from contextvars import Token
from typing import Any

import dramatiq
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind

from lml.platform.tracing.spans import TRACEPARENT, current_traceparent, extract, failed, tracer


class TraceMessages(dramatiq.Middleware):
    def __init__(self) -> None:
        # A message's span and the context token it attached, from before its processing to after it
        # (both hooks run on the worker thread that processes it).
        self._open: dict[str, tuple[Span, Token[Context]]] = {}
        self._lock = threading.Lock()

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int) -> None:
        traceparent = current_traceparent()
        if traceparent is not None:
            message.options[TRACEPARENT] = traceparent

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        traceparent = message.options.get(TRACEPARENT)
        found = tracer()
        if traceparent is None or found is None:
            return
        span = found.start_span(
            f"process {message.actor_name}", context=extract({TRACEPARENT: traceparent}), kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "dramatiq", "messaging.destination.name": message.queue_name,
                        "messaging.message.id": message.message_id},
        )
        # Attached on the worker thread: the AsyncIO middleware runs the actor's coroutine in a copy
        # of this thread's context, so the actor's own spans are children of this one.
        token = otel_context.attach(trace.set_span_in_context(span))
        with self._lock:
            self._open[message.message_id] = (span, token)

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.MessageProxy, *, result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        with self._lock:
            opened = self._open.pop(message.message_id, None)
        if opened is None:
            return
        span, token = opened
        if exception is not None:
            failed(span, exception)
        span.end()
        otel_context.detach(token)

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        self.after_process_message(broker, message)

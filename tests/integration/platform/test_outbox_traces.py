"""An outbox event's delivery continues the trace it was recorded in; a failed delivery is an error
span that names the error's class, never its message."""

from __future__ import annotations

import msgspec

from lml.platform.db import UnitOfWork
from lml.platform.outbox import OutboxEvent, OutboxRelay, add_event, event_type_of
from lml.platform.resources import Resources
from lml.platform.tracing.spans import span
from tests.fixtures.tracing import Traces


class RefundRequested(msgspec.Struct, frozen=True):
    order_id: str


REFUND_REQUESTED = event_type_of(RefundRequested(""))


async def test_a_failed_delivery_is_an_error_span_in_the_recording_trace_without_the_errors_message(
    resources: Resources, traces: Traces
) -> None:
    async def refuse(event: OutboxEvent, uow: UnitOfWork) -> None:
        raise RuntimeError("card 4242 4242 4242 4242 was declined")

    with span("recording") as recording:
        async with resources.db.unit_of_work() as uow:
            await add_event(uow, RefundRequested("order-1"))
            await uow.commit()
    await OutboxRelay(resources.db, resources.clock, {REFUND_REQUESTED: [refuse]}).relay_batch()

    assert recording is not None
    [delivery] = traces.named(f"outbox deliver {REFUND_REQUESTED}")
    assert delivery.parent is not None and delivery.parent.span_id == recording.get_span_context().span_id
    assert delivery.status.status_code.name == "ERROR" and delivery.attributes is not None
    assert delivery.attributes["error.type"] == "RuntimeError"
    recorded = [str(s.attributes) + str(s.events) + str(s.status.description) for s in traces.spans()]
    assert not any("4242" in text for text in recorded)

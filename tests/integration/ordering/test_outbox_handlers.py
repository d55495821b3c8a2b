"""Ordering's outbox handlers: a placed order queues its expiry as a delayed message on the broker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from lml.container import Container
from lml.ordering.events import OrderPlaced
from lml.ordering.infrastructure.actors import EXPIRE_ORDER_ACTOR, EXPIRY_MARGIN_MS
from lml.ordering.infrastructure.outbox_handlers import outbox_handlers
from lml.platform.ids import new_id
from lml.platform.outbox import OutboxRelay, add_event
from lml.platform.resources import Resources
from lml.worker import expiry_messages


@pytest.fixture
def stub_broker() -> Iterator[StubBroker]:
    broker = StubBroker()
    broker.declare_queue("default")
    try:
        yield broker
    finally:
        broker.close()


async def test_a_placed_order_queues_its_expiry_for_its_deadline(
    container: Container, resources: Resources, stub_broker: StubBroker
) -> None:
    expires_at = resources.clock.now() + timedelta(minutes=12)
    order_id = new_id()
    async with resources.db.unit_of_work() as uow:
        await add_event(uow, OrderPlaced(order_id=order_id, organization_id=new_id(), show_id=new_id(),
                                         hold_id="h", expires_at=expires_at))
        await uow.commit()
    handlers = outbox_handlers(container.ordering, schedule_expiry=expiry_messages(stub_broker))
    relay = OutboxRelay(resources.db, resources.clock, handlers)
    assert await relay.relay_batch() == 1
    [message] = [dramatiq.Message.decode(m) for m in stub_broker.queues["default.DQ"].queue]
    assert (message.actor_name, message.args) == (EXPIRE_ORDER_ACTOR, (order_id,))
    due_ms = int(expires_at.timestamp() * 1000) + EXPIRY_MARGIN_MS
    assert abs(message.options["eta"] - due_ms) < 2_000

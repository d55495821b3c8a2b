"""Payments' integration fixtures: payments' services with a Stripe that cannot be reached."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest

from lml.config import Settings
from lml.payments.facade import PaymentsServices
from lml.payments.infrastructure.unit_of_work import OrdersFactory
from lml.platform.resources import Resources
from tests.services import free_port


@pytest.fixture
def payments_down(stripe_down: Resources, orders_factory: OrdersFactory) -> PaymentsServices:
    return PaymentsServices.build(stripe_down, orders=orders_factory)


@pytest.fixture
async def stripe_down(settings: Settings) -> AsyncIterator[Resources]:
    """The same stores, but Stripe's address is a port nobody listens on."""
    dead = msgspec.structs.replace(settings, stripe_api_base=f"http://127.0.0.1:{free_port()}")
    resources = Resources(dead)
    await resources.open()
    try:
        yield resources
    finally:
        await resources.close()

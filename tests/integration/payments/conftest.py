"""Payments' integration fixtures: payments' services with a Stripe that cannot be reached."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import msgspec
import pytest

from lml.config import Settings
from lml.payments.facade import PaymentsServices
from lml.payments.infrastructure.stripe_gateway import StripeGateway
from tests.services import free_port


@pytest.fixture
async def payments_down(payments: PaymentsServices, settings: Settings) -> AsyncIterator[PaymentsServices]:
    """The test's payments services, but Stripe's address is a port nobody listens on."""
    dead = msgspec.structs.replace(settings, stripe_api_base=f"http://127.0.0.1:{free_port()}")
    down = dataclasses.replace(payments, gateway=StripeGateway(dead))
    try:
        yield down
    finally:
        await down.close()

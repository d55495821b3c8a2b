"""Payments' use cases on in-memory fakes: a fake Stripe, payments' tables and a recording ordering."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lml.payments.application.testing import FakeGateway, MemoryPayments
from tests.timing import TestClock


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def payments() -> MemoryPayments:
    return MemoryPayments()


@pytest.fixture
def clock() -> TestClock:
    return TestClock(start=datetime(2030, 1, 1, 12, 0, tzinfo=UTC))

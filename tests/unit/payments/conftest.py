"""Payments' use cases on in-memory fakes: a fake Stripe, payments' tables and a recording ordering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lml.payments.application.testing import FakeGateway, MemoryPayments


class SteppingClock:
    def __init__(self) -> None:
        self.at = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def payments() -> MemoryPayments:
    return MemoryPayments()


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()

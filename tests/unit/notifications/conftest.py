"""Notifications' use cases on in-memory fakes: its stores, the bookings other contexts report, the
senders and a renderer without templates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lml.notifications.application.send_due_messages import Delivery
from lml.notifications.application.testing import (
    FakeBookings,
    MemoryNotifications,
    PlainRenderer,
    RecordingEmailSender,
    RecordingSmsSender,
)
from tests.timing import TestClock


@pytest.fixture
def world() -> MemoryNotifications:
    return MemoryNotifications()


@pytest.fixture
def clock() -> TestClock:
    return TestClock(start=datetime(2026, 6, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def bookings() -> FakeBookings:
    return FakeBookings()


@pytest.fixture
def email() -> RecordingEmailSender:
    return RecordingEmailSender()


@pytest.fixture
def sms() -> RecordingSmsSender:
    return RecordingSmsSender()


@pytest.fixture
def delivery(bookings: FakeBookings, email: RecordingEmailSender, sms: RecordingSmsSender) -> Delivery:
    return Delivery(bookings=bookings, renderer=PlainRenderer(), email=email, sms=sms)

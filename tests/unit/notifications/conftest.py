"""Notifications' use cases on in-memory fakes: its stores, the bookings other contexts report, the
senders and a renderer without templates."""

from __future__ import annotations

import pytest

from lml.notifications.application.send_due_messages import Delivery
from lml.notifications.application.testing import (
    FakeBookings,
    ManualClock,
    MemoryNotifications,
    PlainRenderer,
    RecordingEmailSender,
    RecordingSmsSender,
)


@pytest.fixture
def world() -> MemoryNotifications:
    return MemoryNotifications()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


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

"""Notifications' integration fixtures: its tables emptied per test (the shared clean world does not
know its schema), units of work on the real database, the SMTP sink and the Twilio stand-in."""

from __future__ import annotations

import psycopg
import pytest

from lml.notifications.application.ports import UnitOfWorkFactory
from lml.notifications.infrastructure.unit_of_work import unit_of_work_factory
from lml.platform.resources import Resources
from tests.fixtures.mail import mail_sink
from tests.fixtures.sms import twilio

__all__ = ["mail_sink", "twilio"]


@pytest.fixture
def clean_notifications(service_urls: dict[str, str]) -> None:
    with psycopg.connect(service_urls["owner_dsn"], autocommit=True) as conn:
        conn.execute("TRUNCATE notifications.messages, notifications.announcements")


@pytest.fixture
def pg_uow(resources: Resources, clean_notifications: None) -> UnitOfWorkFactory:
    return unit_of_work_factory(resources.db)

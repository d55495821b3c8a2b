"""The process under test sends its mail to a real SMTP server started for the test."""

from __future__ import annotations

import msgspec
import pytest

from lml.config import Settings
from tests.fixtures.mail import MailSink


@pytest.fixture
def settings(base_settings: Settings, clean_world: None, mail_sink: MailSink) -> Settings:
    return msgspec.structs.replace(base_settings, smtp_url=mail_sink.url)

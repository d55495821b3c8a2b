"""What the account-mail journeys share: the process mails a real SMTP sink, and the test reads the
one-time token out of the link it received, as the app opening the link would."""

from __future__ import annotations

import re
from email.message import EmailMessage

import msgspec
import pytest

from lml.config import Settings
from tests.fixtures.mail import MailSink, html_of, text_of
from tests.timing import eventually


@pytest.fixture
def settings(base_settings: Settings, clean_world: None, mail_sink: MailSink) -> Settings:
    return msgspec.structs.replace(base_settings, smtp_url=mail_sink.url)


async def next_link_mail(mail_sink: MailSink, path: str, seen: int) -> EmailMessage:
    """The first message after the `seen` first ones that carries a link to `path` (other mail, an
    order's confirmation say, may arrive in between)."""
    await eventually(lambda: any(path + "#token=" in text_of(m) for m in mail_sink.messages()[seen:]),
                     what=f"a mail with a link to {path}")
    return next(m for m in mail_sink.messages()[seen:] if path + "#token=" in text_of(m))


def token_in(mail: EmailMessage, path: str) -> str:
    """The token of the link to `path` (`/guest/recover`, `/password-reset`), the same in both parts."""
    pattern = re.escape(path) + r"#token=([A-Za-z0-9_-]+)"
    found = re.search(pattern, text_of(mail))
    assert found is not None, text_of(mail)
    assert found.group(1) in html_of(mail)
    return found.group(1)

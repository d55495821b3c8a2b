"""Who a message goes to: an email address or a phone number, normalized so that one person is one
recipient (for the dedupe key and the per-recipient limit), and refused when it could smuggle a header."""

from __future__ import annotations

import re
from enum import StrEnum

from lml.platform.domain.errors import FieldError, InvalidInput


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


# Loose on purpose (the mail server is the judge), but never a space, a control character (a CR or LF
# would start a new header) or a second @.
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f.]+(\.[^@\s\x00-\x1f\x7f.]+)+$")
_EMAIL_MAX = 254
# E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")


def normalize_recipient(channel: Channel, raw: str) -> str:
    """The recipient as stored: an email lowercased, a phone number in E.164; raises InvalidInput."""
    value = raw.strip()
    if channel is Channel.EMAIL:
        value = value.lower()
        if len(value) > _EMAIL_MAX or not _EMAIL.match(value):
            raise InvalidInput([FieldError("/recipient", "is not a valid email address")])
    elif not _PHONE.match(value):
        raise InvalidInput([FieldError("/recipient", "is not a phone number in E.164 form (+14155550123)")])
    return value

"""Rules for what a user types: email, password, display names. Every broken rule is reported at once."""

from __future__ import annotations

import msgspec

from lml.platform.domain.errors import FieldError, InvalidInput
from lml.platform.domain.text import CONTROL_CLASS, SPACE, WHITE_SPACE_CLASS, matches, trim, trimmed_text_pattern

PASSWORD_MIN = 10
PASSWORD_MAX = 256
NAME_MAX = 200
EMAIL_MAX = 254

# Each rule is one pattern (`lml.platform.domain.text`), matched here and stated by the OpenAPI document.
# An email, deliberately loose (RFC 5322 is not worth matching): one @, a dot in the domain, no spaces
# or controls; at most EMAIL_MAX characters as sent.
_EMAIL_CHAR = f"[^@{WHITE_SPACE_CLASS}{CONTROL_CLASS}]"
_DOMAIN_LABEL = f"[^@.{WHITE_SPACE_CLASS}{CONTROL_CLASS}]+"
EMAIL_PATTERN = f"^{SPACE}*{_EMAIL_CHAR}{{1,64}}@{_DOMAIN_LABEL}(?:\\.{_DOMAIN_LABEL})+{SPACE}*$"
PASSWORD_PATTERN = f"^[^\\x00]{{{PASSWORD_MIN},{PASSWORD_MAX}}}$"
NAME_PATTERN = trimmed_text_pattern(NAME_MAX)


def normalize_email(raw: str) -> str:
    return trim(raw).lower()


def email_problem(raw: str) -> str | None:
    """Why an email, as sent, is unacceptable, or None."""
    if not trim(raw):
        return "is required"
    if len(raw) > EMAIL_MAX or not matches(EMAIL_PATTERN, raw):
        return "is not a valid email address"
    return None


def password_problem(password: str) -> str | None:
    if matches(PASSWORD_PATTERN, password):
        return None
    if "\x00" in password:
        return "must not contain NUL characters"
    return f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long"


def name_problem(name: str) -> str | None:
    """Why a display name (of a user or an organization) is unacceptable, or None."""
    return _text_problem(name, NAME_PATTERN, NAME_MAX)


def _text_problem(text: str, pattern: str, max_length: int) -> str | None:
    if matches(pattern, text):
        return None
    if not 1 <= len(trim(text)) <= max_length:
        return f"must be 1 to {max_length} characters long"
    return "must not contain control characters"


class NewUser(msgspec.Struct, frozen=True):
    """Registration input once it passed every rule: email normalized, name trimmed."""

    email: str
    password: str
    name: str


def check_new_user(email: str, password: str, name: str) -> NewUser:
    problems = [("/email", email_problem(email)), ("/password", password_problem(password)),
                ("/name", name_problem(name))]
    raise_if_any(problems)
    return NewUser(email=normalize_email(email), password=password, name=trim(name))


def raise_if_any(problems: list[tuple[str, str | None]]) -> None:
    errors = [FieldError(path, message) for path, message in problems if message]
    if errors:
        raise InvalidInput(errors)


# E.164: a plus, then up to 15 digits, the first not 0 (spaces are for people, not for storage).
PHONE_PATTERN = f"^{SPACE}*\\+[1-9][0-9]{{1,14}}{SPACE}*$"
MAIL_FROM_NAME_MAX = 100
MAIL_FROM_NAME_PATTERN = trimmed_text_pattern(MAIL_FROM_NAME_MAX)


def normalize_phone(raw: str) -> str:
    return trim(raw)


def phone_problem(phone: str) -> str | None:
    """Why a phone number is unacceptable, or None."""
    if not matches(PHONE_PATTERN, phone):
        return "must be a phone number in E.164 form (+ and up to 15 digits, e.g. +447700900123)"
    return None


class ProfileChange(msgspec.Struct, frozen=True):
    """A user's new name and phone once they passed every rule (`phone` None: no phone)."""

    name: str
    phone: str | None


def check_profile(name: str, phone: str | None) -> ProfileChange:
    raise_if_any([("/name", name_problem(name)), ("/phone", phone_problem(phone) if phone is not None else None)])
    return ProfileChange(name=trim(name), phone=normalize_phone(phone) if phone is not None else None)


def mail_from_name_problem(name: str) -> str | None:
    """A display name goes into a From header: one line, no control characters, short."""
    if matches(MAIL_FROM_NAME_PATTERN, name):
        return None
    if not 1 <= len(trim(name)) <= MAIL_FROM_NAME_MAX:
        return f"must be 1 to {MAIL_FROM_NAME_MAX} characters long (null clears it)"
    return "must not contain line breaks or other control characters"

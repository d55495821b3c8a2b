"""Rules for what a user types: email, password, display names. Every broken rule is reported at once."""

from __future__ import annotations

import re

import msgspec

from lml.platform.domain.errors import FieldError, InvalidInput

PASSWORD_MIN = 10
PASSWORD_MAX = 256
NAME_MAX = 200
EMAIL_MAX = 254

# Deliberately loose (RFC 5322 is not worth matching): one @, a dot in the domain, no spaces or controls.
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f.]+(\.[^@\s\x00-\x1f\x7f.]+)+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


def email_problem(email: str) -> str | None:
    """Why a normalized email is unacceptable, or None."""
    if not email:
        return "is required"
    if len(email) > EMAIL_MAX or not _EMAIL.match(email):
        return "is not a valid email address"
    return None


def password_problem(password: str) -> str | None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long"
    if "\x00" in password:
        return "must not contain NUL characters"
    return None


def name_problem(name: str) -> str | None:
    """Why a trimmed display name (of a user or an organization) is unacceptable, or None."""
    if not 1 <= len(name) <= NAME_MAX:
        return f"must be 1 to {NAME_MAX} characters long"
    if _CONTROL.search(name):
        return "must not contain control characters"
    return None


class NewUser(msgspec.Struct, frozen=True):
    """Registration input once it passed every rule: email normalized, name trimmed."""

    email: str
    password: str
    name: str


def check_new_user(email: str, password: str, name: str) -> NewUser:
    email, name = normalize_email(email), name.strip()
    problems = [("/email", email_problem(email)), ("/password", password_problem(password)),
                ("/name", name_problem(name))]
    raise_if_any(problems)
    return NewUser(email=email, password=password, name=name)


def raise_if_any(problems: list[tuple[str, str | None]]) -> None:
    errors = [FieldError(path, message) for path, message in problems if message]
    if errors:
        raise InvalidInput(errors)


# E.164: a plus, then up to 15 digits, the first not 0 (spaces are for people, not for storage).
_E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
MAIL_FROM_NAME_MAX = 100


def normalize_phone(raw: str) -> str:
    return raw.strip()


def phone_problem(phone: str) -> str | None:
    """Why a normalized phone number is unacceptable, or None."""
    if not _E164.match(phone):
        return "must be a phone number in E.164 form (+ and up to 15 digits, e.g. +447700900123)"
    return None


class ProfileChange(msgspec.Struct, frozen=True):
    """A user's new name and phone once they passed every rule (`phone` None: no phone)."""

    name: str
    phone: str | None


def check_profile(name: str, phone: str | None) -> ProfileChange:
    name = name.strip()
    phone = normalize_phone(phone) if phone is not None else None
    raise_if_any([("/name", name_problem(name)), ("/phone", phone_problem(phone) if phone is not None else None)])
    return ProfileChange(name=name, phone=phone)


def mail_from_name_problem(name: str) -> str | None:
    """A display name goes into a From header: one line, no control characters, short."""
    if not 1 <= len(name) <= MAIL_FROM_NAME_MAX:
        return f"must be 1 to {MAIL_FROM_NAME_MAX} characters long (null clears it)"
    if _CONTROL.search(name):
        return "must not contain line breaks or other control characters"
    return None

"""A message to every holder of a valid ticket for a show: an operator's announcement (a delay, a door
time), or the reminder the platform sends the day before the show (`kind` SHOW_REMINDER: one per
show, its words its template's).

Planned once, then its recipients are recorded in batches: holders are taken in ascending order of
their email, and `cursor` is the last one recorded, so a worker that stops half-way resumes where it
was and records nobody twice (each message's dedupe key is the announcement, the recipient, the kind).
The messages themselves go out like any other; the progress is counted from them."""

from __future__ import annotations

from datetime import datetime

import msgspec

from lml.notifications.domain.message import MessageKind
from lml.platform.domain.errors import FieldError, InvalidInput
from lml.platform.domain.text import CONTROL_CLASS, matches, trim, trimmed_text_pattern

# Who "created" a show's reminder, for the operator reading the list.
REMINDER_AUTHOR = "lml"
SUBJECT_MAX = 200
BODY_MAX = 10_000
# Both trimmed. A subject is one header line: no control character at all (a CR or LF would start
# another header); a body may have lines and tabs, nothing else below space. As patterns the OpenAPI
# document states too (`lml.platform.domain.text`).
_SUBJECT_REFUSED = CONTROL_CLASS
_BODY_REFUSED = r"\x00-\x08\x0b-\x1f\x7f"
SUBJECT_PATTERN = trimmed_text_pattern(SUBJECT_MAX, refused=_SUBJECT_REFUSED)
BODY_PATTERN = trimmed_text_pattern(BODY_MAX, refused=_BODY_REFUSED)


class Announcement(msgspec.Struct, frozen=True, kw_only=True):
    announcement_id: str
    organization_id: str
    show_id: str
    subject: str
    body: str
    created_by: str
    created_at: datetime
    kind: MessageKind = MessageKind.ANNOUNCEMENT  # or SHOW_REMINDER
    cursor: str | None = None
    # Set once every holder's message is recorded.
    planned_at: datetime | None = None

    @property
    def message_data(self) -> dict[str, str]:
        """What each recipient's message carries (a reminder's template needs nothing but the show)."""
        return {"subject": self.subject, "body": self.body} if self.kind is MessageKind.ANNOUNCEMENT else {}

    def advanced(self, last_recipient: str) -> Announcement:
        return msgspec.structs.replace(self, cursor=last_recipient)

    def completed(self, at: datetime) -> Announcement:
        return msgspec.structs.replace(self, planned_at=at)


class AnnouncementProgress(msgspec.Struct, frozen=True, kw_only=True):
    """Its messages so far (one per recipient): `failed` will not arrive (dead), `pending` are queued
    or being retried."""

    recipients: int = 0
    sent: int = 0
    failed: int = 0
    pending: int = 0


def new_announcement(
    *, announcement_id: str, organization_id: str, show_id: str, subject: str, body: str, created_by: str,
    at: datetime,
) -> Announcement:
    """Raises InvalidInput listing every problem with the subject and the body."""
    problems = [
        FieldError(path, message)
        for path, message in (
            ("/subject", _text_problem(subject, SUBJECT_PATTERN, SUBJECT_MAX)),
            ("/body", _text_problem(body, BODY_PATTERN, BODY_MAX)),
        )
        if message
    ]
    subject, body = trim(subject), trim(body)
    if problems:
        raise InvalidInput(problems)
    return Announcement(announcement_id=announcement_id, organization_id=organization_id, show_id=show_id,
                        subject=subject, body=body, created_by=created_by, created_at=at)


def new_show_reminder(*, announcement_id: str, organization_id: str, show_id: str, at: datetime) -> Announcement:
    return Announcement(announcement_id=announcement_id, organization_id=organization_id, show_id=show_id,
                        subject="", body="", created_by=REMINDER_AUTHOR, created_at=at,
                        kind=MessageKind.SHOW_REMINDER)


def _text_problem(text: str, pattern: str, longest: int) -> str | None:
    if matches(pattern, text):
        return None
    if not trim(text):
        return "is required"
    if len(trim(text)) > longest:
        return f"is longer than {longest} characters"
    return "contains a control character"

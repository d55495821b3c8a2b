"""An announcement's subject and body: required, bounded, and never able to smuggle a header."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lml.notifications.domain.announcement import Announcement, new_announcement
from lml.platform.domain.errors import InvalidInput

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def announce(subject: str, body: str) -> Announcement:
    return new_announcement(announcement_id="a1", organization_id="org", show_id="s1", subject=subject, body=body,
                            created_by="user:u1", at=AT)


def test_subject_and_body_are_trimmed_and_the_body_keeps_its_lines() -> None:
    announcement = announce("  Doors at 19:00  ", "Dear all,\n\n\tDoors open late tonight.\n")

    assert (announcement.subject, announcement.body) == ("Doors at 19:00", "Dear all,\n\n\tDoors open late tonight.")
    assert (announcement.cursor, announcement.planned_at) == (None, None)


@pytest.mark.parametrize(
    ("subject", "body", "problems"),
    [
        ("", " ", {"/subject": "is required", "/body": "is required"}),
        ("Delay\r\nBcc: everyone@example.com", "ok", {"/subject": "contains a control character"}),
        ("ok", "bell \x07", {"/body": "contains a control character"}),
        ("x" * 201, "y" * 10_001, {"/subject": "is longer than 200 characters",
                                   "/body": "is longer than 10000 characters"}),
    ],
)
def test_every_problem_is_listed_at_once(subject: str, body: str, problems: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as refused:
        announce(subject, body)

    assert {e.path: e.message for e in refused.value.errors} == problems


def test_it_advances_a_recipient_at_a_time_then_completes() -> None:
    announcement = announce("Delay", "Half an hour late").advanced("b@example.com").completed(AT)

    assert (announcement.cursor, announcement.planned_at) == ("b@example.com", AT)

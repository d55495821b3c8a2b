"""A version's lifecycle: draft → published → archived, and nothing but a draft ever changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lml.venues.domain.errors import InvalidTransition, LayoutImmutable
from lml.venues.domain.layout import LayoutDraft
from lml.venues.domain.layout_rules import build_layout
from lml.venues.domain.layout_version import LayoutVersion, latest
from tests.fixtures.venues import layout_json

T0 = datetime(2030, 1, 1, tzinfo=UTC)
CONTENT = build_layout("0190a0b0-0000-7000-8000-000000000003", 1, msgspec.convert(layout_json(4), LayoutDraft))
BIGGER = build_layout("0190a0b0-0000-7000-8000-000000000003", 1, msgspec.convert(layout_json(9), LayoutDraft))


def test_a_draft_is_published_then_archived() -> None:
    draft = LayoutVersion.draft("venue", CONTENT, T0)
    published = draft.publish("a" * 64, T0 + timedelta(seconds=1))
    archived = published.archive(T0 + timedelta(seconds=2))
    assert (draft.status, published.status, archived.status) == ("draft", "published", "archived")
    assert archived.hash == "a" * 64 and archived.published_at == T0 + timedelta(seconds=1)


def test_a_published_version_cannot_be_revised_nor_published_again() -> None:
    published = LayoutVersion.draft("venue", CONTENT, T0).publish("a" * 64, T0)
    with pytest.raises(LayoutImmutable):
        published.revise(BIGGER, T0)
    with pytest.raises(LayoutImmutable):
        published.publish("b" * 64, T0)


def test_only_a_published_version_is_archived() -> None:
    with pytest.raises(InvalidTransition):
        LayoutVersion.draft("venue", CONTENT, T0).archive(T0)


OPERATIONS = st.lists(st.sampled_from(["revise", "publish", "archive"]), max_size=12)


@given(OPERATIONS)
def test_status_only_moves_forward_and_published_content_never_changes(operations: list[str]) -> None:
    version = LayoutVersion.draft("venue", CONTENT, T0)
    order = ["draft", "published", "archived"]
    frozen: tuple[object, ...] | None = None
    for step, operation in enumerate(operations):
        before = version
        try:
            if operation == "revise":
                version = version.revise(BIGGER if step % 2 else CONTENT, T0)
            elif operation == "publish":
                version = version.publish(f"{step:064x}", T0)
            else:
                version = version.archive(T0)
        except (LayoutImmutable, InvalidTransition):
            assert version == before
        assert order.index(version.status) >= order.index(before.status)
        if version.status != "draft":
            snapshot = (version.hash, version.seat_count, version.name, version.published_at)
            frozen = frozen or snapshot
            assert snapshot == frozen


def test_latest_picks_the_highest_version_of_the_statuses_asked() -> None:
    v1 = LayoutVersion.draft("venue", CONTENT, T0).publish("a" * 64, T0)
    v2 = msgspec.structs.replace(LayoutVersion.draft("venue", CONTENT, T0), version=2)
    assert latest([v1, v2]) == v2
    assert latest([v1, v2], "published") == v1
    assert latest([v1, v2], "archived") is None

"""Who the limit of seats per buyer counts as one buyer, and how a refusal reads."""

from __future__ import annotations

import hashlib

from lml.platform.domain.buyer_limit import BuyerLimitExceeded, limit_key


def test_a_registered_user_is_counted_by_their_id() -> None:
    assert limit_key("user", "u-1", "ada@example.com") == "user:u-1"


def test_guests_are_counted_by_their_normalized_email_whatever_the_session() -> None:
    first = limit_key("guest", "session-1", "ada@example.com")
    assert first == limit_key("guest", "session-2", "  Ada@Example.COM ")
    assert first == "guest-email:" + hashlib.sha256(b"ada@example.com").hexdigest()[:32]
    assert first != limit_key("guest", "session-1", "bob@example.com")
    assert "ada" not in first


def test_a_guest_without_an_email_is_counted_by_their_session() -> None:
    assert limit_key("guest", "session-1", None) == "guest:session-1"
    assert limit_key("guest", "session-1", "  ") == "guest:session-1"


def test_a_refusal_names_the_limit_and_what_counts_against_it() -> None:
    refused = BuyerLimitExceeded(requested=2, held=1, ordered=3, limit=4)
    assert refused.extensions["limit"] == 4
    assert (refused.extensions["held"], refused.extensions["ordered"], refused.extensions["requested"]) == (1, 3, 2)
    assert [e.path for e in refused.errors] == ["/seat_ids"]
    assert "the limit is 4" in refused.detail and "6 seats" in refused.detail

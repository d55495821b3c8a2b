"""The queue pass: checked by its signature alone, bound to one show and one buyer, until it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lml.admission.domain.errors import QueuePassInvalid
from lml.admission.domain.queue_pass import PassClaims, sign_pass, verify_pass

KEY = b"k" * 32
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SHOW, BUYER = "01a2167f-b2c9-76db-8779-696f4b980a33", "user:01a2167f-0000-7000-8000-000000000001"


def a_pass(**overrides: object) -> str:
    fields: dict[str, object] = {"show_id": SHOW, "buyer": BUYER, "entry_id": "e1",
                                 "expires_ms": int((NOW + timedelta(minutes=10)).timestamp() * 1000)}
    return sign_pass(PassClaims(**{**fields, **overrides}), KEY)  # type: ignore[arg-type]


def test_a_pass_is_good_for_its_show_and_buyer_until_it_expires() -> None:
    claims = verify_pass(a_pass(), KEY, show_id=SHOW, buyer=BUYER, now=NOW)
    assert (claims.entry_id, claims.expires_at) == ("e1", NOW + timedelta(minutes=10))


@pytest.mark.parametrize(("token", "show", "buyer", "now"), [
    (a_pass(), "another show", BUYER, NOW),
    (a_pass(), SHOW, "user:someone else", NOW),
    (a_pass(), SHOW, BUYER, NOW + timedelta(minutes=10)),
    (sign_pass(PassClaims(SHOW, BUYER, "e1", 2**40), b"another key" * 3), SHOW, BUYER, NOW),
    (a_pass(buyer="user:someone else").split(".")[0] + "." + a_pass().split(".")[1], SHOW, "user:someone else", NOW),
    ("", SHOW, BUYER, NOW),
    ("not.base64!", SHOW, BUYER, NOW),
    (a_pass() + "x", SHOW, BUYER, NOW),
])
def test_a_pass_for_another_show_buyer_time_or_key_or_altered_is_refused(
    token: str, show: str, buyer: str, now: datetime
) -> None:
    with pytest.raises(QueuePassInvalid):
        verify_pass(token, KEY, show_id=show, buyer=buyer, now=now)

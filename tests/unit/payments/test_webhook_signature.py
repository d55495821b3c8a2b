"""Stripe's webhook signature, checked on the raw body against every accepted secret."""

from __future__ import annotations

import pytest

from lml.payments.domain.errors import InvalidWebhookSignature
from lml.payments.domain.webhook_signature import verify_signature
from tests.fixtures.payments import stripe_signature

BODY = b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {}}}'
NOW = 1_800_000_000
SECRET = "whsec_current"


def test_a_body_signed_with_the_secret_now_is_accepted() -> None:
    verify_signature(BODY, stripe_signature(BODY, SECRET, NOW), [SECRET], now=NOW)


def test_a_signature_made_with_another_secret_is_refused() -> None:
    with pytest.raises(InvalidWebhookSignature, match="matches"):
        verify_signature(BODY, stripe_signature(BODY, "whsec_someone_else", NOW), [SECRET], now=NOW)


def test_a_body_changed_after_signing_is_refused() -> None:
    header = stripe_signature(BODY, SECRET, NOW)
    with pytest.raises(InvalidWebhookSignature):
        verify_signature(BODY.replace(b"evt_1", b"evt_2"), header, [SECRET], now=NOW)


def test_the_same_json_re_encoded_is_refused_because_the_raw_bytes_are_signed() -> None:
    header = stripe_signature(BODY, SECRET, NOW)
    with pytest.raises(InvalidWebhookSignature):
        verify_signature(BODY.replace(b": ", b":"), header, [SECRET], now=NOW)


@pytest.mark.parametrize("age", [0, 299, 300, -300])
def test_a_signature_up_to_300_seconds_off_is_accepted(age: int) -> None:
    verify_signature(BODY, stripe_signature(BODY, SECRET, NOW - age), [SECRET], now=NOW)


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_a_signature_more_than_300_seconds_off_is_refused_as_a_possible_replay(age: int) -> None:
    with pytest.raises(InvalidWebhookSignature, match="tolerance"):
        verify_signature(BODY, stripe_signature(BODY, SECRET, NOW - age), [SECRET], now=NOW)


def test_during_a_rotation_both_the_old_and_the_new_secret_are_accepted() -> None:
    secrets = ["whsec_new", "whsec_old"]
    verify_signature(BODY, stripe_signature(BODY, "whsec_old", NOW), secrets, now=NOW)
    verify_signature(BODY, stripe_signature(BODY, "whsec_new", NOW), secrets, now=NOW)
    with pytest.raises(InvalidWebhookSignature):
        verify_signature(BODY, stripe_signature(BODY, "whsec_retired", NOW), secrets, now=NOW)


def test_a_header_carrying_several_v1_signatures_matches_on_any_of_them() -> None:
    # Stripe sends one v1 per active endpoint secret while the endpoint's own secret is rolled.
    old = stripe_signature(BODY, "whsec_old", NOW).split(",")[1]
    new = stripe_signature(BODY, SECRET, NOW)
    verify_signature(BODY, f"{new},{old},v0=ignored", [SECRET], now=NOW)
    verify_signature(BODY, f"t={NOW},{old},v1=00ff", ["whsec_old"], now=NOW)


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", f"t={NOW}", "v1=abcdef", "t=yesterday,v1=abc", f"t={NOW},v0=abc",
     f"t={'9' * 5000},v1=abc", "t=\u00b2,v1=abc", "t=\u0661\u0662,v1=abc", "t=+1,v1=abc"],
)
def test_a_missing_or_malformed_header_is_refused(header: str | None) -> None:
    with pytest.raises(InvalidWebhookSignature):
        verify_signature(BODY, header, [SECRET], now=NOW)


def test_with_no_secret_configured_nothing_is_accepted() -> None:
    with pytest.raises(InvalidWebhookSignature):
        verify_signature(BODY, stripe_signature(BODY, SECRET, NOW), [], now=NOW)

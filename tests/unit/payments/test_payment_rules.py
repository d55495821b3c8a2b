"""Payments' pure rules: statuses that stay, refund limits, idempotency keys, the admin cursor."""

from __future__ import annotations

import base64

import pytest

from lml.payments.domain.errors import InvalidRefundAmount
from lml.payments.domain.inbox import decode_cursor, encode_cursor, is_dead_after
from lml.payments.domain.payment import Refund, check_refund_amount, contradicts, next_status
from lml.platform.domain.errors import InvalidInput


@pytest.mark.parametrize(
    ("current", "reported", "recorded"),
    [
        ("requires_payment_method", "succeeded", "succeeded"),
        ("requires_payment_method", "canceled", "canceled"),
        ("requires_payment_method", "processing", "processing"),
        ("succeeded", "requires_payment_method", "succeeded"),  # a stale failure after the success
        ("canceled", "requires_payment_method", "canceled"),
        ("succeeded", "canceled", "succeeded"),
    ],
)
def test_a_payment_intents_recorded_status_never_leaves_a_terminal_status(
    current: str, reported: str, recorded: str
) -> None:
    assert next_status(current, reported) == recorded


@pytest.mark.parametrize(
    ("current", "reported", "contradiction"),
    [("succeeded", "failed", True), ("failed", "succeeded", True), ("succeeded", "pending", False),
     ("succeeded", "succeeded", False), ("pending", "failed", False), ("requested", "succeeded", False)],
)
def test_another_outcome_for_a_settled_refund_is_a_contradiction_for_a_person(
    current: str, reported: str, contradiction: bool
) -> None:
    assert contradicts(current, reported) is contradiction


def _refund(amount: int, status: str = "succeeded", seq: int = 1) -> Refund:
    return Refund(id="r", order_id="o", seq=seq, payment_intent_id="pi", amount=amount, currency="USD",
                  reason="x", status=status)


def test_refunds_may_add_up_to_what_was_paid() -> None:
    check_refund_amount(300, paid=1000, refunds=[_refund(700)])


@pytest.mark.parametrize("amount", [0, -5])
def test_a_refund_must_be_positive(amount: int) -> None:
    with pytest.raises(InvalidRefundAmount) as caught:
        check_refund_amount(amount, paid=1000, refunds=[])
    assert caught.value.errors[0].path == "/amount"


def test_refunds_never_add_up_to_more_than_was_paid() -> None:
    with pytest.raises(InvalidRefundAmount, match="1 problem"):
        check_refund_amount(301, paid=1000, refunds=[_refund(600), _refund(100, "pending", 2)])


def test_failed_or_rejected_refunds_do_not_count_against_what_is_left() -> None:
    check_refund_amount(1000, paid=1000, refunds=[_refund(1000, "failed"), _refund(1000, "rejected", 2)])


def test_a_refunds_idempotency_key_is_derived_from_its_order_and_number() -> None:
    assert _refund(5, seq=3).idempotency_key == "refund:o:3"


def test_an_event_is_dead_after_the_last_allowed_attempt() -> None:
    assert not is_dead_after(9, 10)
    assert is_dead_after(10, 10)


def test_a_cursor_round_trips_and_is_opaque() -> None:
    assert decode_cursor(encode_cursor(12345)) == 12345
    assert "12345" not in encode_cursor(12345)


def test_the_largest_sequence_number_a_bigint_holds_round_trips() -> None:
    assert decode_cursor(encode_cursor(2**63 - 1)) == 2**63 - 1


def forged(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    ["", "%%%", "czEyYQ", "eDE", "!!", forged(f"s{2**63}"), forged("s" + "9" * 5000), forged("s\u0661"),
     forged("s-1")],
)
def test_a_cursor_this_list_did_not_return_is_invalid_input_naming_the_cursor(cursor: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_cursor(cursor)
    assert caught.value.errors[0].path == "/cursor"

"""Tickets: one per seat and GA unit, random codes, and a signed payload that verifies offline."""

from __future__ import annotations

import base64
import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lml.ordering.domain.checkout import (
    MAX_PAYMENT_WINDOW,
    PAYMENT_GRACE,
    ChosenSeat,
    ChosenZone,
    NotForSale,
    NothingToPay,
    Tier,
    order_lines,
    payment_deadline,
)
from lml.ordering.domain.tickets import InvalidTicket, TicketClaims, sign, tickets_for, verify
from tests.unit.ordering.orders import NOW, an_order

KEY = b"k" * 32
_ids = (f"t{n}" for n in itertools.count())


def test_a_paid_order_gets_one_ticket_per_seat_and_per_ga_unit() -> None:
    tickets = tickets_for(an_order(seats=3, ga=4), lambda: next(_ids))
    assert [t.seat_id for t in tickets if t.seat_id] == [f"{n:016x}" for n in (1, 2, 3)]
    assert [(t.zone_id, t.unit, t.line_no) for t in tickets if t.zone_id] == [("floor", u, 4) for u in range(1, 5)]
    assert len({t.code for t in tickets}) == len(tickets) == 7
    assert all(len(t.code) >= 22 for t in tickets)  # 128 random bits


def test_a_signed_ticket_verifies_and_gives_back_its_claims() -> None:
    ticket = tickets_for(an_order(seats=1), lambda: next(_ids))[0]
    payload = sign(ticket.claims, KEY)
    assert payload.startswith("LMLT1.")
    assert verify(payload, KEY) == TicketClaims(c=ticket.code, s=ticket.show_id, seat=ticket.seat_id)


def test_a_ga_ticket_carries_its_zone_and_unit() -> None:
    ticket = tickets_for(an_order(seats=0, ga=2), lambda: next(_ids))[1]
    assert verify(sign(ticket.claims, KEY), KEY) == TicketClaims(c=ticket.code, s=ticket.show_id, z="floor", n=2)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_ticket_moved_to_another_seat_fails_verification() -> None:
    payload = sign(TicketClaims(c="code", s="show", seat="aaaaaaaaaaaaaaaa"), KEY)
    prefix, _claims, signature = payload.split(".")
    forged = json.dumps({"c": "code", "s": "show", "seat": "bbbbbbbbbbbbbbbb"}, separators=(",", ":")).encode()
    with pytest.raises(InvalidTicket):
        verify(f"{prefix}.{_b64(forged)}.{signature}", KEY)


def test_a_ticket_signed_with_another_key_fails_verification() -> None:
    with pytest.raises(InvalidTicket):
        verify(sign(TicketClaims(c="code", s="show"), b"other-key"), KEY)


@pytest.mark.parametrize("payload", ["", "LMLT1", "LMLT1..", "LMLT2.e30.AAAA", "LMLT1.e30.!!!!", "garbage.with.dots"])
def test_malformed_payloads_are_refused(payload: str) -> None:
    with pytest.raises(InvalidTicket):
        verify(payload, KEY)


@given(st.binary(min_size=1, max_size=8), st.integers(0, 200))
def test_any_single_change_to_a_payload_fails_verification(junk: bytes, position: int) -> None:
    payload = sign(TicketClaims(c="abcdefghijklmnopqrstuv", s="0190a0b0-0000-7000-8000-0000000000bb",
                                seat="00000000000000a1"), KEY)
    index = position % len(payload)
    replacement = _b64(junk)[:1]
    tampered = payload[:index] + replacement + payload[index + 1:]
    if tampered == payload:
        return
    try:
        claims = verify(tampered, KEY)
    except InvalidTicket:
        return
    # base64 padding bits: a different last character may decode to the same bytes.
    assert claims == verify(payload, KEY)


def test_lines_are_priced_from_the_tiers_with_fees() -> None:
    tiers = {"a": Tier(tier_id="a", name="Stalls", price=5000, fee=300), "ga": Tier(tier_id="ga", name="Floor",
                                                                                    price=2000)}
    lines = order_lines([ChosenSeat(seat_id="s2", tier_id="a", label="A-1-2"), ChosenSeat(seat_id="s1", tier_id="a")],
                        [ChosenZone(zone_id="floor", tier_id="ga", quantity=3)], tiers)
    assert [(line.seat_id, line.zone_id, line.total) for line in lines] == [
        ("s1", None, 5300), ("s2", None, 5300), (None, "floor", 6000)]


def test_a_seat_without_a_price_is_not_for_sale() -> None:
    with pytest.raises(NotForSale) as refused:
        order_lines([ChosenSeat(seat_id="s1", tier_id=None)], [ChosenZone(zone_id="z", tier_id="x", quantity=1)], {})
    assert refused.value.extensions["unpriced"] == ["s1", "z"]


def test_places_that_cost_nothing_are_not_sold_through_checkout() -> None:
    with pytest.raises(NothingToPay):
        order_lines([ChosenSeat(seat_id="s1", tier_id="free")], [],
                    {"free": Tier(tier_id="free", name="Comp", price=0)})


def test_the_payment_deadline_extends_the_hold_once_and_is_capped() -> None:
    assert payment_deadline(NOW, NOW) == NOW + PAYMENT_GRACE
    assert payment_deadline(NOW + MAX_PAYMENT_WINDOW, NOW) == NOW + MAX_PAYMENT_WINDOW

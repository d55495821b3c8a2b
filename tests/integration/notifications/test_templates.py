"""The Jinja2 templates: every kind renders a subject, a text and an HTML part (and its SMS), with the
venue's local time, amounts in the order's currency, links to the apps, and the operator's and
buyer's text escaped in HTML."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lml.notifications.application.views import MessageContext, OrderSummary
from lml.notifications.domain.message import (
    ORDER_KINDS,
    SHOW_KINDS,
    SMS_KINDS,
    TOKEN_KINDS,
    Message,
    MessageKind,
    new_message,
)
from lml.notifications.domain.recipient import Channel
from lml.notifications.infrastructure.jinja_renderer import JinjaRenderer, local_time, money
from tests.fixtures.mail import decode_qr
from tests.fixtures.notifications import a_show, an_order

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
RENDERER = JinjaRenderer("https://apps.example/")
DATA: dict[MessageKind, dict[str, Any]] = {
    MessageKind.PAYMENT_FAILED: {"pay_before": "2026-06-01T12:10:00+00:00"},
    MessageKind.REFUND_PROCESSED: {"amount": 4500, "remaining": 0},
    MessageKind.SHOW_CANCELLED: {"refund_amount": 9000},
    MessageKind.ANNOUNCEMENT: {"subject": "Doors <late>", "body": "Doors at 20:00.\nBar open."},
}


def message(kind: MessageKind, order: OrderSummary, channel: Channel = Channel.EMAIL) -> Message:
    recipient = order.buyer_phone or "" if channel is Channel.SMS else order.buyer_email
    return new_message(
        message_id="m", kind=kind, channel=channel, recipient=recipient, event_key="e", at=AT,
        order_id=order.order_id if kind in ORDER_KINDS else None,
        show_id=order.show.show_id if kind in SHOW_KINDS else None,
        announcement_id="a" if kind is MessageKind.ANNOUNCEMENT else None,
        data=DATA.get(kind), secret="one-time-token" if kind in TOKEN_KINDS else None,
    )


def context(kind: MessageKind, order: OrderSummary) -> MessageContext:
    if kind in ORDER_KINDS:
        return MessageContext(order=order, show=order.show)
    return MessageContext(show=order.show) if kind in SHOW_KINDS else MessageContext()


@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_kind_renders_a_one_line_subject_a_text_and_an_html_part(kind: MessageKind) -> None:
    order = an_order(a_show(event_title="Hamlet\r\nBcc: everyone@example.com"))

    content = RENDERER.email(message(kind, order), context(kind, order))

    assert content.subject and "\n" not in content.subject and "\r" not in content.subject
    assert content.text.strip() and content.html.startswith("<!DOCTYPE html>")
    if kind in ORDER_KINDS | SHOW_KINDS:
        assert "Hamlet" in content.text and "19:30 BST" in content.text
    if kind in TOKEN_KINDS:
        assert "one-time-token" in content.text and "one-time-token" in content.html


@pytest.mark.parametrize("kind", sorted(SMS_KINDS))
def test_every_kind_that_goes_by_sms_has_a_short_text(kind: MessageKind) -> None:
    order = an_order(buyer_phone="+14155550123")

    text = RENDERER.sms(message(kind, order, Channel.SMS), context(kind, order))

    assert text == f"Your tickets for Hamlet, Tuesday 14 July 2026, 19:30 BST: https://apps.example/orders/{order.order_id}"


def test_only_the_confirmation_carries_the_tickets_codes_and_qr_codes() -> None:
    order = an_order(tickets=2)

    confirmation = RENDERER.email(message(MessageKind.ORDER_CONFIRMATION, order), context(
        MessageKind.ORDER_CONFIRMATION, order))
    cancelled = RENDERER.email(message(MessageKind.SHOW_CANCELLED, order), context(MessageKind.SHOW_CANCELLED, order))

    assert [decode_qr(image.png) for image in confirmation.images] == [[t.qr_payload] for t in order.tickets]
    assert [image.content_id for image in confirmation.images] == ["ticket-1@lml", "ticket-2@lml"]
    assert cancelled.images == []
    assert all(t.code not in cancelled.text and t.code not in cancelled.html for t in order.tickets if t.code)


def test_operator_and_buyer_text_is_escaped_in_html_and_kept_as_is_in_text() -> None:
    order = an_order(a_show(event_title="Tom & Jerry <live>", venue_name="<script>alert(1)</script>"))
    kind = MessageKind.ANNOUNCEMENT

    content = RENDERER.email(message(kind, order), context(kind, order))

    assert "Tom &amp; Jerry &lt;live&gt;" in content.html and "&lt;script&gt;" in content.html
    assert "<script>" not in content.html and "Doors &lt;late&gt;" in content.html
    assert content.subject == "Doors <late> (Tom & Jerry <live>)"
    assert "Doors at 20:00.\nBar open." in content.text


def test_figures_are_in_the_orders_currency_and_deadlines_in_the_venues_time() -> None:
    order = an_order(a_show(timezone="Asia/Tokyo"), price=5000, currency="JPY", tickets=1)
    kind = MessageKind.PAYMENT_FAILED

    content = RENDERER.email(message(kind, order), context(kind, order))

    assert "Monday 1 June 2026, 21:10 JST" in content.text
    assert "JPY 5,000" in content.text


@pytest.mark.parametrize(
    ("kind", "link"),
    [(MessageKind.GUEST_RECOVERY, "https://apps.example/guest/recover#token=one-time-token"),
     (MessageKind.PASSWORD_RESET, "https://apps.example/password-reset#token=one-time-token")],
)
def test_account_mail_links_to_the_apps_with_its_token_where_no_server_logs_it(kind: MessageKind, link: str) -> None:
    content = RENDERER.email(message(kind, an_order()), MessageContext())

    assert link in content.text and f'href="{link}"' in content.html


@pytest.mark.parametrize(("amount", "currency", "shown"),
                         [(4500, "GBP", "GBP 45.00"), (123456789, "usd", "USD 1,234,567.89"), (7, "EUR", "EUR 0.07"),
                          (5000, "JPY", "JPY 5,000")])
def test_money_is_shown_in_major_units(amount: int, currency: str, shown: str) -> None:
    assert money(amount, currency) == shown


def test_local_time_names_the_zone_it_is_in() -> None:
    assert local_time(datetime(2026, 12, 24, 19, 0, tzinfo=UTC), "America/Los_Angeles") == (
        "Thursday 24 December 2026, 11:00 PST")

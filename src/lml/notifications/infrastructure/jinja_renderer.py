"""The Renderer port on Jinja2: each kind has `<kind>.subject.txt`, `<kind>.txt` and `<kind>.html`
(and `<kind>.sms.txt` when it goes by SMS) under `templates/`.

HTML templates are autoescaped (an event title or an announcement is the operator's text, never
markup); text templates are not, as nothing interprets them. Undefined names fail the rendering
(the message is retried and, if it keeps failing, dead for an operator to see) rather than printing
nothing. Times are the venue's local time; amounts are minor units formatted in their currency."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from lml.notifications.application.ports import EmailContent, InlineImage
from lml.notifications.application.views import MessageContext, OrderSummary, ShowSummary
from lml.notifications.domain.message import Message, MessageKind
from lml.notifications.infrastructure.qr_codes import qr_png

# The kinds that carry the tickets themselves (codes, QR codes): the others list the order's places.
_TICKET_KINDS = frozenset({MessageKind.ORDER_CONFIRMATION})
# ISO 4217 currencies without minor units (an amount in them is a whole number).
_ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND",
                           "VUV", "XAF", "XOF", "XPF"})


def money(amount: int, currency: str) -> str:
    if currency.upper() in _ZERO_DECIMAL:
        return f"{currency.upper()} {amount:,}"
    return f"{currency.upper()} {amount // 100:,}.{amount % 100:02d}"


def local_time(moment: datetime, timezone: str) -> str:
    """`Tuesday 14 July 2026, 19:30 BST`: the time in the venue's own timezone, named."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} {local.tzname()}"


class JinjaRenderer:
    def __init__(self, public_base_url: str) -> None:
        self._base = public_base_url.rstrip("/")
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("lml.notifications.infrastructure", "templates"),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        )

    def email(self, message: Message, context: MessageContext) -> EmailContent:
        values = self._values(message, context)
        # One header line, whatever the event's title holds.
        subject = " ".join(self._render(f"{message.kind}.subject.txt", values).split())
        images = [InlineImage(content_id=item["cid"], png=qr_png(item["qr_payload"]))
                  for item in values["items"] if item["qr_payload"]]
        return EmailContent(subject=subject, text=self._render(f"{message.kind}.txt", values),
                            html=self._render(f"{message.kind}.html", values), images=images)

    def sms(self, message: Message, context: MessageContext) -> str:
        return self._render(f"{message.kind}.sms.txt", self._values(message, context)).strip()

    def _render(self, name: str, values: dict[str, Any]) -> str:
        return self._env.get_template(name).render(values)

    def _values(self, message: Message, context: MessageContext) -> dict[str, Any]:
        show, order = context.show, context.order
        values: dict[str, Any] = {
            "show": _show(show) if show else None,
            "order": None,
            "items": [],
            "orders_link": f"{self._base}/orders",
            "data": message.data,
        }
        if order is not None:
            values["order"] = {"order_id": order.order_id, "total": money(order.total, order.currency),
                               "link": f"{self._base}/orders/{order.order_id}"}
            values["items"] = _items(order, with_tickets=message.kind in _TICKET_KINDS)
            values.update(_order_data(message, order))
        if message.kind is MessageKind.GUEST_RECOVERY:
            values["link"] = f"{self._base}/guest/recover#token={message.secret}"
        elif message.kind is MessageKind.PASSWORD_RESET:
            values["link"] = f"{self._base}/password-reset#token={message.secret}"
        return values


def _show(show: ShowSummary) -> dict[str, str]:
    return {"title": show.event_title, "when": local_time(show.starts_at, show.timezone),
            "venue_name": show.venue_name, "venue_address": show.venue_address}


def _items(order: OrderSummary, *, with_tickets: bool) -> list[dict[str, Any]]:
    return [{"place": item.place, "tier": item.tier, "price": money(item.price, order.currency),
             "code": item.code if with_tickets else None, "qr_payload": item.qr_payload if with_tickets else None,
             "cid": f"ticket-{n}@lml"}
            for n, item in enumerate(order.items, start=1)]


def _order_data(message: Message, order: OrderSummary) -> dict[str, str]:
    """The event's figures, formatted: amounts in the order's currency, deadlines in the venue's time."""
    data = message.data
    formatted = {name: money(int(data[name]), order.currency)
                 for name in ("amount", "remaining", "refund_amount") if name in data}
    if "pay_before" in data:
        formatted["pay_before"] = local_time(datetime.fromisoformat(data["pay_before"]), order.show.timezone)
    return formatted

"""A guest who gave a phone number gets the confirmation by SMS too, when SMS is configured; and an
organization's mail goes out under its own sender name and reply-to address, from our address."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import msgspec
import pytest

from lml.config import Settings
from tests.e2e.ordering.journey import paid
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.mail import MailSink
from tests.fixtures.ordering import TestWorker
from tests.fixtures.payments import SignedWebhook, StripeApp
from tests.fixtures.sms import TwilioStandIn

ACCOUNT = "AC" + "0123456789abcdef" * 2


@pytest.fixture
def settings(base_settings: Settings, clean_world: None, mail_sink: MailSink, twilio: TwilioStandIn
             ) -> Iterator[Settings]:
    yield msgspec.structs.replace(
        base_settings, smtp_url=mail_sink.url, twilio_account_sid=ACCOUNT, twilio_auth_token="t" * 32,
        twilio_from="+14155550100", twilio_api_base=twilio.base_url)


class Guest(msgspec.Struct):
    headers: dict[str, str]


async def test_the_guest_s_phone_gets_a_link_and_the_mail_wears_the_organization_s_name(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, stripe_app: StripeApp, signed_webhook: SignedWebhook,
    worker: TestWorker, mail_sink: MailSink, twilio: TwilioStandIn, settings: Settings,
) -> None:
    show = await make_show_on_sale(seats=4)
    dressed = await api.patch(f"/v1/admin/organizations/{show.org_id}",
                              json={"mail_from_name": "Old Vic Box Office", "reply_to": "box@oldvic.test"},
                              headers=show.operator.headers)
    assert dressed.status_code == 200, dressed.text
    session = await api.post("/v1/auth/guest", json={"email": "fan@example.com", "name": "Fan",
                                                     "phone": "+447700900123"})
    assert session.status_code == 201, session.text
    guest = Guest({"Authorization": f"Bearer {session.json()['access_token']}"})

    placed = await paid(api, guest, show.show_id, show.seat_ids[:1], stripe_app, signed_webhook)
    await worker.drain()
    await worker.send_mail()

    [mail] = await mail_sink.wait_for(1)
    assert mail["From"].addresses[0].display_name == "Old Vic Box Office"
    assert mail["From"].addresses[0].addr_spec == "tickets@localhost"  # the envelope and address stay ours
    assert str(mail["Reply-To"]) == "box@oldvic.test"
    [sms] = twilio.received
    assert (sms["form"]["To"], sms["form"]["From"]) == ("+447700900123", "+14155550100")
    assert f"/orders/{placed['order_id']}" in sms["form"]["Body"]

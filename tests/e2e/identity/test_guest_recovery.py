"""Guest recovery, end to end: a guest whose token lapsed asks for a link (202 whatever the email),
the worker makes a one-time token and the mail reaches a real SMTP server, and the link's token is
traded for a guest session that sees every order placed by guests with that email, and their
tickets. A used, expired or unknown token is 410."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx

from lml.container import Container
from lml.platform.domain.principal import Principal
from tests.e2e.identity.account_mail import next_link_mail, settings, token_in
from tests.e2e.identity.api import problem
from tests.e2e.ordering.journey import buy, pay_on_stripe
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.mail import MailSink
from tests.fixtures.ordering import TestWorker
from tests.fixtures.payments import SignedWebhook, StripeApp
from tests.fixtures.seating import TestBuyer
from tests.timing import TestClock

__all__ = ["settings"]  # the module's settings mail the test's SMTP sink

RECOVER, REDEEM = "/v1/auth/guest/recover", "/v1/auth/guest/redeem"


async def guest(api: httpx.AsyncClient, email: str, name: str = "Ada") -> TestBuyer:
    response = await api.post("/v1/auth/guest", json={"email": email, "name": name})
    assert response.status_code == 201, response.text
    session = response.json()
    return TestBuyer(kind="guest", subject=session["guest_id"], email=session["email"],
                     token=session["access_token"])


async def recovery_token(api: httpx.AsyncClient, worker: TestWorker, mail_sink: MailSink, email: str) -> str:
    before = len(mail_sink.messages())
    response = await api.post(RECOVER, json={"email": email})
    assert response.status_code == 202, response.text
    await worker.drain()
    await worker.send_mail()
    mail = await next_link_mail(mail_sink, "/guest/recover", before)
    assert str(mail["To"]) == email
    return token_in(mail, "/guest/recover")


async def redeemed(api: httpx.AsyncClient, token: str) -> TestBuyer:
    response = await api.post(REDEEM, json={"token": token})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    session = response.json()
    assert session["email_verified"] is True and session["token_type"] == "Bearer"
    return TestBuyer(kind="guest", subject=session["guest_id"], email=session["email"],
                     token=session["access_token"])


async def order_ids(api: httpx.AsyncClient, buyer: TestBuyer) -> set[str]:
    response = await api.get("/v1/orders", headers=buyer.headers)
    assert response.status_code == 200, response.text
    return {o["order_id"] for o in response.json()["orders"]}


async def outbox(container: Container) -> list[dict[str, Any]]:
    async with container.resources.db.unit_of_work() as uow:
        rows = await (await uow.conn.execute("SELECT event_type, payload FROM platform.outbox ORDER BY id")).fetchall()
    return rows


async def test_a_recovered_guest_sees_every_guest_order_of_their_email_and_its_tickets(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, stripe_app: StripeApp, signed_webhook: SignedWebhook,
    worker: TestWorker, mail_sink: MailSink, container: Container,
) -> None:
    show = await make_show_on_sale(seats=10)
    first, second = await guest(api, "Ada@Example.com"), await guest(api, "ada@example.com", "Ada L")
    stranger = await guest(api, "bob@example.com")
    # A registered user with the same email: their orders are reached by logging in, never by a link.
    user_subject = "0190a000-0000-7000-8000-000000000001"
    user = TestBuyer(kind="user", subject=user_subject, email="ada@example.com", token=container.resources.tokens.issue(
        Principal(user_subject, "user", frozenset({"buyer"}), "ada@example.com"), datetime.now(UTC)))
    paid = await buy(api, first, show.show_id, show.seat_ids[:1])
    pending = await buy(api, second, show.show_id, show.seat_ids[1:2])
    others = await buy(api, stranger, show.show_id, show.seat_ids[2:3])
    users = await buy(api, user, show.show_id, show.seat_ids[3:4])
    await pay_on_stripe(stripe_app, signed_webhook, paid["payment"]["payment_intent_id"])
    await worker.drain()

    recovered = await redeemed(api, await recovery_token(api, worker, mail_sink, "ada@example.com"))

    assert recovered.email == "ada@example.com"
    assert await order_ids(api, recovered) == {paid["order_id"], pending["order_id"]}
    tickets = await api.get(f"/v1/orders/{paid['order_id']}/tickets", headers=recovered.headers)
    assert tickets.status_code == 200 and len(tickets.json()["tickets"]) == 1, tickets.text
    assert (await api.get(f"/v1/orders/{pending['order_id']}", headers=recovered.headers)).status_code == 200
    for hidden in (others, users):
        problem(await api.get(f"/v1/orders/{hidden['order_id']}", headers=recovered.headers), 404)
        problem(await api.get(f"/v1/orders/{hidden['order_id']}/tickets", headers=recovered.headers), 404)
    # Seeing is not acting: paying or cancelling stays with the session that placed the order.
    problem(await api.post(f"/v1/orders/{pending['order_id']}/cancel", headers=recovered.headers), 404)
    # Sessions that never proved their email still see only their own orders.
    assert await order_ids(api, first) == {paid["order_id"]}
    assert await order_ids(api, second) == {pending["order_id"]}
    problem(await api.get(f"/v1/orders/{pending['order_id']}", headers=first.headers), 404)


def same_headers(response: httpx.Response) -> dict[str, str]:
    """The headers, less those that differ on every request (its id, the rate limit's countdown)."""
    return {k: v for k, v in response.headers.items() if not k.startswith(("ratelimit", "x-request-id"))}


async def test_known_and_unknown_emails_get_the_same_answer_and_the_same_work(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, worker: TestWorker, mail_sink: MailSink,
    container: Container,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = await guest(api, "known@example.com")
    await buy(api, buyer, show.show_id, show.seat_ids[:1])
    await worker.drain()
    done = len(await outbox(container))

    known = await api.post(RECOVER, json={"email": "known@example.com"})
    unknown = await api.post(RECOVER, json={"email": "nobody@example.com"})

    assert (known.status_code, unknown.status_code) == (202, 202)
    assert known.content == unknown.content
    assert same_headers(known) == same_headers(unknown)
    # The route did one thing for each: an event naming the email, never a token.
    events = (await outbox(container))[done:]
    assert [e["event_type"] for e in events] == ["identity.GuestRecoveryRequested"] * 2
    assert [sorted(e["payload"]) for e in events] == [["email", "requested_at"]] * 2
    assert [e["payload"]["email"] for e in events] == ["known@example.com", "nobody@example.com"]
    # Both get a link (we do not know, and do not tell, who bought); no token is kept in the clear.
    await worker.drain()
    await worker.send_mail()
    mails = await mail_sink.wait_for(2)
    assert sorted(str(m["To"]) for m in mails) == ["known@example.com", "nobody@example.com"]
    async with container.resources.db.unit_of_work() as uow:
        stored = await (await uow.conn.execute("SELECT token_hash FROM identity.account_tokens")).fetchall()
    tokens = [token_in(m, "/guest/recover") for m in mails]
    assert len(stored) == 2 and not {row["token_hash"] for row in stored} & set(tokens)


async def test_a_link_works_once_and_for_thirty_minutes(
    api: httpx.AsyncClient, worker: TestWorker, mail_sink: MailSink, clock: TestClock,
) -> None:
    token = await recovery_token(api, worker, mail_sink, "ada@example.com")
    await redeemed(api, token)
    used = problem(await api.post(REDEEM, json={"token": token}), 410)
    assert used["type"].endswith("/token-expired-or-used")

    late = await recovery_token(api, worker, mail_sink, "ada@example.com")
    clock.advance(minutes=30)
    problem(await api.post(REDEEM, json={"token": late}), 410)
    problem(await api.post(REDEEM, json={"token": "made-up"}), 410)


async def test_two_redemptions_of_one_link_at_once_give_one_session(
    api: httpx.AsyncClient, worker: TestWorker, mail_sink: MailSink,
) -> None:
    for _ in range(3):
        token = await recovery_token(api, worker, mail_sink, "race@example.com")
        answers = await asyncio.gather(*(api.post(REDEEM, json={"token": token}) for _ in range(2)))
        assert sorted(a.status_code for a in answers) == [200, 410]


async def test_bad_requests_are_refused_and_change_nothing(api: httpx.AsyncClient, container: Container) -> None:
    assert {e["path"] for e in problem(await api.post(RECOVER, json={"email": "not an email"}), 422)["errors"]} \
        == {"/email"}
    problem(await api.post(RECOVER, json={"email": "ada@example.com", "extra": 1}), 422)
    problem(await api.post(REDEEM, json={"token": ""}), 422)
    problem(await api.post(REDEEM, json={}), 422)
    assert await outbox(container) == []


async def test_asking_for_links_is_rate_limited_per_client_address(api: httpx.AsyncClient) -> None:
    answers = [await api.post(RECOVER, json={"email": f"user{n}@example.com"}) for n in range(12)]
    assert [a.status_code for a in answers[:10]] == [202] * 10
    refused = problem(answers[-1], 429)
    assert refused["status"] == 429 and int(answers[-1].headers["retry-after"]) >= 1

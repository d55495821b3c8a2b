"""Password reset, end to end: 202 for every email, a one-time link mailed only to an account's
email, and the token traded for a new password: the old one stops working, every session of the
account ends at once (refresh tokens revoked, access tokens refused). A used or expired token is 410."""

from __future__ import annotations

import httpx

from lml.container import Container
from tests.e2e.identity.account_mail import next_link_mail, settings, token_in
from tests.e2e.identity.api import error_paths, me, password_grant, problem, refresh_grant
from tests.fixtures.identity import MakeUser, TestUser
from tests.fixtures.mail import MailSink
from tests.fixtures.ordering import TestWorker
from tests.timing import TestClock

__all__ = ["settings"]  # the module's settings mail the test's SMTP sink

RESET, CONFIRM = "/v1/auth/password-reset", "/v1/auth/password-reset/confirm"
NEW_PASSWORD = "a brand new passphrase"


async def reset_token(api: httpx.AsyncClient, worker: TestWorker, mail_sink: MailSink, user: TestUser) -> str:
    seen = len(mail_sink.messages())
    response = await api.post(RESET, json={"email": user.email.upper()})
    assert response.status_code == 202, response.text
    await worker.drain()
    await worker.send_mail()
    mail = await next_link_mail(mail_sink, "/password-reset", seen)
    assert str(mail["To"]) == user.email
    return token_in(mail, "/password-reset")


async def test_a_reset_sets_the_new_password_and_ends_every_session(
    api: httpx.AsyncClient, make_user: MakeUser, worker: TestWorker, mail_sink: MailSink,
) -> None:
    user = await make_user()
    laptop = (await password_grant(api, user.email, user.password)).json()
    token = await reset_token(api, worker, mail_sink, user)

    response = await api.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD})

    assert response.status_code == 204, response.text
    problem(await password_grant(api, user.email, user.password), 401)
    assert (await password_grant(api, user.email, NEW_PASSWORD)).status_code == 200
    for refresh_token in (user.refresh_token, laptop["refresh_token"]):
        problem(await refresh_grant(api, refresh_token), 401)
    for access_token in (user.token, laptop["access_token"]):
        problem(await me(api, access_token), 401)
    used = problem(await api.post(CONFIRM, json={"token": token, "password": "yet another passphrase"}), 410)
    assert used["type"].endswith("/token-expired-or-used")
    assert (await password_grant(api, user.email, NEW_PASSWORD)).status_code == 200


async def test_a_bad_password_is_refused_and_the_link_still_works(
    api: httpx.AsyncClient, make_user: MakeUser, worker: TestWorker, mail_sink: MailSink,
) -> None:
    user = await make_user()
    token = await reset_token(api, worker, mail_sink, user)

    assert error_paths(await api.post(CONFIRM, json={"token": token, "password": "short"})) == {"/password"}
    problem(await api.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD, "extra": True}), 422)

    assert (await password_grant(api, user.email, user.password)).status_code == 200
    assert (await me(api, user.token)).status_code == 200
    assert (await api.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD})).status_code == 204


async def test_an_expired_or_unknown_token_is_gone(
    api: httpx.AsyncClient, make_user: MakeUser, worker: TestWorker, mail_sink: MailSink, clock: TestClock,
) -> None:
    user = await make_user()
    token = await reset_token(api, worker, mail_sink, user)
    clock.advance(minutes=30, seconds=1)

    problem(await api.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD}), 410)
    problem(await api.post(CONFIRM, json={"token": "made-up", "password": NEW_PASSWORD}), 410)
    assert (await password_grant(api, user.email, user.password)).status_code == 200


async def test_a_guest_recovery_token_does_not_reset_a_password_nor_the_reverse(
    api: httpx.AsyncClient, make_user: MakeUser, worker: TestWorker, mail_sink: MailSink,
) -> None:
    user = await make_user()
    token = await reset_token(api, worker, mail_sink, user)
    problem(await api.post("/v1/auth/guest/redeem", json={"token": token}), 410)
    assert (await api.post(CONFIRM, json={"token": token, "password": NEW_PASSWORD})).status_code == 204


async def test_every_email_gets_the_same_answer_and_only_an_account_gets_mail(
    api: httpx.AsyncClient, make_user: MakeUser, worker: TestWorker, mail_sink: MailSink, container: Container,
) -> None:
    user = await make_user()

    known = await api.post(RESET, json={"email": user.email})
    unknown = await api.post(RESET, json={"email": "nobody@example.com"})

    assert (known.status_code, unknown.status_code) == (202, 202)
    assert known.content == unknown.content
    async with container.resources.db.unit_of_work() as uow:
        events = await (await uow.conn.execute(
            "SELECT event_type, payload FROM platform.outbox WHERE event_type <> 'identity.UserRegistered'"
            " ORDER BY id")).fetchall()
    assert [e["event_type"] for e in events] == ["identity.PasswordResetRequested"] * 2
    assert all(sorted(e["payload"]) == ["email", "requested_at"] for e in events)
    await worker.drain()
    await worker.send_mail()
    [mail] = await mail_sink.wait_for(1)
    assert str(mail["To"]) == user.email
    async with container.resources.db.unit_of_work() as uow:
        kept = await (await uow.conn.execute("SELECT kind, user_id::text FROM identity.account_tokens")).fetchall()
    assert kept == [{"kind": "password_reset", "user_id": user.user_id}]

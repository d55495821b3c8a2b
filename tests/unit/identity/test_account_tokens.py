"""The account flows against the in-memory fakes: what the worker's handlers mail, and what redeeming
a token does (once, within 30 minutes, as its own kind only)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lml.identity.application.account_requests import request_guest_recovery, request_password_reset
from lml.identity.application.login import login_with_password
from lml.identity.application.mail_account_tokens import mail_guest_recovery, mail_password_reset
from lml.identity.application.redeem_guest_recovery import redeem_guest_recovery
from lml.identity.application.register_user import register_user
from lml.identity.application.reset_password import reset_password
from lml.identity.application.sessions import SessionIssuer
from lml.identity.application.testing import FakeHasher, InMemoryIdentityStore, RecordingAccountMail, RecordingRevoker
from lml.identity.domain.errors import InvalidCredentials, TokenExpiredOrUsed
from lml.identity.domain.refresh_token import digest
from lml.identity.events import GuestRecoveryRequested, PasswordResetRequested
from lml.platform.domain.errors import InvalidInput
from lml.platform.tokens import TokenCodec
from tests.timing import TestClock

PASSWORD, NEW = "correct horse battery", "a brand new passphrase"
DELIVERY = object()  # stands for the outbox delivery's transaction, handed through untouched


async def mailed(store: InMemoryIdentityStore, clock: TestClock, *, reset: bool, email: str) -> RecordingAccountMail:
    mail = RecordingAccountMail()
    async with store() as tx:
        send = mail_password_reset if reset else mail_guest_recovery
        await send(tx, mail, DELIVERY, clock, email=email, request_id="event:1")  # type: ignore[arg-type]
        await tx.commit()
    return mail


async def test_requests_publish_an_event_naming_the_email_and_nothing_else(
    store: InMemoryIdentityStore, clock: TestClock
) -> None:
    await request_guest_recovery(uow=store, clock=clock, email=" Ada@Example.com ")
    await request_password_reset(uow=store, clock=clock, email="nobody@example.com")
    assert store.events == [GuestRecoveryRequested(email="ada@example.com", requested_at=clock.now()),
                            PasswordResetRequested(email="nobody@example.com", requested_at=clock.now())]
    with pytest.raises(InvalidInput):
        await request_guest_recovery(uow=store, clock=clock, email="not an email")


async def test_a_recovery_link_is_mailed_for_any_email_and_only_its_digest_kept(
    store: InMemoryIdentityStore, clock: TestClock
) -> None:
    mail = await mailed(store, clock, reset=False, email="ada@example.com")
    [sent] = mail.sent
    assert (sent.kind, sent.email, sent.request_id) == ("guest_recovery", "ada@example.com", "event:1")
    assert sent.expires_at == clock.now() + timedelta(minutes=30) and len(sent.token) >= 43
    assert list(store.state.account_tokens) == [digest(sent.token)]


async def test_a_redeemed_link_gives_a_verified_guest_session_once(
    store: InMemoryIdentityStore, clock: TestClock, codec: TokenCodec
) -> None:
    [sent] = (await mailed(store, clock, reset=False, email="ada@example.com")).sent
    session = await redeem_guest_recovery(uow=store, tokens=codec, clock=clock, token=sent.token)
    principal = codec.verify(session.access_token)
    assert (principal.kind, principal.email, principal.email_verified) == ("guest", "ada@example.com", True)
    with pytest.raises(TokenExpiredOrUsed):
        await redeem_guest_recovery(uow=store, tokens=codec, clock=clock, token=sent.token)


async def test_a_link_expires_after_thirty_minutes(
    store: InMemoryIdentityStore, clock: TestClock, codec: TokenCodec
) -> None:
    [sent] = (await mailed(store, clock, reset=False, email="ada@example.com")).sent
    clock.advance(minutes=30)
    with pytest.raises(TokenExpiredOrUsed):
        await redeem_guest_recovery(uow=store, tokens=codec, clock=clock, token=sent.token)


async def test_a_reset_is_mailed_only_to_an_account_and_ends_its_sessions(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock, sessions: SessionIssuer, codec: TokenCodec
) -> None:
    await register_user(uow=store, hasher=hasher, clock=clock, email="ada@example.com", password=PASSWORD, name="Ada")
    laptop = await login_with_password(uow=store, hasher=hasher, sessions=sessions, email="ada@example.com",
                                       password=PASSWORD)
    assert (await mailed(store, clock, reset=True, email="nobody@example.com")).sent == []
    [sent] = (await mailed(store, clock, reset=True, email="ada@example.com")).sent
    # A guest recovery does not take a reset token.
    with pytest.raises(TokenExpiredOrUsed):
        await redeem_guest_recovery(uow=store, tokens=codec, clock=clock, token=sent.token)
    revoker = RecordingRevoker()
    with pytest.raises(InvalidInput):
        await reset_password(uow=store, hasher=hasher, sessions=sessions, revoker=revoker, token=sent.token,
                             password="short")

    await reset_password(uow=store, hasher=hasher, sessions=sessions, revoker=revoker, token=sent.token, password=NEW)

    family = store.state.refresh_tokens[digest(laptop.refresh_token)].family_id
    assert store.state.refresh_tokens[digest(laptop.refresh_token)].revoked_at == clock.now()
    assert revoker.revoked == {family: codec.access_seconds}
    with pytest.raises(InvalidCredentials):
        await login_with_password(uow=store, hasher=hasher, sessions=sessions, email="ada@example.com",
                                  password=PASSWORD)
    await login_with_password(uow=store, hasher=hasher, sessions=sessions, email="ada@example.com", password=NEW)
    with pytest.raises(TokenExpiredOrUsed):
        await reset_password(uow=store, hasher=hasher, sessions=sessions, revoker=revoker, token=sent.token,
                             password=NEW)

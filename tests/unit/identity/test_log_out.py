"""Logging out against the in-memory fakes: which sessions end, in the store and for the revoker."""

from __future__ import annotations

from datetime import datetime

from lml.identity.application.log_out import log_out
from lml.identity.application.login import login_with_password
from lml.identity.application.register_user import register_user
from lml.identity.application.sessions import SessionIssuer, TokenPair
from lml.identity.application.start_guest_session import GUEST_TOKEN_SECONDS
from lml.identity.application.testing import FakeHasher, InMemoryIdentityStore, RecordingRevoker
from lml.identity.domain.refresh_token import digest
from lml.platform.domain.principal import Principal
from lml.platform.tokens import TokenCodec
from tests.timing import TestClock

PASSWORD = "correct horse battery"


async def logged_in(store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock, sessions: SessionIssuer,
                    email: str) -> TokenPair:
    """A new session of the user with `email`, registered first if need be."""
    async with store() as tx:
        registered = await tx.users.by_email(email) is not None
    if not registered:
        await register_user(uow=store, hasher=hasher, clock=clock, email=email, password=PASSWORD, name="Ada")
    return await login_with_password(uow=store, hasher=hasher, sessions=sessions, email=email, password=PASSWORD)


def revoked_at(store: InMemoryIdentityStore, refresh_token: str) -> datetime | None:
    return store.state.refresh_tokens[digest(refresh_token)].revoked_at


async def test_a_user_ends_their_session_and_only_it(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock, sessions: SessionIssuer, codec: TokenCodec
) -> None:
    laptop = await logged_in(store, hasher, clock, sessions, "ada@example.com")
    phone = await logged_in(store, hasher, clock, sessions, "ada@example.com")
    revoker = RecordingRevoker()
    principal = codec.verify(laptop.access_token)

    await log_out(uow=store, sessions=sessions, revoker=revoker, principal=principal)

    assert revoker.revoked == {principal.session_id: codec.access_seconds}
    assert revoked_at(store, laptop.refresh_token) == clock.now()
    assert revoked_at(store, phone.refresh_token) is None


async def test_a_refresh_token_of_the_callers_own_ends_its_session_too(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock, sessions: SessionIssuer, codec: TokenCodec
) -> None:
    laptop = await logged_in(store, hasher, clock, sessions, "ada@example.com")
    phone = await logged_in(store, hasher, clock, sessions, "ada@example.com")
    stranger = await logged_in(store, hasher, clock, sessions, "bob@example.com")
    revoker = RecordingRevoker()

    await log_out(uow=store, sessions=sessions, revoker=revoker, principal=codec.verify(laptop.access_token),
                  refresh_token=phone.refresh_token)
    await log_out(uow=store, sessions=sessions, revoker=revoker, principal=codec.verify(laptop.access_token),
                  refresh_token=stranger.refresh_token)

    assert set(revoker.revoked) == {codec.verify(laptop.access_token).session_id,
                                    codec.verify(phone.access_token).session_id}
    assert revoked_at(store, phone.refresh_token) == clock.now()
    assert revoked_at(store, stranger.refresh_token) is None


async def test_a_guest_ends_their_token_for_as_long_as_it_could_live(
    store: InMemoryIdentityStore, sessions: SessionIssuer, codec: TokenCodec, clock: TestClock
) -> None:
    token = codec.issue(Principal("guest-1", "guest", frozenset({"buyer"})), clock.now(), GUEST_TOKEN_SECONDS)
    guest = codec.verify(token)
    revoker = RecordingRevoker()

    await log_out(uow=store, sessions=sessions, revoker=revoker, principal=guest, refresh_token="whatever")

    assert guest.session_id and revoker.revoked == {guest.session_id: GUEST_TOKEN_SECONDS}
    assert store.events == []


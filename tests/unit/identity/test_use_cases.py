"""Identity's use cases against the in-memory fakes."""

from __future__ import annotations

import pytest

from lml.identity.application.add_member import add_member
from lml.identity.application.authorize_operator import authorize_operator
from lml.identity.application.create_organization import create_organization
from lml.identity.application.ensure_account import ensure_account
from lml.identity.application.get_profile import get_profile
from lml.identity.application.login import login_with_password
from lml.identity.application.refresh_session import refresh_session
from lml.identity.application.register_user import register_user
from lml.identity.application.sessions import SessionIssuer
from lml.identity.application.testing import FakeHasher, InMemoryIdentityStore
from lml.identity.domain.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidRefreshToken,
    NotAnOperator,
    NotAUser,
    OrganizationNotFound,
    RefreshTokenReused,
    UnknownUser,
)
from lml.identity.domain.user import User
from lml.identity.events import MembershipGranted, OrganizationCreated, RefreshTokenReuseDetected, UserRegistered
from lml.platform.domain.errors import InvalidInput
from lml.platform.domain.principal import Principal
from lml.platform.tokens import TokenCodec
from tests.timing import TestClock

PASSWORD = "correct horse battery"


async def register(store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock,
                   email: str = "ada@example.com", name: str = "Ada") -> User:
    return await register_user(uow=store, hasher=hasher, clock=clock, email=email, password=PASSWORD, name=name)


async def login(store: InMemoryIdentityStore, hasher: FakeHasher, sessions: SessionIssuer,
                email: str = "ada@example.com", password: str = PASSWORD) -> tuple[str, str]:
    pair = await login_with_password(uow=store, hasher=hasher, sessions=sessions, email=email, password=password)
    return pair.access_token, pair.refresh_token


def user_principal(user: User) -> Principal:
    return Principal(subject=user.id, kind="user", scopes=user.scopes)


# Registration


async def test_registering_stores_a_normalized_user_with_a_hash_and_publishes_it(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock
) -> None:
    user = await register(store, hasher, clock, email="  Ada@Example.COM ")
    assert (user.email, user.name, user.is_platform_admin, user.created_at) == ("ada@example.com", "Ada", False,
                                                                                 clock.now())
    assert PASSWORD not in user.password_hash
    assert store.state.users == {user.id: user}
    assert store.events == [UserRegistered(user_id=user.id, email=user.email, name="Ada",
                                           registered_at=clock.now())]


async def test_an_email_taken_in_another_letter_case_is_refused_without_hashing(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock
) -> None:
    await register(store, hasher, clock)
    hasher.calls.clear()
    with pytest.raises(EmailTaken):
        await register(store, hasher, clock, email="ADA@example.com")
    assert hasher.calls == []
    assert len(store.state.users) == 1


async def test_invalid_registration_writes_nothing(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await register_user(uow=store, hasher=hasher, clock=clock, email="nope", password="short", name="")
    assert {e.path for e in caught.value.errors} == {"/email", "/password", "/name"}
    assert store.state.users == {} and store.events == []


# Password grant


async def test_logging_in_gives_a_buyer_token_and_a_refresh_token(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock, sessions: SessionIssuer, codec: TokenCodec
) -> None:
    user = await register(store, hasher, clock)
    access, refresh = await login(store, hasher, sessions, email="ADA@example.com ")
    principal = codec.verify(access)
    assert (principal.subject, principal.kind, principal.scopes) == (user.id, "user", frozenset({"buyer"}))
    (stored,) = store.state.refresh_tokens.values()
    assert refresh not in stored.token_hash and stored.user_id == user.id


async def test_an_unknown_email_costs_a_hash_verification_like_a_wrong_password(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock, sessions: SessionIssuer
) -> None:
    await register(store, hasher, clock)
    hasher.calls.clear()
    with pytest.raises(InvalidCredentials) as unknown:
        await login(store, hasher, sessions, email="bob@example.com")
    with pytest.raises(InvalidCredentials) as wrong:
        await login(store, hasher, sessions, password="wrong password")
    assert hasher.calls == ["verify_nothing", "verify"]
    assert unknown.value.detail == wrong.value.detail
    assert store.state.refresh_tokens == {}


async def test_an_email_or_password_no_account_could_have_is_refused_without_hashing(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock, sessions: SessionIssuer
) -> None:
    await register(store, hasher, clock)
    hasher.calls.clear()
    for password in ("short", "x" * 10_000):
        with pytest.raises(InvalidCredentials):
            await login(store, hasher, sessions, password=password)
    for email in ("not-an-email", "ada\x00@example.com", "a" * 10_000):
        with pytest.raises(InvalidCredentials):
            await login(store, hasher, sessions, email=email)
    assert hasher.calls == []


async def test_a_hash_made_with_older_parameters_is_upgraded_at_login(
    store: InMemoryIdentityStore, clock: TestClock, sessions: SessionIssuer
) -> None:
    user = await register(store, FakeHasher(version=1), clock)
    await login(store, FakeHasher(version=2), sessions)
    assert store.state.users[user.id].password_hash.startswith("fake$v2$")


# Refresh grant


async def test_a_refresh_token_rotates_within_its_family(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock, sessions: SessionIssuer
) -> None:
    await register(store, hasher, clock)
    _, first = await login(store, hasher, sessions)
    clock.advance(seconds=60)
    second = await refresh_session(uow=store, sessions=sessions, refresh_token=first)
    assert second.refresh_token != first
    tokens = sorted(store.state.refresh_tokens.values(), key=lambda t: t.issued_at)
    assert [t.used_at for t in tokens] == [clock.now(), None]
    assert len({t.family_id for t in tokens}) == 1


async def test_reusing_a_rotated_token_revokes_the_whole_family(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock, sessions: SessionIssuer
) -> None:
    user = await register(store, hasher, clock)
    _, first = await login(store, hasher, sessions)
    _, other_device = await login(store, hasher, sessions)
    second = await refresh_session(uow=store, sessions=sessions, refresh_token=first)
    with pytest.raises(RefreshTokenReused):
        await refresh_session(uow=store, sessions=sessions, refresh_token=first)
    with pytest.raises(InvalidRefreshToken):
        await refresh_session(uow=store, sessions=sessions, refresh_token=second.refresh_token)
    assert isinstance(store.events[-1], RefreshTokenReuseDetected) and store.events[-1].user_id == user.id
    # Another login is another family: it goes on.
    await refresh_session(uow=store, sessions=sessions, refresh_token=other_device)


async def test_unknown_and_expired_refresh_tokens_are_refused(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock, sessions: SessionIssuer
) -> None:
    await register(store, hasher, clock)
    _, refresh = await login(store, hasher, sessions)
    with pytest.raises(InvalidRefreshToken):
        await refresh_session(uow=store, sessions=sessions, refresh_token="made-up")
    clock.advance(seconds=7 * 24 * 3600)
    with pytest.raises(InvalidRefreshToken):
        await refresh_session(uow=store, sessions=sessions, refresh_token=refresh)


async def test_a_promotion_shows_in_the_next_refreshed_access_token(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock, sessions: SessionIssuer, codec: TokenCodec
) -> None:
    await register(store, hasher, clock)
    _, refresh = await login(store, hasher, sessions)
    await ensure_account(uow=store, hasher=hasher, clock=clock, email="ada@example.com", password=PASSWORD,
                         name="Ada", platform_admin=True)
    pair = await refresh_session(uow=store, sessions=sessions, refresh_token=refresh)
    assert codec.verify(pair.access_token).scopes == {"buyer", "platform:admin"}


# Profile


async def test_the_profile_lists_the_users_organizations_with_roles(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock
) -> None:
    user = await register(store, hasher, clock)
    org = await create_organization(uow=store, clock=clock, name="Globe")
    await add_member(uow=store, org_id=org.id, email=user.email, role="manager")
    profile = await get_profile(uow=store, principal=user_principal(user))
    assert profile.user == user
    assert [(m.org_id, m.org_name, m.role) for m in profile.memberships] == [(org.id, "Globe", "manager")]


async def test_a_profile_needs_an_existing_user(store: InMemoryIdentityStore) -> None:
    with pytest.raises(UnknownUser):
        await get_profile(uow=store, principal=Principal("0190a5e2-7b9c-7d3e-8f00-000000000009", "user",
                                                         frozenset()))
    with pytest.raises(NotAUser):
        await get_profile(uow=store, principal=Principal("guest-1", "guest", frozenset()))


# Organizations and members


async def test_an_organization_with_a_given_id_is_created_once(
    store: InMemoryIdentityStore, clock: TestClock
) -> None:
    org_id = "0190a5e2-7b9c-7d3e-8f00-00000000000a"
    first = await create_organization(uow=store, clock=clock, name=" Demo ", org_id=org_id)
    again = await create_organization(uow=store, clock=clock, name="Other name", org_id=org_id)
    assert first == again and first.name == "Demo"
    assert [type(e) for e in store.events] == [OrganizationCreated]


async def test_an_organization_needs_a_name(store: InMemoryIdentityStore, clock: TestClock) -> None:
    with pytest.raises(InvalidInput) as caught:
        await create_organization(uow=store, clock=clock, name="   ")
    assert [e.path for e in caught.value.errors] == ["/name"]


async def test_adding_a_member_then_changing_their_role(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock
) -> None:
    user = await register(store, hasher, clock)
    org = await create_organization(uow=store, clock=clock, name="Globe")
    added = await add_member(uow=store, org_id=org.id, email=" ADA@example.com", role="box_office")
    changed = await add_member(uow=store, org_id=org.id, email=user.email, role="manager")
    assert (added.is_new, changed.is_new, changed.role, changed.user_id) == (True, False, "manager", user.id)
    assert store.state.roles == {(org.id, user.id): "manager"}
    assert store.events[-1] == MembershipGranted(org_id=org.id, user_id=user.id, role="manager")


async def test_a_member_must_be_registered_and_get_a_known_role(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock
) -> None:
    await register(store, hasher, clock)
    org = await create_organization(uow=store, clock=clock, name="Globe")
    with pytest.raises(InvalidInput) as caught:
        await add_member(uow=store, org_id=org.id, email="not an email", role="janitor")
    assert [e.path for e in caught.value.errors] == ["/email", "/role"]
    with pytest.raises(InvalidInput) as caught:
        await add_member(uow=store, org_id=org.id, email="bob@example.com", role="owner")
    assert [e.message for e in caught.value.errors] == ["no account is registered with this email"]
    with pytest.raises(OrganizationNotFound):
        await add_member(uow=store, org_id="0190a5e2-7b9c-7d3e-8f00-00000000000b", email="ada@example.com",
                         role="owner")
    assert store.state.roles == {}


# Operator access


async def test_operator_access_follows_membership_and_role(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock
) -> None:
    owner = await register(store, hasher, clock, email="owner@example.com")
    clerk = await register(store, hasher, clock, email="clerk@example.com")
    stranger = await register(store, hasher, clock, email="stranger@example.com")
    org = await create_organization(uow=store, clock=clock, name="Globe")
    await add_member(uow=store, org_id=org.id, email=owner.email, role="owner")
    await add_member(uow=store, org_id=org.id, email=clerk.email, role="box_office")

    access = await authorize_operator(uow=store, principal=user_principal(owner), org_id=org.id,
                                      allowed_roles={"owner", "manager"})
    assert (access.user_id, access.org_id, access.role) == (owner.id, org.id, "owner")
    with pytest.raises(NotAnOperator):
        await authorize_operator(uow=store, principal=user_principal(clerk), org_id=org.id, allowed_roles={"owner"})
    with pytest.raises(NotAnOperator):
        await authorize_operator(uow=store, principal=user_principal(stranger), org_id=org.id,
                                 allowed_roles={"owner", "manager", "box_office"})
    with pytest.raises(NotAUser):
        await authorize_operator(uow=store, principal=Principal("guest-1", "guest", frozenset({"buyer"})),
                                 org_id=org.id, allowed_roles={"owner"})
    with pytest.raises(InvalidInput):
        await authorize_operator(uow=store, principal=user_principal(owner), org_id="Globe",
                                 allowed_roles={"owner"})


async def test_ensure_account_creates_or_promotes_and_resets_the_password(
    store: InMemoryIdentityStore, hasher: FakeHasher, clock: TestClock, sessions: SessionIssuer
) -> None:
    user = await register(store, hasher, clock)
    ready = await ensure_account(uow=store, hasher=hasher, clock=clock, email="ADA@example.com",
                                 password="a brand new one", name="ignored", platform_admin=True)
    assert (ready.user_id, ready.created) == (user.id, False)
    assert store.state.users[user.id].is_platform_admin and store.state.users[user.id].name == "Ada"
    await login(store, hasher, sessions, password="a brand new one")
    created = await ensure_account(uow=store, hasher=hasher, clock=clock, email="root@example.com",
                                   password=PASSWORD, name="Root", platform_admin=True)
    assert created.created and store.state.users[created.user_id].is_platform_admin

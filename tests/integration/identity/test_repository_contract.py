"""One contract for identity's stores, run against PostgreSQL and against the in-memory fakes
that the unit tests rely on, so that the fakes cannot drift from the real thing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lml.identity.application.ports import UnitOfWorkFactory
from lml.identity.application.testing import InMemoryIdentityStore
from lml.identity.domain.access import AccessFacts
from lml.identity.domain.account_token import AccountToken, AccountTokenKind
from lml.identity.domain.errors import EmailTaken
from lml.identity.domain.organization import Organization
from lml.identity.domain.refresh_token import RefreshToken, digest
from lml.identity.domain.user import User
from lml.identity.infrastructure.pg_unit_of_work import pg_unit_of_work
from lml.platform.ids import new_id

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["postgres", "memory"])
def uow(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    if request.param == "memory":
        return InMemoryIdentityStore()
    return pg_unit_of_work(request.getfixturevalue("resources").db)


def a_user(email: str = "ada@example.com", *, admin: bool = False) -> User:
    return User(id=new_id(), email=email, name="Ada", password_hash="$argon2id$x", is_platform_admin=admin,
                created_at=NOW)


def an_org(name: str = "Globe") -> Organization:
    return Organization(id=new_id(), name=name, created_at=NOW)


def a_token(user: User, family_id: str, secret: str) -> RefreshToken:
    return RefreshToken(token_hash=digest(secret), family_id=family_id, user_id=user.id, issued_at=NOW,
                        expires_at=NOW + timedelta(days=7))


async def test_users_are_found_by_id_and_by_email_in_any_case(uow: UnitOfWorkFactory) -> None:
    user = a_user()
    async with uow() as tx:
        await tx.users.add(user)
        await tx.commit()
    async with uow() as tx:
        assert await tx.users.by_id(user.id) == user
        assert await tx.users.by_email("ADA@Example.com") == user
        assert await tx.users.by_email("bob@example.com") is None
        assert await tx.users.by_id(new_id()) is None


async def test_a_second_user_with_the_same_email_is_refused_and_the_transaction_goes_on(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as tx:
        await tx.users.add(a_user())
        with pytest.raises(EmailTaken):
            await tx.users.add(a_user("ADA@example.com".lower()))
        other = a_user("bob@example.com")
        await tx.users.add(other)
        await tx.commit()
    async with uow() as tx:
        assert await tx.users.by_id(other.id) == other


async def test_a_users_password_hash_and_admin_flag_change(uow: UnitOfWorkFactory) -> None:
    user = a_user()
    async with uow() as tx:
        await tx.users.add(user)
        await tx.users.set_password_hash(user.id, "$argon2id$new")
        await tx.users.set_platform_admin(user.id, True)
        await tx.commit()
    async with uow() as tx:
        stored = await tx.users.by_id(user.id)
    assert stored is not None and (stored.password_hash, stored.is_platform_admin) == ("$argon2id$new", True)


async def test_nothing_is_kept_without_commit(uow: UnitOfWorkFactory) -> None:
    user, org = a_user(), an_org()
    async with uow() as tx:
        await tx.users.add(user)
        await tx.organizations.add(org)
    async with uow() as tx:
        assert await tx.users.by_id(user.id) is None
        assert await tx.organizations.get(org.id) is None


async def test_an_organization_is_added_once(uow: UnitOfWorkFactory) -> None:
    org = an_org()
    async with uow() as tx:
        assert await tx.organizations.add(org) is True
        assert await tx.organizations.add(Organization(id=org.id, name="Other", created_at=NOW)) is False
        await tx.commit()
    async with uow() as tx:
        assert await tx.organizations.get(org.id) == org


async def test_memberships_are_added_changed_and_listed_by_organization_name(uow: UnitOfWorkFactory) -> None:
    user, globe, almeida = a_user(), an_org("Globe"), an_org("Almeida")
    async with uow() as tx:
        await tx.users.add(user)
        await tx.organizations.add(globe)
        await tx.organizations.add(almeida)
        assert await tx.organizations.set_member(globe.id, user.id, "box_office") is True
        assert await tx.organizations.set_member(globe.id, user.id, "manager") is False
        assert await tx.organizations.set_member(almeida.id, user.id, "owner") is True
        await tx.commit()
    async with uow() as tx:
        listed = await tx.organizations.memberships_of(user.id)
    assert [(m.org_name, m.role, m.user_id) for m in listed] == [("Almeida", "owner", user.id),
                                                                  ("Globe", "manager", user.id)]


async def test_members_are_looked_up_counted_and_removed(uow: UnitOfWorkFactory) -> None:
    owner, clerk, org, empty = a_user(), a_user("clerk@example.com"), an_org(), an_org("Empty")
    async with uow() as tx:
        for user in (owner, clerk):
            await tx.users.add(user)
        for organization in (org, empty):
            await tx.organizations.add(organization)
        await tx.organizations.set_member(org.id, owner.id, "owner")
        await tx.organizations.set_member(org.id, clerk.id, "box_office")
        await tx.commit()
    async with uow() as tx:
        assert await tx.organizations.get_for_update(org.id) == org
        assert await tx.organizations.get_for_update(new_id()) is None
        assert (await tx.organizations.role_of(org.id, owner.id), await tx.organizations.role_of(org.id, clerk.id),
                await tx.organizations.role_of(empty.id, owner.id)) == ("owner", "box_office", None)
        assert (await tx.organizations.count_owners(org.id), await tx.organizations.count_owners(empty.id)) == (1, 0)
        await tx.organizations.remove_member(org.id, clerk.id)
        await tx.organizations.remove_member(org.id, new_id())
        await tx.commit()
    async with uow() as tx:
        assert await tx.organizations.role_of(org.id, clerk.id) is None
        assert [m.org_id for m in await tx.organizations.memberships_of(clerk.id)] == []
        assert await tx.organizations.role_of(org.id, owner.id) == "owner"


async def test_access_facts_tell_role_and_admin_flag_and_nothing_for_unknowns(uow: UnitOfWorkFactory) -> None:
    member, admin, org = a_user(), a_user("root@example.com", admin=True), an_org()
    async with uow() as tx:
        await tx.users.add(member)
        await tx.users.add(admin)
        await tx.organizations.add(org)
        await tx.organizations.set_member(org.id, member.id, "manager")
        await tx.commit()
    async with uow() as tx:
        assert await tx.organizations.access_facts(org.id, member.id) == AccessFacts("manager", False)
        assert await tx.organizations.access_facts(org.id, admin.id) == AccessFacts(None, True)
        assert await tx.organizations.access_facts(new_id(), member.id) is None
        assert await tx.organizations.access_facts(org.id, new_id()) is None


async def test_refresh_tokens_are_used_and_revoked_by_family(uow: UnitOfWorkFactory) -> None:
    user = a_user()
    family, other_family = new_id(), new_id()
    async with uow() as tx:
        await tx.users.add(user)
        for secret, fam in (("one", family), ("two", family), ("three", other_family)):
            await tx.refresh_tokens.add(a_token(user, fam, secret))
        await tx.refresh_tokens.mark_used(digest("one"), NOW)
        await tx.refresh_tokens.revoke_family(family, NOW + timedelta(seconds=1))
        await tx.commit()
    async with uow() as tx:
        one = await tx.refresh_tokens.get_for_update(digest("one"))
        two = await tx.refresh_tokens.get_for_update(digest("two"))
        three = await tx.refresh_tokens.get_for_update(digest("three"))
        assert await tx.refresh_tokens.get_for_update(digest("four")) is None
    assert one is not None and two is not None and three is not None
    assert (one.used_at, one.revoked_at, one.family_id, one.user_id) == (NOW, NOW + timedelta(seconds=1), family,
                                                                         user.id)
    assert (two.state(NOW), three.state(NOW)) == ("revoked", "active")


def an_account_token(kind: AccountTokenKind, secret: str, *, user: User | None = None,
                     email: str = "ada@example.com") -> AccountToken:
    return AccountToken(id=new_id(), kind=kind, token_hash=digest(secret), email=email,
                        user_id=user.id if user else None, created_at=NOW, expires_at=NOW + timedelta(minutes=30))


async def test_an_account_token_is_redeemed_once_before_it_expires_and_only_as_its_kind(
    uow: UnitOfWorkFactory,
) -> None:
    user = a_user()
    async with uow() as tx:
        await tx.users.add(user)
        await tx.account_tokens.add(an_account_token("guest_recovery", "guest-secret"))
        await tx.account_tokens.add(an_account_token("password_reset", "reset-secret", user=user))
        await tx.account_tokens.add(an_account_token("guest_recovery", "late-secret"))
        await tx.commit()
    async with uow() as tx:
        # Another kind's token is not found, nor redeemed.
        assert await tx.account_tokens.find_live("password_reset", digest("guest-secret"), NOW) is None
        assert await tx.account_tokens.redeem("password_reset", digest("guest-secret"), NOW) is None
        live = await tx.account_tokens.find_live("guest_recovery", digest("guest-secret"), NOW)
        assert live is not None and live.used_at is None and live.email == "ada@example.com"
        redeemed = await tx.account_tokens.redeem("guest_recovery", digest("guest-secret"), NOW)
        assert redeemed is not None and redeemed.used_at == NOW and redeemed.user_id is None
        assert await tx.account_tokens.redeem("guest_recovery", digest("guest-secret"), NOW) is None
        assert await tx.account_tokens.find_live("guest_recovery", digest("guest-secret"), NOW) is None
        reset = await tx.account_tokens.redeem("password_reset", digest("reset-secret"), NOW)
        assert reset is not None and reset.user_id == user.id
        # At its expiry it is dead.
        expiry = NOW + timedelta(minutes=30)
        assert await tx.account_tokens.find_live("guest_recovery", digest("late-secret"), expiry) is None
        assert await tx.account_tokens.redeem("guest_recovery", digest("late-secret"), expiry) is None
        assert await tx.account_tokens.redeem("guest_recovery", digest("unknown"), NOW) is None
        await tx.commit()


async def test_a_profile_and_an_organizations_mail_settings_are_changed_and_read_back(
    uow: UnitOfWorkFactory,
) -> None:
    user, org = a_user(), an_org()
    async with uow() as tx:
        await tx.users.add(user)
        await tx.organizations.add(org)
        await tx.commit()
    async with uow() as tx:
        changed = await tx.users.set_profile(user.id, name="Ada L.", phone="+447700900123")
        assert changed is not None and (changed.name, changed.phone) == ("Ada L.", "+447700900123")
        assert await tx.users.set_profile(new_id(), name="Nobody", phone=None) is None
        mail = await tx.organizations.set_mail_settings(org.id, mail_from_name="The Globe", reply_to="box@globe.test")
        assert mail is not None and (mail.mail_from_name, mail.reply_to) == ("The Globe", "box@globe.test")
        assert await tx.organizations.set_mail_settings(new_id(), mail_from_name=None, reply_to=None) is None
        await tx.commit()
    async with uow() as tx:
        assert await tx.users.by_email(user.email) == changed
        assert await tx.organizations.get(org.id) == mail


async def test_revoking_every_refresh_token_of_a_user_names_their_sessions(uow: UnitOfWorkFactory) -> None:
    user, other = a_user(), a_user("bob@example.com")
    phone, laptop, old, others = new_id(), new_id(), new_id(), new_id()
    async with uow() as tx:
        await tx.users.add(user)
        await tx.users.add(other)
        for family, secret, owner in [(phone, "p1", user), (phone, "p2", user), (laptop, "l1", user),
                                      (old, "o1", user), (others, "x1", other)]:
            await tx.refresh_tokens.add(a_token(owner, family, secret))
        await tx.refresh_tokens.revoke_family(old, NOW)
        await tx.commit()
    async with uow() as tx:
        assert await tx.refresh_tokens.revoke_all_of_user(user.id, NOW) == sorted([phone, laptop])
        await tx.commit()
    async with uow() as tx:
        for secret in ("p1", "p2", "l1"):
            token = await tx.refresh_tokens.get_for_update(digest(secret))
            assert token is not None and token.revoked_at == NOW
        untouched = await tx.refresh_tokens.get_for_update(digest("x1"))
        assert untouched is not None and untouched.revoked_at is None

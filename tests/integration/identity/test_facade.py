"""Identity's facade as other contexts call it: operator access, organizations and members."""

from __future__ import annotations

import pytest

from lml.container import Container
from lml.identity import facade
from lml.identity.facade import IdentityFacade
from lml.platform.domain.errors import Forbidden, InvalidInput
from lml.platform.domain.principal import Principal
from lml.platform.ids import new_id
from tests.fixtures.identity import MakeOperator, MakeUser, TestUser

ANY_OPERATOR = ("owner", "manager", "box_office")


@pytest.fixture
def identity(container: Container) -> IdentityFacade:
    return container.identity_facade


def principal(user: TestUser, *, admin: bool = False) -> Principal:
    scopes = {"buyer", "platform:admin"} if admin else {"buyer"}
    return Principal(subject=user.user_id, kind="user", scopes=frozenset(scopes), email=user.email)


@pytest.mark.parametrize("role", ANY_OPERATOR)
async def test_each_role_acts_where_it_is_allowed(
    identity: IdentityFacade, make_operator: MakeOperator, role: str
) -> None:
    operator = await make_operator(role)
    access = await identity.authorize_operator(principal(operator.user), operator.org_id, ANY_OPERATOR)
    assert access == facade.OperatorAccess(user_id=operator.user_id, org_id=operator.org_id, role=role)
    others = [r for r in ANY_OPERATOR if r != role]
    with pytest.raises(Forbidden):
        await identity.authorize_operator(principal(operator.user), operator.org_id, others)


async def test_a_member_of_another_organization_or_a_made_up_one_is_forbidden(
    identity: IdentityFacade, make_operator: MakeOperator
) -> None:
    ours, theirs = await make_operator("owner"), await make_operator("owner")
    for org_id in (theirs.org_id, new_id()):
        with pytest.raises(Forbidden):
            await identity.authorize_operator(principal(ours.user), org_id, ANY_OPERATOR)


async def test_a_platform_admin_acts_in_any_existing_organization(
    identity: IdentityFacade, make_operator: MakeOperator, platform_admin: TestUser
) -> None:
    org_id = (await make_operator("owner")).org_id
    access = await identity.authorize_operator(principal(platform_admin, admin=True), org_id, ["owner"])
    assert access.role == facade.PLATFORM_ADMIN_ROLE == "platform_admin"
    with pytest.raises(Forbidden):
        await identity.authorize_operator(principal(platform_admin, admin=True), new_id(), ["owner"])


@pytest.mark.parametrize("header", [None, "", "acme", "12345", "0190a5e2-7b9c-7d3e-8f00"])
async def test_a_missing_or_malformed_org_header_is_invalid_input_naming_it(
    identity: IdentityFacade, make_user: MakeUser, header: str | None
) -> None:
    user = await make_user()
    with pytest.raises(InvalidInput) as caught:
        await identity.authorize_operator(principal(user), header, ANY_OPERATOR)
    assert [e.path for e in caught.value.errors] == ["X-Org-ID"]


async def test_the_seeding_calls_are_idempotent(identity: IdentityFacade, make_user: MakeUser) -> None:
    org_id = new_id()
    assert await identity.create_organization("Demo", org_id=org_id) == org_id
    assert await identity.create_organization("Demo", org_id=org_id) == org_id
    user_id = await identity.ensure_user("Demo@Example.com", "demo-password", "Demo")
    assert await identity.ensure_user("demo@example.com", "demo-password", "Demo") == user_id
    assert await identity.add_member(org_id, "demo@example.com", "owner") == user_id
    assert await identity.add_member(org_id, "demo@example.com", "owner") == user_id
    buyer = Principal(subject=user_id, kind="user", scopes=frozenset({"buyer"}))
    access = await identity.authorize_operator(buyer, org_id, ["owner"])
    assert access.role == "owner"

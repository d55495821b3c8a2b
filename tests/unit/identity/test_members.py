"""Changing and removing members against the in-memory fakes: the rule that an organization keeps an
owner, on every path, and the events published."""

from __future__ import annotations

import pytest

from lml.identity.application.add_member import add_member
from lml.identity.application.change_member_role import MemberRole, change_member_role
from lml.identity.application.create_organization import create_organization
from lml.identity.application.register_user import register_user
from lml.identity.application.remove_member import remove_member
from lml.identity.application.testing import FakeHasher, InMemoryIdentityStore
from lml.identity.domain.errors import LastOwner, MemberNotFound, OrganizationNotFound
from lml.identity.domain.organization import check_an_owner_remains
from lml.identity.events import MembershipGranted, MembershipRevoked
from lml.platform.domain.errors import InvalidInput
from lml.platform.ids import new_id
from tests.timing import TestClock


@pytest.mark.parametrize(
    ("role", "new_role", "owners", "refused"),
    [
        ("owner", "manager", 1, True),
        ("owner", None, 1, True),
        ("owner", "manager", 2, False),
        ("owner", None, 2, False),
        ("owner", "owner", 1, False),
        ("manager", None, 1, False),
        ("box_office", "owner", 0, False),
        ("manager", None, 0, False),  # an organization that never had an owner yet
    ],
)
def test_only_the_last_owner_is_held_back(role: str, new_role: str | None, owners: int, refused: bool) -> None:
    if refused:
        with pytest.raises(LastOwner, match="always keeps an owner"):
            check_an_owner_remains(role, new_role, owners)
    else:
        check_an_owner_remains(role, new_role, owners)


@pytest.fixture
async def org(store: InMemoryIdentityStore, clock: TestClock) -> str:
    return (await create_organization(uow=store, clock=clock, name="Globe")).id


async def member(store: InMemoryIdentityStore, clock: TestClock, org_id: str, email: str, role: str) -> str:
    user = await register_user(uow=store, hasher=FakeHasher(), clock=clock, email=email,
                               password="correct horse battery", name="Someone")
    await add_member(uow=store, org_id=org_id, email=email, role=role)
    return user.id


async def test_a_role_changes_and_the_change_is_published(
    store: InMemoryIdentityStore, clock: TestClock, org: str
) -> None:
    await member(store, clock, org, "owner@example.com", "owner")
    clerk = await member(store, clock, org, "clerk@example.com", "box_office")

    changed = await change_member_role(uow=store, org_id=org, user_id=clerk, role="manager")

    assert changed == MemberRole(org_id=org, user_id=clerk, email="clerk@example.com", role="manager")
    assert store.state.roles[(org, clerk)] == "manager"
    assert store.events[-1] == MembershipGranted(org_id=org, user_id=clerk, role="manager")


async def test_a_member_is_removed_and_the_removal_is_published(
    store: InMemoryIdentityStore, clock: TestClock, org: str
) -> None:
    owner = await member(store, clock, org, "owner@example.com", "owner")
    clerk = await member(store, clock, org, "clerk@example.com", "box_office")

    await remove_member(uow=store, org_id=org, user_id=clerk)

    assert store.state.roles == {(org, owner): "owner"}
    assert store.events[-1] == MembershipRevoked(org_id=org, user_id=clerk, role="box_office")


async def test_the_last_owner_stays_whichever_use_case_is_asked(
    store: InMemoryIdentityStore, clock: TestClock, org: str
) -> None:
    owner = await member(store, clock, org, "owner@example.com", "owner")
    events = list(store.events)
    with pytest.raises(LastOwner):
        await change_member_role(uow=store, org_id=org, user_id=owner, role="manager")
    with pytest.raises(LastOwner):
        await add_member(uow=store, org_id=org, email="owner@example.com", role="box_office")
    with pytest.raises(LastOwner):
        await remove_member(uow=store, org_id=org, user_id=owner)
    assert store.state.roles == {(org, owner): "owner"} and store.events == events


async def test_an_owner_steps_down_once_another_owner_exists(
    store: InMemoryIdentityStore, clock: TestClock, org: str
) -> None:
    first = await member(store, clock, org, "first@example.com", "owner")
    second = await member(store, clock, org, "second@example.com", "manager")
    await change_member_role(uow=store, org_id=org, user_id=second, role="owner")

    await remove_member(uow=store, org_id=org, user_id=first)

    assert store.state.roles == {(org, second): "owner"}


async def test_unknown_members_organizations_and_roles_are_refused(
    store: InMemoryIdentityStore, clock: TestClock, org: str
) -> None:
    owner = await member(store, clock, org, "owner@example.com", "owner")
    with pytest.raises(MemberNotFound):
        await change_member_role(uow=store, org_id=org, user_id=new_id(), role="manager")
    with pytest.raises(MemberNotFound):
        await remove_member(uow=store, org_id=org, user_id=new_id())
    with pytest.raises(OrganizationNotFound):
        await remove_member(uow=store, org_id=new_id(), user_id=owner)
    with pytest.raises(InvalidInput) as caught:
        await change_member_role(uow=store, org_id=org, user_id=owner, role="janitor")
    assert [e.path for e in caught.value.errors] == ["/role"]

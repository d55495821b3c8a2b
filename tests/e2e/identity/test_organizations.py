"""Organizations (platform admins create them) and members (owners and platform admins add them)."""

from __future__ import annotations

from tests.e2e.identity.api import Client, error_paths, me, problem
from tests.fixtures.identity import MakeOperator, MakeUser, TestUser


async def test_a_platform_admin_creates_an_organization(client: Client, platform_admin: TestUser) -> None:
    response = await client.post("/v1/admin/organizations", json={"name": "  Globe Theatre "},
                                 headers=platform_admin.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Globe Theatre"
    assert set(body) == {"org_id", "name", "created_at", "mail_from_name", "reply_to"}


async def test_only_platform_admins_create_organizations(client: Client, make_operator: MakeOperator) -> None:
    owner = await make_operator("owner")
    problem(await client.post("/v1/admin/organizations", json={"name": "Mine"}, headers=owner.headers), 403)
    problem(await client.post("/v1/admin/organizations", json={"name": "Mine"}), 401)


async def test_an_owner_adds_members_who_then_see_the_organization(
    client: Client, make_operator: MakeOperator, make_user: MakeUser
) -> None:
    owner = await make_operator("owner")
    clerk = await make_user(email="clerk@example.com")
    added = await client.post(f"/v1/admin/organizations/{owner.org_id}/members",
                              json={"email": "CLERK@example.com", "role": "box_office"}, headers=owner.headers)
    assert added.status_code == 201, added.text
    assert added.json() == {"org_id": owner.org_id, "user_id": clerk.user_id, "email": "clerk@example.com",
                            "role": "box_office"}
    promoted = await client.post(f"/v1/admin/organizations/{owner.org_id}/members",
                                 json={"email": clerk.email, "role": "manager"}, headers=owner.headers)
    assert promoted.status_code == 200, promoted.text
    organizations = (await me(client, clerk.token)).json()["organizations"]
    assert [(o["org_id"], o["role"]) for o in organizations] == [(owner.org_id, "manager")]


async def test_managers_box_office_and_strangers_may_not_add_members(
    client: Client, make_operator: MakeOperator, make_user: MakeUser
) -> None:
    owner = await make_operator("owner")
    newcomer = await make_user()
    stranger = await make_operator("owner")  # owner elsewhere
    for caller in (await make_operator("manager", org_id=owner.org_id),
                   await make_operator("box_office", org_id=owner.org_id), stranger):
        response = await client.post(f"/v1/admin/organizations/{owner.org_id}/members",
                                     json={"email": newcomer.email, "role": "owner"}, headers=caller.headers)
        problem(response, 403)
    assert (await me(client, newcomer.token)).json()["organizations"] == []


async def test_a_platform_admin_adds_the_first_owner(
    client: Client, platform_admin: TestUser, make_user: MakeUser
) -> None:
    org_id = (await client.post("/v1/admin/organizations", json={"name": "Almeida"},
                                headers=platform_admin.headers)).json()["org_id"]
    owner = await make_user()
    response = await client.post(f"/v1/admin/organizations/{org_id}/members",
                                 json={"email": owner.email, "role": "owner"}, headers=platform_admin.headers)
    assert response.status_code == 201, response.text
    assert (await me(client, owner.token)).json()["organizations"] == [
        {"org_id": org_id, "name": "Almeida", "role": "owner"}
    ]


async def test_a_member_must_have_an_account_and_a_known_role(
    client: Client, make_operator: MakeOperator
) -> None:
    owner = await make_operator("owner")
    url = f"/v1/admin/organizations/{owner.org_id}/members"
    unknown = await client.post(url, json={"email": "nobody@example.com", "role": "manager"}, headers=owner.headers)
    assert error_paths(unknown) == {"/email"}
    assert error_paths(await client.post(url, json={"email": "x", "role": "janitor"}, headers=owner.headers)) == {
        "/email", "/role"}


async def test_members_of_an_organization_that_does_not_exist_are_403_not_404(
    client: Client, make_operator: MakeOperator, platform_admin: TestUser
) -> None:
    owner = await make_operator("owner")
    url = "/v1/admin/organizations/0190a5e2-7b9c-7d3e-8f00-00000000abcd/members"
    for caller in (owner.headers, platform_admin.headers):
        problem(await client.post(url, json={"email": owner.user.email, "role": "owner"}, headers=caller), 403)

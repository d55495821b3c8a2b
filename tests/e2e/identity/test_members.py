"""Members leave and change roles (owners and platform admins decide), and an organization always
keeps an owner, whichever route is used."""

from __future__ import annotations

import pytest
from httpx import Response

from lml.platform.ids import new_id
from tests.e2e.identity.api import Client, error_paths, me, problem
from tests.fixtures.identity import MakeOperator, MakeUser, TestOperator, TestUser


def member_url(org_id: str, user_id: str = "") -> str:
    return f"/v1/admin/organizations/{org_id}/members" + (f"/{user_id}" if user_id else "")


async def change_role(
    client: Client, caller: TestOperator | TestUser, org_id: str, user_id: str, role: str
) -> Response:
    return await client.patch(member_url(org_id, user_id), json={"role": role}, headers=caller.headers)


async def remove(client: Client, caller: TestOperator | TestUser, org_id: str, user_id: str) -> Response:
    return await client.delete(member_url(org_id, user_id), headers=caller.headers)


async def test_a_removed_member_is_refused_at_their_next_request(client: Client, make_operator: MakeOperator) -> None:
    owner = await make_operator("owner")
    clerk = await make_operator("box_office", org_id=owner.org_id)
    assert (await client.get("/v1/admin/venues", headers=clerk.headers)).status_code == 200

    removed = await remove(client, owner, owner.org_id, clerk.user_id)

    assert removed.status_code == 204, removed.text
    assert removed.content == b""
    # The same access token as a moment ago: membership is read on every request, not from the token.
    problem(await client.get("/v1/admin/venues", headers=clerk.headers), 403)
    assert (await me(client, clerk.token)).json()["organizations"] == []
    problem(await remove(client, owner, owner.org_id, clerk.user_id), 404)


async def test_an_owner_changes_a_role_and_the_new_role_applies_at_once(
    client: Client, make_operator: MakeOperator
) -> None:
    owner = await make_operator("owner")
    manager = await make_operator("manager", org_id=owner.org_id)
    venue = {"name": "Globe", "address": "21 New Globe Walk", "city": "London", "country": "GB",
             "timezone": "Europe/London"}

    changed = await change_role(client, owner, owner.org_id, manager.user_id, "box_office")

    assert changed.status_code == 200, changed.text
    assert changed.json() == {"org_id": owner.org_id, "user_id": manager.user_id, "email": manager.user.email,
                              "role": "box_office"}
    problem(await client.post("/v1/admin/venues", json=venue, headers=manager.headers), 403)
    assert (await client.get("/v1/admin/venues", headers=manager.headers)).status_code == 200
    assert [o["role"] for o in (await me(client, manager.token)).json()["organizations"]] == ["box_office"]


async def test_the_last_owner_can_be_neither_demoted_nor_removed_by_any_route(
    client: Client, make_operator: MakeOperator, platform_admin: TestUser
) -> None:
    owner = await make_operator("owner")
    for caller in (owner, platform_admin):
        refusals = [
            await change_role(client, caller, owner.org_id, owner.user_id, "manager"),
            await client.post(member_url(owner.org_id), json={"email": owner.user.email, "role": "box_office"},
                              headers=caller.headers),
            await remove(client, caller, owner.org_id, owner.user_id),
        ]
        for refusal in refusals:
            body = problem(refusal, 409)
            assert body["type"].endswith("/last-owner")
            assert "always keeps an owner" in body["detail"]
    assert [o["role"] for o in (await me(client, owner.token)).json()["organizations"]] == ["owner"]


async def test_with_a_second_owner_an_owner_may_step_down_or_leave(
    client: Client, make_operator: MakeOperator
) -> None:
    first = await make_operator("owner")
    second = await make_operator("owner", org_id=first.org_id)

    assert (await change_role(client, first, first.org_id, first.user_id, "manager")).status_code == 200
    problem(await change_role(client, second, first.org_id, second.user_id, "manager"), 409)
    assert (await change_role(client, second, first.org_id, first.user_id, "owner")).status_code == 200
    assert (await remove(client, second, first.org_id, second.user_id)).status_code == 204
    problem(await remove(client, first, first.org_id, first.user_id), 409)


async def test_only_owners_and_platform_admins_change_members(
    client: Client, make_operator: MakeOperator, platform_admin: TestUser
) -> None:
    owner = await make_operator("owner")
    clerk = await make_operator("box_office", org_id=owner.org_id)
    for caller in (await make_operator("manager", org_id=owner.org_id), clerk, await make_operator("owner")):
        problem(await change_role(client, caller, owner.org_id, clerk.user_id, "manager"), 403)
        problem(await remove(client, caller, owner.org_id, clerk.user_id), 403)
    problem(await client.delete(member_url(owner.org_id, clerk.user_id)), 401)
    assert (await change_role(client, platform_admin, owner.org_id, clerk.user_id, "manager")).status_code == 200
    assert (await remove(client, platform_admin, owner.org_id, clerk.user_id)).status_code == 204


async def test_someone_who_is_not_a_member_is_404(
    client: Client, make_operator: MakeOperator, make_user: MakeUser
) -> None:
    owner = await make_operator("owner")
    outsider = await make_user()
    member_elsewhere = await make_operator("manager")
    for user_id in (outsider.user_id, member_elsewhere.user_id, new_id()):
        problem(await change_role(client, owner, owner.org_id, user_id, "manager"), 404)
        problem(await remove(client, owner, owner.org_id, user_id), 404)
    assert (await me(client, member_elsewhere.token)).json()["organizations"][0]["role"] == "manager"


@pytest.mark.parametrize(("body", "paths"), [({"role": "janitor"}, {"/role"}), ({}, {"/role"}),
                                             ({"role": 3}, {"/role"})])
async def test_a_bad_role_is_422_and_changes_nothing(
    client: Client, make_operator: MakeOperator, body: dict[str, object], paths: set[str]
) -> None:
    owner = await make_operator("owner")
    clerk = await make_operator("box_office", org_id=owner.org_id)
    response = await client.patch(member_url(owner.org_id, clerk.user_id), json=body, headers=owner.headers)
    assert error_paths(response) == paths
    assert [o["role"] for o in (await me(client, clerk.token)).json()["organizations"]] == ["box_office"]


async def test_a_malformed_member_id_is_422(client: Client, make_operator: MakeOperator) -> None:
    owner = await make_operator("owner")
    assert error_paths(await remove(client, owner, owner.org_id, "not-a-uuid")) == {"/user_id"}
    assert error_paths(await change_role(client, owner, owner.org_id, "not-a-uuid", "manager")) == {"/user_id"}

"""An organization's mail settings: owners and managers set the sender's display name and the
reply-to address of its mail to buyers (null clears one); members read them; notifications read them
through `IdentityFacade.organization_mail`."""

from __future__ import annotations

import httpx

from lml.container import Container
from lml.identity.facade import OrganizationMail
from tests.e2e.identity.api import error_paths, problem
from tests.fixtures.identity import MakeOperator, TestUser


def path(org_id: str) -> str:
    return f"/v1/admin/organizations/{org_id}"


async def test_owners_and_managers_set_the_mail_settings_and_members_read_them(
    api: httpx.AsyncClient, make_operator: MakeOperator, container: Container,
) -> None:
    owner = await make_operator("owner")
    manager = await make_operator("manager", org_id=owner.org_id)
    clerk = await make_operator("box_office", org_id=owner.org_id)

    response = await api.patch(path(owner.org_id), json={"mail_from_name": " The Globe ",
                                                         "reply_to": "Box@Globe.test"}, headers=owner.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["org_id"], body["mail_from_name"], body["reply_to"]) == (owner.org_id, "The Globe", "box@globe.test")
    assert (await api.get(path(owner.org_id), headers=clerk.headers)).json() == body
    assert await container.identity_facade.organization_mail(owner.org_id) == OrganizationMail(
        mail_from_name="The Globe", reply_to="box@globe.test")

    kept = await api.patch(path(owner.org_id), json={"reply_to": None}, headers=manager.headers)
    assert kept.status_code == 200, kept.text
    assert (kept.json()["mail_from_name"], kept.json()["reply_to"]) == ("The Globe", None)
    problem(await api.patch(path(owner.org_id), json={"reply_to": None}, headers=clerk.headers), 403)


async def test_bad_settings_name_every_bad_field_and_change_nothing(
    api: httpx.AsyncClient, make_operator: MakeOperator
) -> None:
    owner = await make_operator("owner")
    await api.patch(path(owner.org_id), json={"mail_from_name": "Globe", "reply_to": "box@globe.test"},
                    headers=owner.headers)
    for bad, fields in [
        ({"mail_from_name": "Globe\r\nBcc: all@example.com", "reply_to": "not an email"},
         {"/mail_from_name", "/reply_to"}),
        ({"mail_from_name": "x" * 101}, {"/mail_from_name"}),
        ({"mail_from_name": "  "}, {"/mail_from_name"}),
    ]:
        assert error_paths(await api.patch(path(owner.org_id), json=bad, headers=owner.headers)) == fields
    problem(await api.patch(path(owner.org_id), json={"name": "Renamed"}, headers=owner.headers), 422)
    body = (await api.get(path(owner.org_id), headers=owner.headers)).json()
    assert (body["mail_from_name"], body["reply_to"]) == ("Globe", "box@globe.test")


async def test_strangers_are_refused_and_unknown_organizations_are_not_told_apart(
    api: httpx.AsyncClient, make_operator: MakeOperator, platform_admin: TestUser, container: Container,
) -> None:
    owner, stranger = await make_operator("owner"), await make_operator("owner")
    problem(await api.get(path(owner.org_id), headers=stranger.headers), 403)
    problem(await api.patch(path(owner.org_id), json={"reply_to": None}, headers=stranger.headers), 403)
    unknown = "0190a000-0000-7000-8000-0000000000ff"
    problem(await api.get(path(unknown), headers=stranger.headers), 403)
    assert error_paths(await api.get(path("not-an-id"), headers=owner.headers)) == {"/org_id"}
    assert (await api.get(path(owner.org_id), headers=platform_admin.headers)).status_code == 200
    assert await container.identity_facade.organization_mail(unknown) is None
    assert await container.identity_facade.organization_mail("not-an-id") is None
    assert await container.identity_facade.organization_mail(owner.org_id) == OrganizationMail(
        mail_from_name=None, reply_to=None)

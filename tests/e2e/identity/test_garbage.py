"""Garbage sent to every identity route: always a 4xx problem naming the fields, never a 500,
and nothing stored."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from lml.config import Settings
from tests.e2e.identity.api import Client, problem
from tests.fixtures.identity import MakeOperator, TestUser

JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
DEEP = b"[" * 5000 + b"]" * 5000

# Bodies no route can make sense of.
MALFORMED = [b"{", b'{"email": "a@b.c",}', b"\xff\xfe\x00", b"{'single': 'quotes'}", b"NaN",
             b'{"email": "\xff"}']  # the last: not UTF-8
NOT_AN_OBJECT = [b"null", b"[]", b'"text"', b"42", b"true", b'[{"email": "a@b.c"}]']


def identity_rows(settings: Settings) -> dict[str, int]:
    with psycopg.connect(settings.migrate_database_url) as conn:
        return {table: int(conn.execute(f"SELECT count(*) FROM identity.{table}").fetchone()[0])  # type: ignore[index]
                for table in ("users", "organizations", "memberships", "refresh_tokens")}


@pytest.fixture
async def routes(platform_admin: TestUser, make_operator: MakeOperator) -> dict[str, tuple[str, dict[str, str]]]:
    owner = await make_operator("owner")
    return {
        "register": ("/v1/auth/register", {}),
        "token": ("/v1/auth/token", {}),
        "organizations": ("/v1/admin/organizations", platform_admin.headers),
        "members": (f"/v1/admin/organizations/{owner.org_id}/members", owner.headers),
    }


# Per route: (JSON body, the fields the 422 must name).
INVALID: dict[str, list[tuple[Any, set[str]]]] = {
    "register": [
        ({}, {"/email", "/password", "/name"}),
        ({"email": 1, "password": [], "name": {}}, {"/email", "/password", "/name"}),
        ({"email": None, "password": None, "name": None}, {"/email", "/password", "/name"}),
        # NUL characters are refused at the edge, before the route's own rules (tests/e2e/platform).
        ({"email": "a\u0000@example.com", "password": "x" * 257, "name": "\u0000"}, {"/email", "/name"}),
        ({"email": "ada@example.com", "password": "x" * 257, "name": "Ada"}, {"/password"}),
        ({"email": "ada@example.com", "password": "correct horse", "name": "x" * 201}, {"/name"}),
        ({"email": "@" * 10_000, "password": "correct horse", "name": "Ada"}, {"/email"}),
    ],
    "token": [
        ({}, {"/grant_type"}),
        ({"grant_type": 5}, {"/grant_type"}),
        ({"grant_type": "client_credentials"}, {"/grant_type"}),
        ({"grant_type": "password"}, {"/email", "/password"}),
        ({"grant_type": "password", "email": 1, "password": 2}, {"/email", "/password"}),
        ({"grant_type": "refresh_token"}, {"/refresh_token"}),
        ({"grant_type": "refresh_token", "refresh_token": ["x"]}, {"/refresh_token"}),
    ],
    "organizations": [
        ({}, {"/name"}),
        ({"name": 7}, {"/name"}),
        ({"name": "   "}, {"/name"}),
        ({"name": "x" * 201}, {"/name"}),
        ({"name": "Globe\u0000"}, {"/name"}),
    ],
    "members": [
        ({}, {"/email", "/role"}),
        ({"email": [], "role": 3}, {"/email", "/role"}),
        ({"email": "not an email", "role": "janitor"}, {"/email", "/role"}),
        ({"email": "nobody@example.com", "role": "owner"}, {"/email"}),
    ],
}
CASES = [(route, body, paths) for route, cases in INVALID.items() for body, paths in cases]


@pytest.mark.parametrize(("route", "body", "paths"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
async def test_invalid_fields_are_422_naming_every_one(
    client: Client, settings: Settings, routes: dict[str, tuple[str, dict[str, str]]], route: str, body: Any,
    paths: set[str],
) -> None:
    url, headers = routes[route]
    before = identity_rows(settings)
    response = await client.post(url, json=body, headers=headers)
    assert {e["path"] for e in problem(response, 422)["errors"]} == paths
    assert identity_rows(settings) == before


@pytest.mark.parametrize("route", ["register", "token", "organizations", "members"])
async def test_malformed_and_non_object_bodies_are_4xx_problems(
    client: Client, settings: Settings, routes: dict[str, tuple[str, dict[str, str]]], route: str
) -> None:
    url, headers = routes[route]
    before = identity_rows(settings)
    for body in MALFORMED:
        response = await client.post(url, content=body, headers={**headers, **JSON})
        assert problem(response, 400)["type"].endswith("/malformed-json"), body
    for body in [*NOT_AN_OBJECT, b""]:
        response = await client.post(url, content=body, headers={**headers, **JSON})
        problem(response, 422)
    assert identity_rows(settings) == before


async def test_deeply_nested_json_to_the_token_route_is_400(client: Client) -> None:
    problem(await client.post("/v1/auth/token", content=DEEP, headers=JSON), 400)


@pytest.mark.parametrize("route", ["register", "organizations", "members"])
async def test_deeply_nested_json_is_400(
    client: Client, routes: dict[str, tuple[str, dict[str, str]]], route: str
) -> None:
    url, headers = routes[route]
    problem(await client.post(url, content=DEEP, headers={**headers, **JSON}), 400)


@pytest.mark.parametrize(
    ("body", "paths"),
    [(b"", {"/grant_type"}), (b"&&==&", {"/grant_type"}), (b"grant_type=password", {"/email", "/password"}),
     (b"grant_type=password&email=a%40b.c", {"/password"}), (b"grant_type=implicit", {"/grant_type"})],
)
async def test_bad_token_forms_are_422_naming_the_fields(client: Client, body: bytes, paths: set[str]) -> None:
    response = await client.post("/v1/auth/token", content=body, headers=FORM)
    assert {e["path"] for e in problem(response, 422)["errors"]} == paths


@pytest.mark.parametrize("email", ["x" * 100_000, "\u202e@example.com", " "])
async def test_a_login_with_an_impossible_email_is_a_plain_401(client: Client, email: str) -> None:
    response = await client.post("/v1/auth/token", json={"grant_type": "password", "email": email,
                                                          "password": "long enough password"})
    problem(response, 401)


async def test_a_token_form_that_is_not_utf8_is_400(client: Client) -> None:
    problem(await client.post("/v1/auth/token", content=b"grant_type=\xff\xfe", headers=FORM), 400)


@pytest.mark.parametrize("org_id", ["not-a-uuid", "1", "0190a5e2-7b9c-7d3e-8f00-0000000000zz"])
async def test_a_malformed_organization_id_in_the_path_is_422_naming_it(
    client: Client, platform_admin: TestUser, org_id: str
) -> None:
    response = await client.post(f"/v1/admin/organizations/{org_id}/members",
                                 json={"email": "a@example.com", "role": "owner"}, headers=platform_admin.headers)
    assert {e["path"] for e in problem(response, 422)["errors"]} == {"/org_id"}


async def test_a_body_over_the_size_limit_is_413(client: Client, settings: Settings) -> None:
    body = b'{"email": "' + b"a" * settings.max_body_bytes + b'"}'
    problem(await client.post("/v1/auth/register", content=body, headers=JSON), 413)
    problem(await client.post("/v1/auth/token", content=body, headers=JSON), 413)

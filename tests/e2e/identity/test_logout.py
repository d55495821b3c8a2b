"""`POST /v1/auth/logout`: the session ends, its refresh tokens are revoked, and its access tokens are
refused by every API process within seconds (not when they expire, 15 minutes later)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lml.app import create_app
from lml.config import Settings
from lml.container import Container, build_container
from lml.platform.resources import Resources
from tests.e2e.identity.api import Client, me, password_grant, problem, refresh_grant
from tests.fixtures.http import api_client
from tests.fixtures.identity import MakeUser, TestUser
from tests.timing import eventually


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def log_out(client: Client, token: str, body: dict[str, str] | None = None) -> httpx.Response:
    return await client.post("/v1/auth/logout", json=body, headers=bearer(token))


async def test_logging_out_ends_the_session_at_once(client: Client, make_user: MakeUser) -> None:
    user = await make_user()
    rotated = (await refresh_grant(client, user.refresh_token)).json()  # the same session, a newer token
    assert (await me(client, user.token)).status_code == 200

    response = await log_out(client, user.token)

    assert response.status_code == 204, response.text
    assert response.content == b""
    for token in (user.token, rotated["access_token"]):
        assert problem(await me(client, token), 401)["type"].endswith("/unauthorized")
    problem(await refresh_grant(client, rotated["refresh_token"]), 401)
    problem(await log_out(client, user.token), 401)


async def test_another_session_of_the_same_user_goes_on(client: Client, make_user: MakeUser) -> None:
    user = await make_user()
    phone = (await password_grant(client, user.email, user.password)).json()

    assert (await log_out(client, user.token)).status_code == 204

    assert (await me(client, phone["access_token"])).status_code == 200
    assert (await refresh_grant(client, phone["refresh_token"])).status_code == 200


async def test_the_refresh_token_in_the_body_ends_its_session_too(client: Client, make_user: MakeUser) -> None:
    user = await make_user()
    phone = (await password_grant(client, user.email, user.password)).json()

    response = await log_out(client, user.token, {"refresh_token": phone["refresh_token"]})

    assert response.status_code == 204, response.text
    problem(await me(client, phone["access_token"]), 401)
    problem(await refresh_grant(client, phone["refresh_token"]), 401)


async def test_someone_elses_or_a_made_up_refresh_token_changes_nothing(
    client: Client, make_user: MakeUser
) -> None:
    user, other = await make_user(), await make_user()
    for refresh_token in (other.refresh_token, "made-up"):
        caller = (await password_grant(client, user.email, user.password)).json()
        assert (await log_out(client, caller["access_token"], {"refresh_token": refresh_token})).status_code == 204
    assert (await me(client, other.token)).status_code == 200
    assert (await refresh_grant(client, other.refresh_token)).status_code == 200


async def test_a_guest_logs_out_their_token(client: Client) -> None:
    guest = (await client.post("/v1/auth/guest", json={"email": "ada@example.com", "name": "Ada"})).json()
    assert (await client.get("/v1/orders", headers=bearer(guest["access_token"]))).status_code == 200

    assert (await log_out(client, guest["access_token"])).status_code == 204

    problem(await client.get("/v1/orders", headers=bearer(guest["access_token"])), 401)


async def test_logging_out_needs_a_valid_access_token(client: Client) -> None:
    problem(await client.post("/v1/auth/logout"), 401)
    problem(await client.post("/v1/auth/logout", headers=bearer("junk")), 401)


@pytest.mark.parametrize("body", [b'{"refresh_token": 3}', b"[1, 2]", b'{"refresh_token": "x"', b"\xff"])
async def test_a_malformed_body_is_a_4xx_and_logs_nobody_out(
    client: Client, make_user: MakeUser, body: bytes
) -> None:
    user = await make_user()
    response = await client.post("/v1/auth/logout", content=body,
                                 headers={**bearer(user.token), "Content-Type": "application/json"})
    assert response.status_code in (400, 422), response.text
    assert (await me(client, user.token)).status_code == 200


# Two API processes: each has its own cache of verified tokens and of revoked sessions.


@pytest.fixture
async def second_process(settings: Settings) -> AsyncIterator[Container]:
    container = build_container(settings)
    await container.open()
    try:
        yield container
    finally:
        await container.close()


async def test_a_logout_through_one_process_reaches_the_other_at_its_next_sync(
    container: Container, second_process: Container, make_user: MakeUser
) -> None:
    user = await make_user()
    async with api_client(create_app(container=container), "192.0.2.1") as first, \
            api_client(create_app(container=second_process), "192.0.2.1") as second:
        assert (await me(second, user.token)).status_code == 200  # now in the second process' caches

        assert (await log_out(first, user.token)).status_code == 204
        problem(await me(first, user.token), 401)

        # What the second process does every second, on its own (see the next test).
        await second_process.resources.revocations.sync()
        problem(await me(second, user.token), 401)


async def test_a_running_process_refuses_the_token_on_its_own_within_seconds(
    settings: Settings, container: Container, make_user: MakeUser
) -> None:
    user = await make_user()
    running: Litestar = create_app(settings)  # its lifespan runs the revocations' sync
    async with AsyncTestClient(app=running, base_url="http://testserver.local") as second, \
            api_client(create_app(container=container), "192.0.2.1") as first:
        assert (await me(second, user.token)).status_code == 200
        assert (await log_out(first, user.token)).status_code == 204

        async def refused() -> bool:
            return (await me(second, user.token)).status_code != 200

        await eventually(refused, what="the second process refusing the token")
        problem(await me(second, user.token), 401)


async def test_the_access_token_says_which_session_it_belongs_to(resources: Resources, make_user: MakeUser) -> None:
    user: TestUser = await make_user()
    again = await make_user(email=user.email, password=user.password)
    first, second = resources.tokens.verify(user.token), resources.tokens.verify(again.token)
    assert first.session_id and second.session_id and first.session_id != second.session_id

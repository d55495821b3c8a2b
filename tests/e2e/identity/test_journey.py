"""A user's whole identity journey over HTTP: register → token → me → refresh → rotate → reuse detected."""

from __future__ import annotations

from tests.e2e.identity.api import Client, me, password_grant, problem, refresh_grant, register


async def test_register_log_in_refresh_and_get_locked_out_when_a_rotated_token_comes_back(client: Client) -> None:
    registered = await register(client, " Ada.Lovelace@Example.com ", name="Ada Lovelace")
    assert registered.status_code == 201, registered.text
    user = registered.json()
    assert user["email"] == "ada.lovelace@example.com"
    assert user["name"] == "Ada Lovelace" and user["is_platform_admin"] is False
    assert set(user) == {"user_id", "email", "name", "is_platform_admin", "created_at", "phone"}

    login = await password_grant(client, "ADA.LOVELACE@example.com")
    assert login.status_code == 200, login.text
    tokens = login.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    assert login.headers["cache-control"] == "no-store"

    profile = await me(client, tokens["access_token"])
    assert profile.status_code == 200, profile.text
    assert profile.json() == {"user": user, "organizations": []}

    rotated = await refresh_grant(client, tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != tokens["refresh_token"]
    assert (await me(client, second["access_token"])).json()["user"]["user_id"] == user["user_id"]

    third = (await refresh_grant(client, second["refresh_token"])).json()

    # The first token comes back (stolen, say): the session is revoked, the newest token too.
    reused = problem(await refresh_grant(client, tokens["refresh_token"]), 401)
    assert reused["type"].endswith("/refresh-token-reused")
    problem(await refresh_grant(client, third["refresh_token"]), 401)
    problem(await refresh_grant(client, second["refresh_token"]), 401)

    # A fresh login starts a new session.
    again = await password_grant(client, "ada.lovelace@example.com")
    assert again.status_code == 200
    assert (await refresh_grant(client, again.json()["refresh_token"])).status_code == 200

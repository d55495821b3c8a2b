from __future__ import annotations

from tests.e2e.identity.api import Client, error_paths, problem, register


async def test_an_email_taken_in_any_letter_case_is_409(client: Client) -> None:
    assert (await register(client, "grace@example.com")).status_code == 201
    body = problem(await register(client, "  GRACE@Example.COM"), 409)
    assert body["type"].endswith("/email-taken")


async def test_every_broken_rule_is_listed_and_nothing_is_stored(client: Client) -> None:
    response = await register(client, "grace@", password="short", name=" ")
    assert error_paths(response) == {"/email", "/password", "/name"}
    assert (await register(client, "grace@example.com")).status_code == 201

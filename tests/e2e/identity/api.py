"""The identity calls the e2e tests make, as an app would make them."""

from __future__ import annotations

from typing import Any

import httpx
from httpx import Response

Client = httpx.AsyncClient
PASSWORD = "correct horse battery"


async def register(client: Client, email: str, password: str = PASSWORD, name: str = "Ada") -> Response:
    return await client.post("/v1/auth/register", json={"email": email, "password": password, "name": name})


async def password_grant(client: Client, email: str, password: str = PASSWORD) -> Response:
    return await client.post("/v1/auth/token", json={"grant_type": "password", "email": email, "password": password})


async def refresh_grant(client: Client, refresh_token: str) -> Response:
    return await client.post("/v1/auth/token", json={"grant_type": "refresh_token", "refresh_token": refresh_token})


async def me(client: Client, access_token: str) -> Response:
    return await client.get("/v1/me", headers={"Authorization": f"Bearer {access_token}"})


def problem(response: Response, status: int) -> dict[str, Any]:
    """The body of a problem response, once its status and media type are checked."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def error_paths(response: Response) -> set[str]:
    return {e["path"] for e in problem(response, 422)["errors"]}

"""The identity calls the e2e tests make, as an app would make them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lml.app import create_app
from lml.platform.resources import Resources

Client = AsyncTestClient[Litestar] | httpx.AsyncClient
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


def app_on(resources: Resources) -> Litestar:
    """The API on the test's own connections (no lifespan needed), for `client_at`."""
    return create_app(resources.settings, resources=resources)


@asynccontextmanager
async def client_at(app: Litestar, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from `address`, on the test's event loop: requests sent at once
    really run at once (the `client` fixture runs the app in a thread of its own, one at a time)."""
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local", timeout=30) as client:
        yield client

"""Health, readiness, metrics and the OpenAPI document, as an orchestrator and a scraper see them."""

from __future__ import annotations

import re

import msgspec
from litestar import Litestar, get
from litestar.params import FromPath
from litestar.testing import AsyncTestClient

from lml.app import create_app
from lml.config import Settings
from lml.container import build_container
from tests.services import free_port


async def test_livez_is_200_while_the_process_runs(stateless_client: AsyncTestClient[Litestar]) -> None:
    response = await stateless_client.get("/livez")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_200_when_every_store_answers(stateless_client: AsyncTestClient[Litestar]) -> None:
    response = await stateless_client.get("/readyz")

    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"postgresql": "ok", "redis": "ok", "mongodb": "ok"}
    assert response.json()["failing"] == []
    assert response.headers["cache-control"] == "no-store"


async def test_readyz_is_503_naming_the_store_that_does_not_answer(base_settings: Settings) -> None:
    dead_mongo = msgspec.structs.replace(base_settings, mongo_url=f"mongodb://127.0.0.1:{free_port()}")
    async with AsyncTestClient(app=create_app(dead_mongo)) as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["mongodb"]
    assert body["checks"]["postgresql"] == body["checks"]["redis"] == "ok"
    assert body["checks"]["mongodb"].startswith("failed: ")


@get("/test/items/{item_id:int}", sync_to_thread=False)
def item(item_id: FromPath[int]) -> dict[str, int]:
    return {"id": item_id}


async def test_metrics_count_requests_by_route_template_and_status(base_settings: Settings) -> None:
    app = create_app(base_settings)
    app.register(item)
    async with AsyncTestClient(app=app) as client:
        await client.get("/readyz")
        await client.get("/test/items/424242")
        await client.get("/no/such/route-737373")
        response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert re.search(r'lml_http_requests_total\{method="GET",route="/readyz",status="200"\} [1-9]', text)
    assert re.search(r'lml_http_requests_total\{method="GET",route="/test/items/\{item_id\}",status="200"\}', text)
    assert re.search(r'lml_http_requests_total\{method="GET",route="<unmatched>",status="404"\}', text)
    assert re.search(r'lml_http_request_duration_seconds_bucket\{le="0\.1",method="GET",route="/readyz",status="200"\}',
                     text)
    # Raw paths never become labels: one series per route, not per id.
    assert "424242" not in text and "737373" not in text


async def test_metrics_include_the_process_metrics(stateless_client: AsyncTestClient[Litestar]) -> None:
    text = (await stateless_client.get("/metrics")).text

    for metric in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"):
        assert re.search(rf"^{metric} \d", text, re.MULTILINE), metric


async def test_the_openapi_document_is_json_with_the_paths(stateless_client: AsyncTestClient[Litestar]) -> None:
    response = await stateless_client.get("/schema/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "LML (Last Minute Live)"
    assert {"/livez", "/readyz"} <= set(document["paths"])
    assert "/metrics" not in document["paths"]


async def test_the_app_opens_the_stores_at_start_and_closes_them_at_shutdown(base_settings: Settings) -> None:
    container = build_container(base_settings)
    resources = container.resources
    app = create_app(container=container)
    assert resources.db.pool.closed

    async with AsyncTestClient(app=app) as client:
        assert not resources.db.pool.closed
        assert (await client.get("/readyz")).status_code == 200

    assert resources.db.pool.closed

"""While Redis cannot be reached (one Redis, or every node of a cluster), what does not need it keeps
answering: the general rate limit lets requests through (a buyer still reads their orders), while a
route's own limit, which guards a write, still refuses (503)."""

from __future__ import annotations

import httpx
import msgspec
import pytest

from lml.config import Settings
from tests.fixtures.seating import MakeBuyer
from tests.services import free_port


@pytest.fixture(params=["single", "cluster"])
def settings(base_settings: Settings, clean_world: None, request: pytest.FixtureRequest) -> Settings:
    return msgspec.structs.replace(base_settings, redis_url=f"redis://127.0.0.1:{free_port()}/0",
                                   redis_cluster=request.param == "cluster", broker_url=base_settings.redis_url)


async def test_a_buyer_reads_their_orders_while_redis_is_down_and_holds_wait_for_it(
    api: httpx.AsyncClient, make_buyer: MakeBuyer,
) -> None:
    buyer = make_buyer()

    orders = await api.get("/v1/orders", headers=buyer.headers)
    assert orders.status_code == 200, orders.text
    assert "ratelimit-limit" not in orders.headers

    held = await api.post(f"/v1/shows/{'0' * 8}-0000-7000-8000-{'0' * 12}/holds", json={"seat_ids": ["a"]},
                          headers=buyer.headers)
    assert held.status_code == 503, held.text
    assert held.headers["content-type"] == "application/problem+json"

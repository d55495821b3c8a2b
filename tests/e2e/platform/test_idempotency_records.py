"""What the `Idempotency-Key` records keep in Redis: a dump of Redis alone yields no hold token, no
PaymentIntent client secret, not even the Idempotency-Keys; replays still answer byte for byte."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import redis.asyncio as aioredis

from lml.config import Settings
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.seating import MakeBuyer


async def redis_dump(settings: Settings) -> bytes:
    """Every key's name and value, whatever its type: what someone holding a copy of Redis reads."""
    client = aioredis.Redis.from_url(settings.redis_url)
    readers: dict[bytes, Any] = {
        b"string": client.get, b"hash": client.hgetall, b"list": lambda k: client.lrange(k, 0, -1),
        b"set": client.smembers, b"zset": lambda k: client.zrange(k, 0, -1), b"stream": client.xrange,
    }
    dump = []
    try:
        async for key in client.scan_iter(count=1000):
            dump.append(key)
            dump.append(repr(await readers[await client.type(key)](key)).encode())
    finally:
        await client.aclose()
    return b"\n".join(dump)


async def test_redis_keeps_no_hold_token_nor_client_secret_and_replays_are_byte_for_byte(
    api: httpx.AsyncClient, settings: Settings, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = make_buyer()
    hold_key, order_key = f"hold-{uuid.uuid4()}", f"order-{uuid.uuid4()}"
    hold_body = {"seat_ids": show.seat_ids[:2], "zones": {}}

    held = await api.post(f"/v1/shows/{show.show_id}/holds", json=hold_body,
                          headers={**buyer.headers, "Idempotency-Key": hold_key})
    assert held.status_code == 201, held.text
    order_body = {"hold_id": held.json()["hold_id"], "hold_token": held.json()["hold_token"]}
    placed = await api.post("/v1/orders", json=order_body, headers={**buyer.headers, "Idempotency-Key": order_key})
    assert placed.status_code == 201, placed.text

    dump = await redis_dump(settings)
    secrets = {
        "hold token": held.json()["hold_token"],
        "client secret": placed.json()["payment"]["client_secret"],
        "hold Idempotency-Key": hold_key,
        "order Idempotency-Key": order_key,
    }
    assert [name for name, value in secrets.items() if value.encode() in dump] == []

    held_again = await api.post(f"/v1/shows/{show.show_id}/holds", json=hold_body,
                                headers={**buyer.headers, "Idempotency-Key": hold_key})
    placed_again = await api.post("/v1/orders", json=order_body,
                                  headers={**buyer.headers, "Idempotency-Key": order_key})
    assert (held_again.status_code, held_again.content) == (201, held.content)
    assert (placed_again.status_code, placed_again.content) == (201, placed.content)
    assert held_again.headers["idempotent-replayed"] == placed_again.headers["idempotent-replayed"] == "true"
    assert held_again.headers["location"] == held.headers["location"]

"""Revoked sessions shared by every API process through Redis (`lml.platform.session_revocation`)."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio as aioredis

from lml.platform.resources import Resources
from lml.platform.session_revocation import LEEWAY_SECONDS, RevokedSessions, SessionRevocations
from tests.timing import eventually

LOG = "lml:sessions:revoked"


def process(resources: Resources) -> tuple[SessionRevocations, RevokedSessions]:
    """What one API process holds: its own memory of revoked sessions, the shared log in Redis."""
    revoked = RevokedSessions()
    return SessionRevocations(resources.redis, "lml", revoked), revoked


@pytest.mark.redis_cluster
async def test_a_revocation_is_known_at_once_here_and_at_the_next_sync_elsewhere(resources: Resources) -> None:
    (here, known_here), (there, known_there) = process(resources), process(resources)
    await there.sync()

    await here.revoke("family-1", token_seconds=900)

    assert "family-1" in known_here and "family-1" not in known_there
    await there.sync()
    assert "family-1" in known_there
    await here.revoke("family-2", token_seconds=900)
    await there.sync()
    assert "family-1" in known_there and "family-2" in known_there


async def test_a_process_that_starts_later_reads_every_revocation_that_still_matters(resources: Resources) -> None:
    writer, _ = process(resources)
    for i in range(2500):  # more than one read's batch
        await writer.revoke(f"family-{i}", token_seconds=900)
    latecomer, known = process(resources)

    await latecomer.sync()

    assert len(known) == 2500 and "family-0" in known and "family-2499" in known


async def test_revocations_that_no_longer_matter_leave_the_log(resources: Resources) -> None:
    writer, _ = process(resources)
    past = time.time() - 10
    for i in range(3):
        await resources.redis.xadd(LOG, {"session": f"old-{i}", "until": f"{past:.3f}"})
    await writer.revoke("family-1", token_seconds=900)
    await writer.revoke("family-2", token_seconds=60)

    entries = await resources.redis.xrange(LOG)
    assert [fields[b"session"] for _, fields in entries] == [b"family-1", b"family-2"]
    ttl = await resources.redis.pttl(LOG)
    assert (900 + LEEWAY_SECONDS - 5) * 1000 < ttl <= (900 + LEEWAY_SECONDS) * 1000
    reader, known = process(resources)
    await reader.sync()
    assert "old-0" not in known and "family-2" in known


async def test_syncing_goes_on_through_a_redis_outage_and_stops_when_told() -> None:
    attempts = 0

    async def hang_up(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal attempts
        attempts += 1
        writer.close()

    broken = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = broken.sockets[0].getsockname()[1]
    client = aioredis.Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=1)
    revoked = RevokedSessions()
    revoked.add("family-1", time.time() + 60)
    stop = asyncio.Event()
    try:
        syncing = asyncio.create_task(SessionRevocations(client, "lml", revoked).keep_in_sync(stop, every=0.01))

        def retried_three_times() -> bool:
            assert not syncing.done()  # it must neither end nor forget what it knew
            return attempts >= 3

        await eventually(retried_three_times, within=10, what="three attempts at syncing")
        assert "family-1" in revoked
        stop.set()
        await asyncio.wait_for(syncing, 5)
    finally:
        await client.aclose()
        broken.close()

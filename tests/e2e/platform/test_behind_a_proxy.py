"""`lml serve` behind a real reverse proxy (a small asyncio TCP proxy that appends the address it sees
to X-Forwarded-For, as nginx's `$proxy_add_x_forwarded_for` does): clients behind the trusted proxy
keep an address, and so a budget, each; a client that is no trusted proxy cannot pick its address by
writing the header itself."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import msgspec

from lml.config import Settings
from tests.fixtures.processes import serving

BURST = 3


@asynccontextmanager
async def forwarding_proxy(upstream_port: int) -> AsyncIterator[int]:
    """A proxy on a free loopback port (yielded), one request per connection: it reads the request's
    head and body, appends its peer's address to X-Forwarded-For, and relays the answer until the
    upstream closes (it asks for `Connection: close`)."""

    relays: set[asyncio.Task[None]] = set()

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if task := asyncio.current_task():
            relays.add(task)
        peer = writer.get_extra_info("peername")[0]
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *lines = head[:-4].split(b"\r\n")
            fields = [(name.strip().lower(), value.strip()) for name, _, value in (f.partition(b":") for f in lines)]
            forwarded = [value for name, value in fields if name == b"x-forwarded-for"]
            kept = [(name, value) for name, value in fields if name not in (b"x-forwarded-for", b"connection")]
            length = next((int(value) for name, value in kept if name == b"content-length"), 0)
            body = await reader.readexactly(length)
            chain = b", ".join([*forwarded, peer.encode()])
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
            kept += [(b"x-forwarded-for", chain), (b"connection", b"close")]
            head = b"\r\n".join([request_line, *(name + b": " + value for name, value in kept), b"", b""])
            upstream_writer.write(head + body)
            await upstream_writer.drain()
            while chunk := await upstream_reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        finally:
            for stream in (upstream_writer, writer):
                if stream is not None:
                    stream.close()
                    with contextlib.suppress(OSError):
                        await stream.wait_closed()

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
        # A relay may still be reading the upstream's close after its client moved on.
        await asyncio.wait_for(asyncio.gather(*relays, return_exceptions=True), timeout=10)


def client_at(address: str, port: int) -> httpx.AsyncClient:
    """A client whose connections come from `address` (any of 127.0.0.0/8 is this machine)."""
    return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=address),
                             base_url=f"http://127.0.0.1:{port}", timeout=10, headers={"Connection": "close"})


async def statuses(client: httpx.AsyncClient, count: int, headers: dict[str, str] | None = None) -> list[int]:
    return [(await client.get("/v1/events", headers=headers)).status_code for _ in range(count)]


async def test_five_clients_behind_a_trusted_proxy_keep_five_budgets_and_nobody_picks_their_address(
    settings: Settings, tmp_path: Path
) -> None:
    served = msgspec.structs.replace(
        settings, trusted_proxies="127.0.0.1/32", rate_limit_address_burst=BURST,
        rate_limit_address_per_second=0.001)
    async with serving(served, tmp_path / "serve.log") as api_port, forwarding_proxy(api_port) as proxy_port:
        behind = [client_at(f"127.0.0.{n}", proxy_port) for n in range(2, 7)]
        direct = client_at("127.0.0.7", api_port)
        try:
            first = await behind[0].get("/v1/events")
            # Our headers, and not granian's name.
            assert first.headers["server"] == "api" and first.headers["x-content-type-options"] == "nosniff"
            assert first.headers["ratelimit-remaining"] == str(BURST - 1)
            assert await statuses(behind[0], BURST) == [200] * (BURST - 1) + [429]
            # The four others were not held back by the first one's requests: five budgets.
            for client in behind[1:]:
                assert await statuses(client, BURST + 1) == [200] * BURST + [429]
            # Behind the proxy, a header of the client's own is only the left of the chain.
            spoofed = await behind[0].get("/v1/events", headers={"X-Forwarded-For": "203.0.113.50"})
            assert spoofed.status_code == 429
            # Straight to the API, the header is ignored: one budget, whatever each request says.
            forged = [{"X-Forwarded-For": f"203.0.113.{n}"} for n in range(BURST + 1)]
            assert [(await direct.get("/v1/events", headers=h)).status_code for h in forged] == [200] * BURST + [429]
        finally:
            for client in [*behind, direct]:
                await client.aclose()

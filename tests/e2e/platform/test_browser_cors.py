"""A web app on another origin, in a real headless Chromium, calls the real `lml serve`: from an origin
of LML_CORS_ORIGINS it reads the events, holds a seat with its bearer token (a preflighted request),
follows the availability stream and reads a problem; from any other origin the browser lets it do
none of it, and the hold it tried was never placed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from lml.config import Settings
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.chromium import DevTools, headless_chromium
from tests.fixtures.processes import serving
from tests.fixtures.seating import MakeBuyer

PAGE = (Path(__file__).parent / "browser_page.html").read_bytes()

pytestmark = pytest.mark.slow  # a browser and an API process: some ten seconds


@contextmanager
def page_server() -> Iterator[str]:
    """The web app's page on a loopback port of its own: its origin (yielded)."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


async def run_the_app(browser: DevTools, origin: str, api: str, token: str, show: TestShow, seat: str) -> Any:
    page = await browser.open_page(f"{origin}/")
    arguments = ", ".join(json.dumps(value) for value in (api, token, show.show_id, seat))
    return await browser.evaluate(page, f"runTheApp({arguments})", within=60)


async def test_a_web_app_works_from_an_allowed_origin_and_nothing_works_from_another(
    settings: Settings, tmp_path: Path, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer,
    client: httpx.AsyncClient,
) -> None:
    show = await make_show_on_sale(seats=4)
    with page_server() as allowed, page_server() as other:
        served = msgspec.structs.replace(settings, cors_origins=allowed, sse_heartbeat_seconds=1.0)
        async with serving(served, tmp_path / "serve.log") as port, headless_chromium(tmp_path / "profile") as browser:
            api = f"http://127.0.0.1:{port}"
            mine = await run_the_app(browser, allowed, api, make_buyer().token, show, show.seat_ids[0])
            theirs = await run_the_app(browser, other, api, make_buyer().token, show, show.seat_ids[1])

    assert mine["events"]["status"] == 200 and mine["events"]["count"] == 1, mine
    assert mine["events"]["requestId"] and mine["events"]["remaining"], mine  # exposed headers
    assert mine["snapshot"]["event"] == "snapshot" and mine["snapshot"]["bytes"] > 0, mine
    assert mine["hold"]["status"] == 201 and mine["hold"]["location"] == f"/v1/holds/{mine['hold']['holdId']}", mine
    assert mine["hold"]["limit"], mine
    assert mine["change"]["event"] == "change", mine  # the stream saw the hold
    assert mine["problem"] == {"status": 401, "type": "https://lml.dev/problems/unauthorized"}, mine

    for step in ("events", "snapshot", "hold", "change", "problem"):
        assert "error" in theirs[step], (step, theirs)
    assert "Failed to fetch" in theirs["events"]["error"] and "Failed to fetch" in theirs["hold"]["error"], theirs
    assert theirs["snapshot"]["error"] == "the stream was refused", theirs
    # The refused preflight kept the hold from being sent at all: one seat held, the allowed app's.
    availability = (await client.get(f"/v1/shows/{show.show_id}/availability")).json()
    assert availability["seats"].count("h") == 1

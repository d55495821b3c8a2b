"""`lml serve` and `lml worker` as real processes: they start, work, and stop cleanly on SIGTERM,
finishing what is in flight."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import msgspec
import psycopg
import pytest

from lml.config import Settings
from tests.fixtures.processes import LML, children_of, process
from tests.services import free_port
from tests.timing import eventually


@contextmanager
def silent_server() -> Iterator[tuple[int, threading.Event]]:
    """A port that accepts connections and never answers: a store that hangs. The event is set at
    the first connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    connected = threading.Event()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return
            connected.set()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1], connected
    finally:
        listener.close()
        for conn in accepted:
            conn.close()


def alive(pid: int) -> bool:
    # A child already reaped is gone; one not yet reaped (a zombie) no longer runs either.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "\nState:\tZ" not in status.read_text()


async def test_a_process_left_running_is_stopped_with_its_workers(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    served = msgspec.structs.replace(settings, host="127.0.0.1", port=port)
    with process(["serve", "--workers", "2"], served, tmp_path / "serve.log") as api:
        await eventually(lambda: len(children_of(api.pid)) == 2, within=30, what="two API workers started")
        workers = children_of(api.pid)

    await eventually(lambda: not any(alive(pid) for pid in workers), within=10, what="the API workers gone")


async def test_the_api_finishes_a_request_in_flight_then_exits_0_on_sigterm(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    with silent_server() as (mongo_port, mongo_reached):
        # /readyz then waits on MongoDB for its 2 s probe limit: a slow request without a test-only route.
        served = msgspec.structs.replace(
            settings,
            host="127.0.0.1",
            port=port,
            log_level="info",
            log_format="json",
            mongo_url=f"mongodb://127.0.0.1:{mongo_port}",
        )
        with process(["serve"], served, tmp_path / "serve.log") as api:
            base = f"http://127.0.0.1:{port}"

            def live() -> bool:
                try:
                    return httpx.get(f"{base}/livez", timeout=1).status_code == 200
                except httpx.TransportError:
                    assert api.poll() is None, (tmp_path / "serve.log").read_text()
                    return False

            await eventually(live, within=30, what="/livez answering 200")
            answers: list[httpx.Response] = []
            in_flight = threading.Thread(target=lambda: answers.append(httpx.get(f"{base}/readyz", timeout=15)))
            in_flight.start()
            await eventually(mongo_reached.is_set, within=30, what="/readyz probing MongoDB")

            api.send_signal(signal.SIGTERM)
            in_flight.join(timeout=15)
            code = api.wait(timeout=30)

    log = (tmp_path / "serve.log").read_text()
    assert code == 0, log
    assert [a.status_code for a in answers] == [503], log
    assert answers[0].json()["failing"] == ["mongodb"]
    # JSON lines, granian's own included (see the xfail in test_request_context for the lines that
    # Litestar's default logging config still takes); the lifespan's shutdown ran after the request.
    events = [json.loads(line)["event"] for line in log.splitlines() if line.startswith("{")]
    assert "Shutting down granian" in events
    assert events.index("request") < events.index("api_stopped")


async def test_the_worker_relays_the_outbox_then_exits_0_on_sigterm(
    settings: Settings, service_urls: dict[str, str], tmp_path: Path
) -> None:
    log_file = tmp_path / "worker.log"
    with process(["worker", "--threads", "2"], msgspec.structs.replace(settings, log_level="info"), log_file) as worker:
        await eventually(lambda: "worker_started" in log_file.read_text() or worker.poll() is not None, within=30,
                         what="worker_started")
        assert worker.poll() is None, log_file.read_text()
        with psycopg.connect(service_urls["app_dsn"]) as conn:
            (event_id,) = conn.execute(
                "INSERT INTO platform.outbox (event_type, payload) VALUES ('tests.Ping', '{}') RETURNING id"
            ).fetchone() or (None,)

        def relayed() -> bool:
            with psycopg.connect(service_urls["app_dsn"]) as conn:
                row = conn.execute("SELECT status FROM platform.outbox WHERE id = %s", (event_id,)).fetchone()
            return row == ("done",)

        await eventually(relayed, within=30, what="the event relayed by `lml worker`")
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=40)

    log = log_file.read_text()
    assert code == 0, log
    assert "worker_stopping" in log and "signal=15" in log
    assert "worker_stopped" in log
    assert "Traceback" not in log


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_process_with_invalid_settings_exits_2_naming_the_variable(command: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LML_")} | {"LML_PORT": "eighty"}

    done = subprocess.run([LML, command], env=env, capture_output=True, text=True, timeout=30, check=False)

    assert done.returncode == 2
    assert "LML_PORT must be an integer, not 'eighty'" in done.stderr

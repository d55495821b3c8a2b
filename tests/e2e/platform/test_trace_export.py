"""`lml serve` with an OTLP endpoint exports its spans there, as OTLP/HTTP protobuf, named for the service."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from lml.config import Settings
from tests.fixtures.processes import serving
from tests.timing import eventually


class Collector:
    """An OTLP/HTTP collector on a free loopback port, keeping what it is sent to /v1/traces."""

    def __init__(self) -> None:
        self.exports: list[ExportTraceServiceRequest] = []
        received = self.exports

        class Accept(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/v1/traces":
                    received.append(ExportTraceServiceRequest.FromString(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Accept)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def spans(self) -> list[tuple[str, str]]:
        """(service name, span name) of every span received."""
        found = []
        for export in self.exports:
            for resource_spans in export.resource_spans:
                service = next(a.value.string_value for a in resource_spans.resource.attributes
                               if a.key == "service.name")
                found += [(service, s.name) for scope in resource_spans.scope_spans for s in scope.spans]
        return found


@pytest.fixture
def collector() -> Iterator[Collector]:
    found = Collector()
    thread = threading.Thread(target=found.server.serve_forever, name="otlp-collector", daemon=True)
    thread.start()
    try:
        yield found
    finally:
        found.server.shutdown()
        found.server.server_close()


async def test_the_served_api_exports_its_requests_spans_to_the_otlp_endpoint(
    settings: Settings, tmp_path: Path, collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")  # batches sent every 0.1 s instead of 5 s
    async with serving(settings, tmp_path / "api.log") as port:
        async with httpx.AsyncClient() as client:
            missing = await client.get(f"http://127.0.0.1:{port}/v1/shows/00000000-0000-0000-0000-000000000000")
        assert missing.status_code == 404

        def exported() -> bool:
            return ("lml-api", "GET /v1/shows/{show_id}") in collector.spans()

        await eventually(exported, what="the request's span exported")

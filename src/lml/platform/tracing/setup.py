"""Exporting traces: over OTLP/HTTP when the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, not at all otherwise.

Read from the environment as OpenTelemetry defines it, not from `Settings`: the exporter and the SDK
read the rest of their `OTEL_*` variables (headers, timeouts, sampler, resource attributes) there too.
Without an endpoint no provider is installed, so `lml.platform.tracing.spans` makes no span at all:
cheaper than an SDK provider with no exporter, which would still build, time and drop every span
(tens of microseconds each; docs/benchmarks.md, "Tracing").
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from lml.platform.tracing.spans import trace_with

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def configure_tracing(default_service_name: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Install the exporting tracer provider when an endpoint is configured (and the SDK is not
    disabled by the standard `OTEL_SDK_DISABLED=true`); True if it was.
    `OTEL_SERVICE_NAME` names the process, else `default_service_name` (`lml-api`, `lml-worker`)."""
    disabled = environ.get("OTEL_SDK_DISABLED", "").lower() == "true"
    if disabled or not any(environ.get(name) for name in ENDPOINT_VARIABLES):
        return False
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: environ.get("OTEL_SERVICE_NAME") or default_service_name})
    )
    # Batched, exported from a thread of its own: a request never waits for the collector.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    # Also OpenTelemetry's global, for any library that traces through it.
    trace.set_tracer_provider(provider)
    trace_with(provider)
    return True

"""No OTLP endpoint (or the SDK disabled): no tracer is installed, and no span is made."""

from __future__ import annotations

import pytest

from lml.platform.tracing.setup import configure_tracing
from lml.platform.tracing.spans import current_traceparent, span, tracer


@pytest.mark.parametrize("environ", [
    {},
    {"OTEL_SERVICE_NAME": "lml-api"},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"},
])
def test_without_an_endpoint_nothing_is_traced(environ: dict[str, str]) -> None:
    assert configure_tracing("lml-api", environ) is False
    assert tracer() is None
    with span("a request") as current:
        assert current is None
        assert current_traceparent() is None

"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from litestar import Response, Router, get
from litestar.di import NamedDependency

from lml.platform.metrics import latest
from lml.platform.resources import Resources


@get("/livez", operation_id="getLiveness", include_in_schema=True, sync_to_thread=False, tags=["platform"])
def livez() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", operation_id="getReadiness", tags=["platform"])
async def readyz(resources: NamedDependency[Resources]) -> Response[dict[str, Any]]:
    checks = await resources.check()
    failing = [name for name, result in checks.items() if result != "ok"]
    body = {"status": "ok" if not failing else "unavailable", "checks": checks, "failing": failing}
    return Response(body, status_code=503 if failing else 200, headers={"Cache-Control": "no-store"})


@get("/metrics", include_in_schema=False, sync_to_thread=False)
def metrics() -> Response[bytes]:
    body, media_type = latest()
    return Response(body, media_type=media_type)


router = Router(path="/", route_handlers=[livez, readyz, metrics])

"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from litestar import Response, Router, get
from litestar.di import NamedDependency
from litestar.types import ASGIApp

from lml.platform.http.answer import json_answer
from lml.platform.http.contract import contract, route_contract
from lml.platform.metrics import latest
from lml.platform.resources import Resources

# Every probe gets the same answer: built once (`lml.platform.http.answer`).
_LIVE = json_answer(200, b'{"status":"ok"}', [])


@get("/livez", operation_id="getLiveness", include_in_schema=True, sync_to_thread=False, tags=["platform"],
     opt=route_contract(contract(body={"application/json": dict[str, str]})))
def livez() -> ASGIApp:
    return _LIVE


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

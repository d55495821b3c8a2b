"""Composition root of the API: builds the Litestar app (no work at import time)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from lml.catalog.infrastructure.http import router as catalog_router
from lml.config import Settings
from lml.identity.infrastructure.http import router as identity_router
from lml.ordering.infrastructure.http import router as ordering_router
from lml.payments.infrastructure.http import router as payments_router
from lml.platform.http.health import router as health_router
from lml.platform.http.problems import exception_handlers
from lml.platform.http.request_context import RequestContext
from lml.platform.http.request_guard import request_guard
from lml.platform.idempotency import IdempotencyStore
from lml.platform.logging import configure_logging, get_logger
from lml.platform.resources import Resources
from lml.seating.infrastructure.http import router as seating_router
from lml.venues.infrastructure.http import router as venues_router

log = get_logger("lml.app")


def create_app(
    settings: Settings | None = None, resources: Resources | None = None, *, freeze_heap_at_startup: bool = False
) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings)
    resources = resources or Resources(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await resources.open()
        # Logouts recorded by any process reach this one within a second or so (README, "Sessions").
        stop_syncing = asyncio.Event()
        syncing = asyncio.create_task(resources.revocations.keep_in_sync(stop_syncing), name="session-revocations")
        if freeze_heap_at_startup:
            # Everything built at start-up lives as long as the process: out of the collector's
            # sight, full collections under load scan only what requests allocate. Measured on the
            # hold storm: p99 117 → 45 ms (docs/benchmarks.md).
            gc.collect()
            gc.freeze()
        log.info("api_started", env=settings.env)
        try:
            yield
        finally:
            stop_syncing.set()
            await syncing
            await resources.close()
            log.info("api_stopped")

    app = Litestar(
        route_handlers=[
            health_router,
            identity_router,
            venues_router,
            catalog_router,
            seating_router,
            ordering_router,
            payments_router,
        ],
        lifespan=[lifespan],
        exception_handlers=exception_handlers(),
        middleware=[request_guard(settings.body_timeout_seconds)],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="LML (Last Minute Live)",
            version="1",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
        state=State(
            {
                "resources": resources,
                "settings": settings,
                "tokens": resources.tokens,
                "idempotency": IdempotencyStore(resources.redis, settings.redis_key_prefix,
                                                settings.idempotency_secret),
            }
        ),
        debug=False,
        # Our structlog set-up owns the root logger; Litestar's default would replace its handler.
        logging_config=None,
    )
    app.asgi_handler = RequestContext(app.asgi_handler)
    return app


def create_served_app() -> Litestar:
    """The factory `lml serve` hands to the server: one app per server process, for its lifetime."""
    return create_app(freeze_heap_at_startup=True)

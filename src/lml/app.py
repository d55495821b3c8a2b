"""Composition root of the API: the process's container (`lml.container`), then the Litestar app that
serves it (no work at import time).

Route handlers get their context's services as Litestar dependencies declared here (`seating:
SeatingServices` in a handler's signature), guards and route middleware get the HTTP kit (tokens,
idempotency records, rate limiter, identity's operator check) from the request's scope, put there by
the edge (`lml.platform.http.edge`). Nothing is looked up on the app, nothing is built on first use."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from litestar import Litestar

from lml.admission.infrastructure.http import router as admission_router
from lml.catalog.infrastructure.http import router as catalog_router
from lml.config import Settings
from lml.container import Container, build_container
from lml.identity.infrastructure.http import router as identity_router
from lml.notifications.infrastructure.http import router as notifications_router
from lml.ordering.infrastructure.http import router as ordering_router
from lml.payments.infrastructure.http import router as payments_router
from lml.platform.http.allow import answer_options_with_every_method
from lml.platform.http.client_address import TrustedProxies
from lml.platform.http.cors import Cors
from lml.platform.http.edge import Edge
from lml.platform.http.health import router as health_router
from lml.platform.http.hot_lane import HotLane
from lml.platform.http.kit import HttpKit, provide
from lml.platform.http.openapi import openapi_config
from lml.platform.http.problems import exception_handlers
from lml.platform.http.rate_limits import GeneralBudget, general_budget, general_rate_limit
from lml.platform.http.request_guard import request_guard
from lml.platform.http.security_headers import SecurityHeaders
from lml.platform.idempotency import IdempotencyStore
from lml.platform.logging import configure_logging, get_logger
from lml.platform.pool_metrics import keep_sampling
from lml.platform.rate_limit import RateLimit, RateLimiter
from lml.platform.redis_batch import BatchingScripts
from lml.platform.tracing.setup import configure_tracing
from lml.seating.infrastructure.http import router as seating_router
from lml.venues.infrastructure.http import router as venues_router

log = get_logger("lml.app")

# Outside the general rate limit: probes and scrapes (their callers poll by design), the OpenAPI
# document, and Stripe's webhook (Stripe's retries follow its own schedule; each call is signed).
UNLIMITED_PATHS = ("/livez", "/readyz", "/metrics", "/schema", "/v1/payments/stripe/webhook")


def http_kit(container: Container) -> HttpKit:
    resources, settings = container.resources, container.settings
    # Through one batcher: the limiter's and idempotency's scripts of concurrent requests share round
    # trips to Redis, and each call skips redis-py's own way through its pool.
    scripts = cast(Any, BatchingScripts(resources.redis))
    return HttpKit(
        tokens=resources.tokens,
        idempotency=IdempotencyStore(scripts, settings.redis_key_prefix, settings.idempotency_secret),
        limiter=RateLimiter(scripts, settings.redis_key_prefix),
        authorize_operator=container.identity_facade.authorize_operator,
    )


def served(app: Litestar, container: Container, general: GeneralBudget | None = None) -> Litestar:
    """`app` behind its edge (`lml.platform.http.edge`), what every request and answer passes through:
    the request's span (when traces are exported), its id, access log line and metrics, the HTTP kit,
    the client's address (trusted proxies), the security headers, CORS; then the hot routes' lane
    (`lml.platform.http.hot_lane`) when given `general`, the app's general rate limit, which it spends as
    the app does."""
    settings = container.settings
    kit = http_kit(container)
    inner = app.asgi_handler if general is None else HotLane(app, kit, general, settings.body_timeout_seconds)
    app.asgi_handler = Edge(inner, kit,
                            TrustedProxies(settings.trusted_proxy_networks, settings.forwarded_header),
                            SecurityHeaders(production=settings.is_production), Cors(settings.cors_origin_list))
    return app


def create_app(
    settings: Settings | None = None, container: Container | None = None, *, freeze_heap_at_startup: bool = False
) -> Litestar:
    settings = container.settings if container else settings or Settings.from_env()
    configure_logging(settings)
    container = container or build_container(settings)
    resources = container.resources

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await container.open()
        # Logouts recorded by any process reach this one within a second or so (README, "Sessions").
        stopping = asyncio.Event()
        syncing = asyncio.create_task(resources.revocations.keep_in_sync(stopping), name="session-revocations")
        sampling = asyncio.create_task(keep_sampling(resources.db, resources.redis, stopping), name="pool-metrics")
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
            stopping.set()
            await syncing
            await sampling
            await container.close()
            log.info("api_stopped")

    general = general_rate_limit(
        RateLimit(settings.rate_limit_principal_burst, settings.rate_limit_principal_per_second),
        RateLimit(settings.rate_limit_address_burst, settings.rate_limit_address_per_second),
        exempt_paths=UNLIMITED_PATHS,
    )
    app = Litestar(
        route_handlers=[
            health_router,
            identity_router,
            venues_router,
            catalog_router,
            seating_router,
            ordering_router,
            payments_router,
            notifications_router,
            admission_router,
        ],
        dependencies={
            "resources": provide(resources),
            "identity": provide(container.identity),
            "venues": provide(container.venues),
            "catalog": provide(container.catalog),
            "seating": provide(container.seating),
            "ordering": provide(container.ordering),
            "payments": provide(container.payments),
            "notifications": provide(container.notifications),
            "admission": provide(container.admission),
        },
        lifespan=[lifespan],
        exception_handlers=exception_handlers(),
        middleware=[request_guard(settings.body_timeout_seconds), general],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=openapi_config(general_limit_exempt=UNLIMITED_PATHS),
        debug=False,
        # Our structlog set-up owns the root logger; Litestar's default would replace its handler.
        logging_config=None,
    )
    answer_options_with_every_method(app)
    return served(app, container, general_budget(general))


def create_served_app() -> Litestar:
    """The factory `lml serve` hands to the server: one app per server process, for its lifetime."""
    configure_tracing("lml-api")
    return create_app(freeze_heap_at_startup=True)

"""What the platform's route guards and route middleware need from the process: the access-token
codec, the idempotency records, the rate limiter, and the check that a user may act in an
organization (identity's, plugged in by the composition root: the platform knows no context).

The composition root builds one `HttpKit` and the edge (`lml.platform.http.edge`) hands it to every
request in its scope, so a guard reads it from the request it guards: nothing is looked up on the
app, nothing is built on first use. Route handlers get their context's services as Litestar dependencies instead."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.types import Scope

from lml.platform.domain.principal import Principal
from lml.platform.idempotency import IdempotencyStore
from lml.platform.rate_limit import RateLimiter
from lml.platform.tokens import TokenCodec

SCOPE_KEY = "http_kit"


class AuthorizeOperator(Protocol):
    async def __call__(
        self, principal: Principal, org_id: str | None, allowed_roles: Collection[str], *, field: str = ...
    ) -> Any:
        """The operator's access to the organization `org_id` names (the raw value of `field`, the
        `X-Org-ID` header by default); raises the problem that refuses it."""

T = TypeVar("T")


@dataclass(frozen=True)
class HttpKit:
    tokens: TokenCodec
    idempotency: IdempotencyStore
    limiter: RateLimiter
    authorize_operator: AuthorizeOperator


def kit_of(connection: ASGIConnection[Any, Any, Any, Any]) -> HttpKit:
    return kit_in(connection.scope)


def kit_in(scope: Scope) -> HttpKit:
    """`kit_of` a request's scope."""
    kit: HttpKit = scope["state"][SCOPE_KEY]
    return kit


def provide(value: T) -> Provide:
    """A Litestar dependency that is always `value` (a service the composition root built)."""

    def dependency() -> T:
        return value

    return Provide(dependency, use_cache=True, sync_to_thread=False)

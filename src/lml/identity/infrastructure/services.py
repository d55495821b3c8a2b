"""Identity's services: its adapters, built once per process by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from lml.identity.application.ports import PasswordHasher, SessionRevoker, UnitOfWorkFactory
from lml.identity.application.sessions import SessionIssuer
from lml.identity.infrastructure.argon2_hasher import Argon2Hasher
from lml.identity.infrastructure.login_throttle import LoginThrottle
from lml.identity.infrastructure.pg_unit_of_work import pg_unit_of_work
from lml.platform.clock import Clock
from lml.platform.rate_limit import RateLimiter
from lml.platform.resources import Resources


@dataclass(frozen=True)
class IdentityServices:
    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    clock: Clock
    sessions: SessionIssuer
    revoker: SessionRevoker
    throttle: LoginThrottle

    @classmethod
    def build(cls, resources: Resources) -> IdentityServices:
        return cls(
            uow=pg_unit_of_work(resources.db),
            hasher=Argon2Hasher(),
            clock=resources.clock,
            sessions=SessionIssuer(resources.tokens, resources.clock, resources.settings.refresh_token_seconds),
            revoker=resources.revocations,
            throttle=LoginThrottle(RateLimiter(resources.redis, resources.settings.redis_key_prefix)),
        )

"""Settings: one msgspec Struct read once from `LML_*` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

import msgspec

DEV_JWT_SECRET = "development-only-secret-change-me-0123456789"
DEV_TICKET_SIGNING_KEY = "development-only-ticket-key-0123456789"


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    env: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = msgspec.field(default=8000)
    # The application's own role: not a superuser, so row-level security applies to it.
    database_url: str = "postgresql://lml_app@127.0.0.1:5432/lml"
    # The schema owner's connection, used by `lml migrate` only.
    migrate_database_url: str = "postgresql://postgres@127.0.0.1:5432/lml"
    db_pool_min: int = 2
    db_pool_max: int = 20
    db_statement_timeout_ms: int = 5_000
    db_lock_timeout_ms: int = 2_000
    db_idle_in_transaction_timeout_ms: int = 10_000
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_key_prefix: str = "lml"
    mongo_url: str = "mongodb://127.0.0.1:27017"
    mongo_database: str = "lml"
    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer: str = "lml"
    jwt_audience: str = "lml-api"
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_seconds: int = 900
    refresh_token_seconds: int = 7 * 24 * 3600
    stripe_secret_key: str = "sk_test_local"
    # Comma-separated: several secrets are accepted while one is rotated.
    stripe_webhook_secret: str = "whsec_local"
    stripe_api_base: str = "http://127.0.0.1:8420"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "console"
    max_body_bytes: int = 2 * 1024 * 1024
    outbox_max_attempts: int = 10

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def stripe_webhook_secrets(self) -> list[str]:
        return [s.strip() for s in self.stripe_webhook_secret.split(",") if s.strip()]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        for name in cls.__struct_fields__:
            value = environ.get(f"LML_{name.upper()}")
            if value is not None and value != "":
                raw[name] = value.lower() if name in _CASE_INSENSITIVE else value
        if "log_format" not in raw and raw.get("env") == "production":
            raw["log_format"] = "json"
        try:
            settings = msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(_name_the_variable(str(exc))) from None
        settings.check()
        return settings

    def check(self) -> None:
        problems = []
        for name in ("port", "db_pool_min", "db_pool_max", "access_token_seconds", "refresh_token_seconds"):
            if getattr(self, name) <= 0:
                problems.append(f"LML_{name.upper()} must be a positive integer")
        if self.db_pool_min > self.db_pool_max:
            problems.append("LML_DB_POOL_MIN must not exceed LML_DB_POOL_MAX")
        if self.is_production:
            if self.jwt_secret == DEV_JWT_SECRET:
                problems.append("LML_JWT_SECRET must be set in production")
            if self.stripe_secret_key == "sk_test_local":
                problems.append("LML_STRIPE_SECRET_KEY must be set in production")
            if self.stripe_webhook_secret == "whsec_local":
                problems.append("LML_STRIPE_WEBHOOK_SECRET must be set in production")
        if len(self.jwt_secret) < 32:
            problems.append("LML_JWT_SECRET must be at least 32 characters")
        if problems:
            raise SettingsError("; ".join(problems))


_CASE_INSENSITIVE = {"env", "log_level", "log_format"}


def _name_the_variable(message: str) -> str:
    # msgspec says e.g. "Expected `int`, got `str` - at `$.port`"
    if " - at `$." in message:
        what, _, where = message.rpartition(" - at `$.")
        field = where.rstrip("`").split(".")[0].split("[")[0]
        return f"LML_{field.upper()}: {what}"
    return message

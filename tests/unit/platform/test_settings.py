"""Settings come from LML_* variables: safe development defaults, and a clear error naming each bad variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lml.cli import main
from lml.config import DEV_JWT_SECRET, Settings, SettingsError

PRODUCTION_SECRETS = {
    "LML_ENV": "production",
    "LML_JWT_SECRET": "a-production-secret-that-is-long-enough-0123",
    "LML_STRIPE_SECRET_KEY": "sk_live_abc",
    "LML_STRIPE_WEBHOOK_SECRET": "whsec_live_abc",
    "LML_TICKET_SIGNING_KEY": "a-production-ticket-key-0123456789",
    "LML_IDEMPOTENCY_SECRET": "a-production-idempotency-secret-0123456789",
}


def test_defaults_load_for_local_development() -> None:
    settings = Settings.from_env({})

    assert settings.env == "development"
    assert not settings.is_production
    assert settings.log_format == "console"
    assert settings.database_url.startswith("postgresql://lml_app@")
    assert settings.redis_url.startswith("redis://")
    assert settings.mongo_url.startswith("mongodb://")
    assert settings.jwt_secret == DEV_JWT_SECRET


def test_variables_override_defaults_and_empty_ones_are_ignored() -> None:
    settings = Settings.from_env(
        {
            "LML_PORT": "9001",
            "LML_DATABASE_URL": "postgresql://app@db:5432/lml",
            "LML_MIGRATE_DATABASE_URL": "host=db user=owner dbname=lml",
            "LML_LOG_LEVEL": "DEBUG",
            "LML_JWT_ALGORITHM": "HS512",
            "LML_JWT_SECRET": "s" * 64,
            "LML_REDIS_URL": "",
            "LML_STRIPE_WEBHOOK_SECRET": "whsec_a, whsec_b",
            "LML_DB_PREPARED_STATEMENTS": "false",
        }
    )

    assert settings.port == 9001
    assert settings.database_url == "postgresql://app@db:5432/lml"
    assert settings.migrate_database_url == "host=db user=owner dbname=lml"
    assert settings.log_level == "debug"
    assert settings.jwt_algorithm == "HS512"
    assert settings.redis_url == Settings().redis_url
    assert settings.stripe_webhook_secrets == ["whsec_a", "whsec_b"]
    assert settings.db_prepared_statements is False


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LML_PORT", "abc", "LML_PORT must be an integer, not 'abc'"),
        ("LML_PORT", "70000", "LML_PORT must be between 1 and 65535"),
        ("LML_ENV", "staging", "LML_ENV must be one of development, production, not 'staging'"),
        ("LML_LOG_FORMAT", "xml", "LML_LOG_FORMAT must be one of json, console, not 'xml'"),
        ("LML_LOG_LEVEL", "loud", "LML_LOG_LEVEL must be one of"),
        ("LML_JWT_ALGORITHM", "none", "LML_JWT_ALGORITHM must be one of HS256, HS384, HS512"),
        ("LML_DB_POOL_MAX", "0", "LML_DB_POOL_MAX must be a positive integer"),
        ("LML_DB_PREPARED_STATEMENTS", "yes", "LML_DB_PREPARED_STATEMENTS must be true or false, not 'yes'"),
        ("LML_DB_STATEMENT_TIMEOUT_MS", "-5", "LML_DB_STATEMENT_TIMEOUT_MS must be a positive integer"),
        ("LML_MAX_HELD_PER_ADDRESS", "0", "LML_MAX_HELD_PER_ADDRESS must be a positive integer"),
        ("LML_OUTBOX_CLAIM_LEASE_SECONDS", "0", "LML_OUTBOX_CLAIM_LEASE_SECONDS must be a positive integer"),
        ("LML_DATABASE_URL", "mysql://root@db/lml", "LML_DATABASE_URL must be a postgresql:// URL or a libpq"),
        ("LML_MIGRATE_DATABASE_URL", "lml", "LML_MIGRATE_DATABASE_URL must be a postgresql:// URL"),
        ("LML_REDIS_URL", "127.0.0.1:6379", "LML_REDIS_URL must be a URL starting with redis://"),
        ("LML_MONGO_URL", "http://mongo", "LML_MONGO_URL must be a URL starting with mongodb://"),
        ("LML_JWT_SECRET", "short", "LML_JWT_SECRET must be at least 32 characters for HS256"),
        ("LML_CORS_ORIGINS", "*", "LML_CORS_ORIGINS must list origins as scheme://host[:port]"),
        ("LML_CORS_ORIGINS", "https://app.example.com/", "not 'https://app.example.com/'"),
        ("LML_CORS_ORIGINS", "https://App.example.com", "not 'https://App.example.com'"),
        ("LML_CORS_ORIGINS", "https://app.example.com:443", "not 'https://app.example.com:443'"),
        ("LML_CORS_ORIGINS", "null", "LML_CORS_ORIGINS must list origins"),
        ("LML_TRUSTED_PROXIES", "10.0.0.0/8, 10.0.0/8", "LML_TRUSTED_PROXIES must list addresses or networks"),
        ("LML_FORWARDED_HEADER", "x-real-ip", "LML_FORWARDED_HEADER must be one of x-forwarded-for, forwarded"),
        ("LML_RATE_LIMIT_ADDRESS_PER_SECOND", "0", "LML_RATE_LIMIT_ADDRESS_PER_SECOND must be a positive number"),
        ("LML_RATE_LIMIT_PRINCIPAL_BURST", "0", "LML_RATE_LIMIT_PRINCIPAL_BURST must be a positive integer"),
    ],
)
def test_an_invalid_value_names_its_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({variable: value})

    assert message in str(error.value)


@pytest.mark.parametrize(("algorithm", "shortest"), [("HS256", 32), ("HS384", 48), ("HS512", 64)])
def test_the_jwt_secret_is_at_least_as_long_as_its_algorithms_hash(algorithm: str, shortest: int) -> None:
    # RFC 7518, section 3.2: a shorter HMAC key weakens the signature.
    assert Settings.from_env({"LML_JWT_ALGORITHM": algorithm, "LML_JWT_SECRET": "s" * shortest}).jwt_secret
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"LML_JWT_ALGORITHM": algorithm, "LML_JWT_SECRET": "s" * (shortest - 1)})
    assert f"LML_JWT_SECRET must be at least {shortest} characters for {algorithm}" in str(error.value)


def test_browser_origins_and_trusted_proxies_are_lists() -> None:
    settings = Settings.from_env({"LML_CORS_ORIGINS": "https://app.example.com, http://127.0.0.1:5173",
                                  "LML_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7,2001:db8::/32",
                                  "LML_FORWARDED_HEADER": "Forwarded"})

    assert settings.cors_origin_list == ("https://app.example.com", "http://127.0.0.1:5173")
    assert [str(n) for n in settings.trusted_proxy_networks] == ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"]
    assert settings.forwarded_header == "forwarded"
    assert Settings.from_env({}).cors_origin_list == () and Settings.from_env({}).trusted_proxy_networks == ()


def test_every_invalid_variable_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"LML_PORT": "abc", "LML_ENV": "staging", "LML_LOG_FORMAT": "xml"})

    assert {"LML_PORT", "LML_ENV", "LML_LOG_FORMAT"} <= set(str(error.value).replace(";", " ").split())


def test_a_bad_secret_is_named_without_echoing_it() -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"LML_JWT_SECRET": "hunter2"})

    assert "LML_JWT_SECRET" in str(error.value)
    assert "hunter2" not in str(error.value)


def test_pool_bounds_must_be_ordered() -> None:
    with pytest.raises(SettingsError, match="LML_DB_POOL_MIN must not exceed LML_DB_POOL_MAX"):
        Settings.from_env({"LML_DB_POOL_MIN": "5", "LML_DB_POOL_MAX": "2"})


def test_production_refuses_every_development_secret() -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"LML_ENV": "production"})

    for variable in ("LML_JWT_SECRET", "LML_STRIPE_SECRET_KEY", "LML_STRIPE_WEBHOOK_SECRET", "LML_TICKET_SIGNING_KEY",
                     "LML_IDEMPOTENCY_SECRET"):
        assert f"{variable} must be set in production" in str(error.value)


EVERYWHERE = "0.0.0.0"  # noqa: S104 - listening on every interface is what these tests are about
# What a development install has to set before it listens beyond loopback (ops/run generates them).
INBOUND_SECRETS = {
    "LML_JWT_SECRET": "a-generated-secret-that-is-long-enough-0123",
    "LML_TICKET_SIGNING_KEY": "a-generated-ticket-key-that-is-long-0123",
    "LML_STRIPE_WEBHOOK_SECRET": "a-generated-webhook-secret-0123456789",
    "LML_IDEMPOTENCY_SECRET": "a-generated-idempotency-secret-0123456",
}


@pytest.mark.parametrize("host", [EVERYWHERE, "::", "192.168.1.20", "api.example.com", "localhost.evil.com"])
def test_listening_beyond_loopback_refuses_the_public_development_secrets_in_any_env(host: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"LML_HOST": host})

    message = str(error.value)
    for variable in INBOUND_SECRETS:
        assert variable in message
    assert "loopback" in message and host in message


@pytest.mark.parametrize("variable", sorted(INBOUND_SECRETS))
def test_one_public_secret_left_is_named_alone(variable: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({**INBOUND_SECRETS, variable: "", "LML_HOST": EVERYWHERE})

    assert [name for name in INBOUND_SECRETS if name in str(error.value)] == [variable]


def test_listening_beyond_loopback_with_set_secrets_is_fine_and_may_keep_the_local_stripe_key() -> None:
    settings = Settings.from_env({**INBOUND_SECRETS, "LML_HOST": EVERYWHERE})

    assert settings.host == EVERYWHERE and settings.stripe_secret_key == Settings().stripe_secret_key


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LocalHost"])
def test_loopback_addresses_may_use_the_development_secrets(host: str) -> None:
    assert Settings.from_env({"LML_HOST": host}).jwt_secret == DEV_JWT_SECRET


def test_the_idempotency_secret_is_at_least_32_characters() -> None:
    with pytest.raises(SettingsError, match="LML_IDEMPOTENCY_SECRET must be at least 32 characters"):
        Settings.from_env({"LML_IDEMPOTENCY_SECRET": "short"})


def test_production_with_real_secrets_logs_json_by_default() -> None:
    settings = Settings.from_env(PRODUCTION_SECRETS)

    assert settings.is_production
    assert settings.log_format == "json"
    assert Settings.from_env({**PRODUCTION_SECRETS, "LML_LOG_FORMAT": "console"}).log_format == "console"


def test_production_talks_to_the_real_stripe_unless_told_otherwise() -> None:
    assert Settings.from_env(PRODUCTION_SECRETS).stripe_api_base == "https://api.stripe.com"
    assert Settings.from_env({}).stripe_api_base == "http://127.0.0.1:8420"
    base = Settings.from_env({**PRODUCTION_SECRETS, "LML_STRIPE_API_BASE": "https://stripe.internal"}).stripe_api_base
    assert base == "https://stripe.internal"


def test_cli_prints_the_settings_error_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LML_PORT", "abc")

    with pytest.raises(SystemExit) as exit_:
        main(["migrate", "--status"])

    assert exit_.value.code == 2
    assert "LML_PORT must be an integer" in capsys.readouterr().err


def test_the_installed_lml_command_exits_2_on_invalid_settings() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LML_")} | {"LML_ENV": "staging"}

    done = subprocess.run(
        [str(Path(sys.executable).parent / "lml"), "migrate", "--status"],
        env=env, capture_output=True, text=True, timeout=30, check=False,
    )

    assert done.returncode == 2
    assert "LML_ENV must be one of development, production" in done.stderr
    assert "Traceback" not in done.stderr


def test_every_field_round_trips_through_its_variable() -> None:
    """What `lml serve` / `lml worker` subprocesses of the tests rely on: str(value) reads back the same."""
    settings = Settings.from_env(PRODUCTION_SECRETS)
    environ = {f"LML_{name.upper()}": str(getattr(settings, name)) for name in Settings.__struct_fields__}

    assert Settings.from_env(environ) == settings

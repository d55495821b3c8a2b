"""The ticket signing key: a development default that production refuses, and never a short one."""

from __future__ import annotations

import pytest

from lml.config import DEV_TICKET_SIGNING_KEY, Settings, SettingsError

PRODUCTION = {"LML_ENV": "production", "LML_JWT_SECRET": "j" * 40, "LML_STRIPE_SECRET_KEY": "sk_live_x",
              "LML_STRIPE_WEBHOOK_SECRET": "whsec_live_x", "LML_IDEMPOTENCY_SECRET": "i" * 40}


def test_production_refuses_the_public_development_key() -> None:
    with pytest.raises(SettingsError, match="LML_TICKET_SIGNING_KEY must be set in production"):
        Settings.from_env(PRODUCTION)


def test_production_takes_its_own_key() -> None:
    settings = Settings.from_env({**PRODUCTION, "LML_TICKET_SIGNING_KEY": "t" * 48})
    assert settings.ticket_signing_key == "t" * 48


def test_a_short_key_is_refused_anywhere() -> None:
    with pytest.raises(SettingsError, match="LML_TICKET_SIGNING_KEY must be at least 32 characters"):
        Settings.from_env({"LML_TICKET_SIGNING_KEY": "short"})


def test_development_signs_with_the_default() -> None:
    assert Settings.from_env({}).ticket_signing_key == DEV_TICKET_SIGNING_KEY

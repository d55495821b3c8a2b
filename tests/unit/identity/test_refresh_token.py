from datetime import UTC, datetime, timedelta

from lml.identity.domain.refresh_token import RefreshToken, digest

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def token(**changes: object) -> RefreshToken:
    fields: dict[str, object] = {"token_hash": digest("t"), "family_id": "f", "user_id": "u",
                                 "issued_at": NOW, "expires_at": NOW + timedelta(days=7)}
    return RefreshToken(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_fresh_token_is_active_until_it_expires() -> None:
    assert token().state(NOW) == "active"
    assert token().state(NOW + timedelta(days=7)) == "expired"


def test_a_used_token_is_used_and_revocation_wins_over_use() -> None:
    assert token(used_at=NOW).state(NOW) == "used"
    assert token(used_at=NOW, revoked_at=NOW).state(NOW) == "revoked"


def test_the_digest_is_sha256_hex_and_differs_per_token() -> None:
    assert len(digest("a")) == 64
    assert digest("a") != digest("b")

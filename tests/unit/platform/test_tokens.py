import time
from datetime import UTC, datetime, timedelta

import jwt
import msgspec
import pytest

from lml.config import Settings
from lml.platform.domain.principal import Principal
from lml.platform.session_revocation import RevokedSessions
from lml.platform.tokens import InvalidToken, TokenCodec

BUYER = Principal("buyer-1", "guest", frozenset({"buyer"}), "ada@example.com", "Ada Lovelace")


def test_a_token_carries_the_buyer_and_verifies_the_same_twice() -> None:
    codec = TokenCodec(Settings())
    token = codec.issue(BUYER, datetime.now(UTC))

    verified = codec.verify(token)
    assert msgspec.structs.replace(verified, session_id=None) == BUYER
    assert codec.verify(token) == verified  # the second answer comes from the cache of verified tokens


def test_a_verified_email_and_a_phone_travel_with_the_token_and_nothing_claims_them_by_default() -> None:
    codec = TokenCodec(Settings())
    recovered = msgspec.structs.replace(BUYER, email_verified=True, phone="+14155550100")

    verified = codec.verify(codec.issue(recovered, datetime.now(UTC)))
    assert msgspec.structs.replace(verified, session_id=None) == recovered
    assert not codec.verify(codec.issue(BUYER, datetime.now(UTC))).email_verified


def test_a_users_token_names_its_session_and_a_guests_token_is_its_own_session() -> None:
    codec = TokenCodec(Settings())
    user = Principal("user-1", "user", frozenset({"buyer"}), session_id="family-1")
    first, second = codec.issue(BUYER, datetime.now(UTC)), codec.issue(BUYER, datetime.now(UTC))

    assert codec.verify(codec.issue(user, datetime.now(UTC))).session_id == "family-1"
    assert jwt.decode(first, options={"verify_signature": False})["jti"] == codec.verify(first).session_id
    assert codec.verify(first).session_id != codec.verify(second).session_id


def test_a_token_of_a_revoked_session_is_refused_though_it_was_verified_before() -> None:
    codec = TokenCodec(Settings())
    now = datetime.now(UTC)
    ended = codec.issue(Principal("user-1", "user", frozenset({"buyer"}), session_id="family-1"), now)
    going_on = codec.issue(Principal("user-1", "user", frozenset({"buyer"}), session_id="family-2"), now)
    codec.verify(ended)

    codec.revoked.add("family-1", time.time() + 60)

    with pytest.raises(InvalidToken, match="session has ended"):
        codec.verify(ended)
    assert codec.verify(going_on).session_id == "family-2"


def test_a_revocation_is_forgotten_once_no_token_of_its_session_can_be_valid() -> None:
    clock = FakeTime(1000.0)
    revoked = RevokedSessions(clock)
    revoked.add("family-1", until=1060.0)
    revoked.add("family-1", until=1030.0)  # an earlier bound never shortens a later one

    assert "family-1" in revoked and "family-2" not in revoked and None not in revoked
    clock.now = 1059.9
    revoked.forget_expired()
    assert "family-1" in revoked
    clock.now = 1060.0
    assert "family-1" not in revoked
    revoked.forget_expired()
    assert len(revoked) == 0


class FakeTime:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_an_expired_token_is_refused() -> None:
    codec = TokenCodec(Settings())
    token = codec.issue(BUYER, datetime.now(UTC) - timedelta(seconds=100), seconds=90)

    with pytest.raises(InvalidToken):
        codec.verify(token)


def test_a_token_signed_with_another_secret_is_refused_even_by_a_codec_that_verified_others() -> None:
    codec = TokenCodec(Settings())
    codec.verify(codec.issue(BUYER, datetime.now(UTC)))
    stranger = TokenCodec(msgspec.structs.replace(Settings(), jwt_secret="another-secret-of-at-least-32-characters"))

    with pytest.raises(InvalidToken):
        codec.verify(stranger.issue(BUYER, datetime.now(UTC)))

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from lml.config import Settings
from lml.platform.tokens import InvalidToken, Principal, TokenCodec

BUYER = Principal("buyer-1", "guest", frozenset({"buyer"}), "ada@example.com", "Ada Lovelace")


def test_a_token_carries_the_buyer_and_verifies_the_same_twice() -> None:
    codec = TokenCodec(Settings())
    token = codec.issue(BUYER, datetime.now(UTC))

    assert codec.verify(token) == BUYER
    assert codec.verify(token) == BUYER  # the second answer comes from the cache of verified tokens


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

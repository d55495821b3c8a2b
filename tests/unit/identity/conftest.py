"""Use cases wired to the in-memory fakes, a fixed clock and a real token codec."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lml.config import Settings
from lml.identity.application.sessions import SessionIssuer
from lml.identity.application.testing import FakeHasher, InMemoryIdentityStore
from lml.platform.tokens import TokenCodec
from tests.timing import TestClock


@pytest.fixture
def store() -> InMemoryIdentityStore:
    return InMemoryIdentityStore()


@pytest.fixture
def hasher() -> FakeHasher:
    return FakeHasher()


@pytest.fixture
def clock() -> TestClock:
    return TestClock(start=datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def codec() -> TokenCodec:
    return TokenCodec(Settings())


@pytest.fixture
def sessions(codec: TokenCodec, clock: TestClock) -> SessionIssuer:
    return SessionIssuer(codec, clock, refresh_seconds=7 * 24 * 3600)

"""PasswordHasher with argon2id (argon2-cffi), run in worker threads: a hash takes ~0.2-0.4 s of CPU."""

from __future__ import annotations

import asyncio

import argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    """argon2-cffi's defaults are RFC 9106's "low memory" profile: argon2id, t=3, m=64 MiB, p=4.
    Tests that only need users to exist may pass cheaper `parameters`; `verify` reads the parameters
    from each hash, so one hasher checks hashes made with any of them."""

    def __init__(self, parameters: argon2.Parameters | None = None) -> None:
        self._hasher = (
            argon2.PasswordHasher.from_parameters(parameters) if parameters else argon2.PasswordHasher()
        )
        self._decoy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    async def verify_nothing(self, password: str) -> None:
        if self._decoy is None:
            self._decoy = await self.hash("a decoy that no password matches")
        await self.verify(self._decoy, password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def fast_parameters() -> argon2.Parameters:
    """Argon2id at its cheapest (about a millisecond): for test fixtures, never for real accounts."""
    return argon2.Parameters(type=argon2.Type.ID, version=19, salt_len=16, hash_len=32,
                             time_cost=1, memory_cost=8, parallelism=1)

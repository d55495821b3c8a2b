"""The argon2id adapter: real hashing, parameters read from each hash, and decoy verification."""

from __future__ import annotations

import statistics
import time

from lml.identity.infrastructure.argon2_hasher import Argon2Hasher, fast_parameters

PASSWORD = "correct horse battery"


async def test_a_hash_is_argon2id_and_verifies_only_its_password() -> None:
    hasher = Argon2Hasher(fast_parameters())
    digest = await hasher.hash(PASSWORD)
    assert digest.startswith("$argon2id$") and PASSWORD not in digest
    assert await hasher.verify(digest, PASSWORD)
    assert not await hasher.verify(digest, "wrong horse battery")
    assert not await hasher.verify("not a hash", PASSWORD)


async def test_production_parameters_verify_cheap_hashes_and_ask_to_upgrade_them() -> None:
    cheap = await Argon2Hasher(fast_parameters()).hash(PASSWORD)
    production = Argon2Hasher()
    assert await production.verify(cheap, PASSWORD)
    assert production.needs_rehash(cheap)
    assert not production.needs_rehash(await production.hash(PASSWORD))
    assert production.needs_rehash("garbage")


async def test_an_unknown_account_costs_about_as_long_as_a_wrong_password() -> None:
    hasher = Argon2Hasher()
    digest = await hasher.hash(PASSWORD)
    await hasher.verify_nothing("warm up the decoy")

    async def timed(call: object) -> float:
        started = time.perf_counter()
        await call  # type: ignore[misc]
        return time.perf_counter() - started

    wrong = statistics.median([await timed(hasher.verify(digest, "wrong password")) for _ in range(3)])
    unknown = statistics.median([await timed(hasher.verify_nothing("wrong password")) for _ in range(3)])
    print(f"wrong password {wrong * 1000:.0f} ms, unknown account {unknown * 1000:.0f} ms")
    # Without the decoy the ratio would be near 0; the margin absorbs a busy machine.
    assert 0.25 < unknown / wrong < 4

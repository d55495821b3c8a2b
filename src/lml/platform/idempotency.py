"""Idempotency records in Redis: the first response to a key is kept for 24 hours and replayed.

A response kept may carry secrets (a hold token, a PaymentIntent's client secret), so Redis alone
must yield nothing usable. Each record's name is an HMAC of its scope (caller and Idempotency-Key),
and its response is sealed with AES-GCM under a key derived (HKDF) from the server's secret and that
scope, bound to the request it answers. Changing LML_IDEMPOTENCY_SECRET forgets every record: a
retry then runs afresh."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Literal

import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from lml.platform.redis import LuaScript, RedisClient

Outcome = Literal["proceed", "replay", "mismatch", "in_flight"]
_NONCE_BYTES = 12


class StoredResponse(msgspec.Struct, frozen=True, array_like=True):
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Begin(msgspec.Struct, frozen=True):
    outcome: Outcome
    response: StoredResponse | None = None
    retry_after: int = 1


@dataclass(frozen=True, slots=True)
class _Record:
    """One scope's record: where it lives, and what seals it."""

    key: str
    cipher: AESGCM
    fingerprint_key: bytes

    def fingerprint(self, digest: str) -> str:
        return hmac.new(self.fingerprint_key, digest.encode(), hashlib.sha256).hexdigest()


class IdempotencyStore:
    def __init__(
        self, redis: RedisClient, key_prefix: str, secret: str, *, ttl_seconds: int = 86_400,
        lock_seconds: int = 60,
    ) -> None:
        self._prefix = f"{key_prefix}:idempotency:"
        # HKDF's extract step, done once: every record's keys are expanded from it.
        self._root = hmac.new(b"lml idempotency", secret.encode(), hashlib.sha256).digest()
        self._names = self._expand(b"record names", 32)
        self._ttl_ms = ttl_seconds * 1000
        # A request that crashed mid-way frees its key after this long, so a retry can go on.
        self._lock_ms = lock_seconds * 1000
        self._begin = LuaScript(redis, "lml.platform", "idempotency_begin.lua")
        self._finish = LuaScript(redis, "lml.platform", "idempotency_finish.lua")

    def _expand(self, info: bytes, length: int) -> bytes:
        return HKDFExpand(hashes.SHA256(), length, info).derive(self._root)

    def _record(self, scope: str) -> _Record:
        name = hmac.new(self._names, scope.encode(), hashlib.sha256).hexdigest()
        keys = self._expand(b"record keys\0" + scope.encode(), 64)
        return _Record(self._prefix + name, AESGCM(keys[:32]), keys[32:])

    async def begin(self, scope: str, digest: str) -> Begin:
        """`digest` names what was asked (a hash of method, path and body): the same key with another
        request is a mismatch."""
        record = self._record(scope)
        fingerprint = record.fingerprint(digest)
        reply = await self._begin([record.key], [fingerprint, self._lock_ms])
        outcome = reply[0].decode()
        if outcome == "replay":
            return Begin("replay", _open(record, fingerprint, bytes(reply[1])))
        if outcome == "in_flight":
            return Begin("in_flight", retry_after=max(1, -(-int(reply[1]) // 1000)))
        return Begin(outcome)

    async def store(self, scope: str, digest: str, response: StoredResponse) -> None:
        record = self._record(scope)
        fingerprint = record.fingerprint(digest)
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + record.cipher.encrypt(nonce, msgspec.msgpack.encode(response), fingerprint.encode())
        await self._finish([record.key], [fingerprint, "store", self._ttl_ms, sealed])

    async def abandon(self, scope: str, digest: str) -> None:
        record = self._record(scope)
        await self._finish([record.key], [record.fingerprint(digest), "abandon", 0, b""])


def _open(record: _Record, fingerprint: str, sealed: bytes) -> StoredResponse:
    # Only a record altered in Redis fails to open (cryptography's InvalidTag): a 500, as it should be.
    plain = record.cipher.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], fingerprint.encode())
    return msgspec.msgpack.decode(plain, type=StoredResponse)

"""Verifying a JWT signed with a shared secret (HS256, HS384 or HS512), at the cost of a hash.

Buyers in a storm are mostly seen for the first time, so every one of their first requests verifies
a token. PyJWT's general path costs about 100 µs for it (each segment's alphabet checked character by
character in Python, the key prepared again on every call); the checks it makes for our tokens are
these, made here with the standard library's C code:

- three base64url segments, in the canonical encoding (the alphabet, at most two `=`, no stray bits);
- a header that is a JSON object naming exactly our algorithm (no `none`, no other), a string `kid`
  if any, a `crit` naming only `b64` (and no detached payload: `b64` false is refused);
- the signature, compared in constant time;
- the claims: every required one present (not null), `iat` and `nbf` not in the future and `exp` not
  past (integers, each with the leeway), `iss` the issuer, `aud` the audience (or a list holding it),
  `sub` and `jti` strings when present.

JSON is read by msgspec (UTF-8 only). Issuing stays with PyJWT, which the tests hold this to."""

from __future__ import annotations

import binascii
import hmac
import time
from typing import Any

import msgspec

HASH_OF_ALGORITHM = {"HS256": "sha256", "HS384": "sha384", "HS512": "sha512"}
_CANONICAL_PADDING = (b"", b"", b"==", b"=")  # by the unpadded length modulo 4 (1 is never valid)
# base64url to base64, with `+` and `/` (not base64url) made characters the strict decoder refuses.
_FROM_URLSAFE = bytes.maketrans(b"-_+/", b"+/!!")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_JSON = msgspec.json.Decoder()


class TokenRefused(Exception):
    """The token is malformed, not signed by us, or its claims do not hold."""


class HmacJwtVerifier:
    def __init__(self, secret: str, algorithm: str, *, issuer: str, audience: str, required: tuple[str, ...],
                 leeway_seconds: float) -> None:
        self._key = secret.encode()
        self._algorithm = algorithm
        self._hash = HASH_OF_ALGORITHM[algorithm]
        self._issuer = issuer
        self._audience = audience
        self._required = required
        self._leeway = leeway_seconds

    def claims(self, token: str) -> dict[str, Any]:
        """The token's claims, once every check holds; TokenRefused otherwise."""
        try:
            raw = token.encode()
        except UnicodeEncodeError:
            raise TokenRefused("not a token") from None
        signing_input, _, signature_part = raw.rpartition(b".")
        header_part, dot, payload_part = signing_input.partition(b".")
        if not dot:
            raise TokenRefused("not enough segments")
        header = _json_object(_segment(header_part))
        self._check_header(header)
        payload = _segment(payload_part)
        signature = _segment(signature_part)
        expected = hmac.digest(self._key, signing_input, self._hash)
        if not hmac.compare_digest(signature, expected):
            raise TokenRefused("signature verification failed")
        claims = _json_object(payload)
        self._check_claims(claims)
        return claims

    def _check_header(self, header: dict[str, Any]) -> None:
        if header.get("alg") != self._algorithm:
            raise TokenRefused("the algorithm is not allowed")
        if "kid" in header and not isinstance(header["kid"], str):
            raise TokenRefused("the key id is not a string")
        if "crit" in header:
            crit = header["crit"]
            if not isinstance(crit, list) or not crit or any(ext != "b64" or ext not in header for ext in crit):
                raise TokenRefused("an unsupported critical extension")
        if header.get("b64", True) is False:
            raise TokenRefused("a detached payload")

    def _check_claims(self, claims: dict[str, Any]) -> None:
        for name in self._required:
            if claims.get(name) is None:
                raise TokenRefused(f"the claim {name} is missing")
        now = time.time()
        if "iat" in claims and _integer(claims["iat"]) > now + self._leeway:
            raise TokenRefused("the token is not yet valid (iat)")
        if "nbf" in claims and _integer(claims["nbf"]) > now + self._leeway:
            raise TokenRefused("the token is not yet valid (nbf)")
        if "exp" in claims and _integer(claims["exp"]) <= now - self._leeway:
            raise TokenRefused("the token has expired")
        if claims.get("iss") != self._issuer:
            raise TokenRefused("another issuer")
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if (not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences)
                or self._audience not in audiences):
            raise TokenRefused("another audience")
        for name in ("sub", "jti"):
            if name in claims and not isinstance(claims[name], str):
                raise TokenRefused(f"the claim {name} is not a string")


def _segment(part: bytes) -> bytes:
    """A base64url segment's bytes; refused unless it is the canonical encoding of them (trailing `=`
    tolerated where they would be)."""
    stripped = part.rstrip(b"=")
    padding = len(part) - len(stripped)
    if padding > 2 or (padding and len(part) % 4) or len(stripped) % 4 == 1:
        raise TokenRefused("a segment is not base64url")
    try:
        # strict_mode: any character outside the alphabet is refused, not skipped.
        decoded = binascii.a2b_base64(stripped.translate(_FROM_URLSAFE) + _CANONICAL_PADDING[len(stripped) % 4],
                                      strict_mode=True)
    except binascii.Error:
        raise TokenRefused("a segment is not base64url") from None
    if binascii.b2a_base64(decoded, newline=False).rstrip(b"=").translate(_TO_URLSAFE) != stripped:
        raise TokenRefused("a segment is not base64url")  # bits set past the last byte
    return decoded


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = _JSON.decode(data)
    except msgspec.DecodeError:
        raise TokenRefused("a segment is not JSON") from None
    if not isinstance(value, dict):
        raise TokenRefused("a segment is not a JSON object")
    return value


def _integer(value: Any) -> int:
    """A time claim as PyJWT reads it (`int()` of it)."""
    try:
        return int(value)
    except (ValueError, TypeError, OverflowError):
        raise TokenRefused("a time claim is not an integer") from None

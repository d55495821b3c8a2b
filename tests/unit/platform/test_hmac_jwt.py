"""The verifier accepts and refuses exactly what PyJWT (the reference, as the codec called it before)
accepts and refuses, with the same claims."""

import base64
import hmac
import json
import time
from typing import Any

import jwt
import pytest

from lml.platform.hmac_jwt import HASH_OF_ALGORITHM, HmacJwtVerifier, TokenRefused

SECRET = "a-shared-secret-of-at-least-sixty-four-characters-for-every-hs-algorithm"
ISSUER, AUDIENCE, LEEWAY = "lml", "lml-api", 5
REQUIRED = ("exp", "iat", "sub", "iss", "aud")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(value: object) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


def _signed(header: object, claims: object, algorithm: str = "HS256", secret: str = SECRET) -> str:
    """A token signed by hand, whatever its header and claims say."""
    signing_input = f"{_b64(_json(header))}.{_b64(_json(claims))}"
    signature = hmac.new(secret.encode(), signing_input.encode(), HASH_OF_ALGORITHM.get(algorithm, "sha256")).digest()
    return f"{signing_input}.{_b64(signature)}"


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {"iss": ISSUER, "aud": AUDIENCE, "sub": "buyer-1", "iat": now, "nbf": now,
                              "exp": now + 600, "jti": "j-1", "kind": "guest", "scope": "buyer"}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not _DROP}


_DROP = object()
HEADER = {"alg": "HS256", "typ": "JWT"}


def _with_segment(token: str, index: int, segment: str) -> str:
    parts = token.split(".")
    parts[index] = segment
    return ".".join(parts)


def _stray_bits(token: str) -> str:
    """The signature's last character with bits past the last byte set: the same bytes, not canonical."""
    signature = token.rsplit(".", 1)[1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(signature[-1])
    return token[:-1] + alphabet[last | 1 if last % 2 == 0 else last & ~1]


def _cases() -> dict[str, tuple[str, str]]:
    """Name -> (token, the codec's algorithm), made when the test runs: times are relative to now."""
    good = _signed(HEADER, _claims())
    detached = {**HEADER, "crit": ["b64"], "b64": False}
    return {
        "ours": (good, "HS256"),
        "ours HS384": (_signed({"alg": "HS384", "typ": "JWT"}, _claims(), "HS384"), "HS384"),
        "ours HS512": (_signed({"alg": "HS512", "typ": "JWT"}, _claims(), "HS512"), "HS512"),
        "issued by PyJWT": (jwt.encode(_claims(), SECRET, algorithm="HS256"), "HS256"),
        "tampered signature": (good[:-2] + ("AA" if good[-2:] != "AA" else "BA"), "HS256"),
        "tampered claims": (_with_segment(good, 1, _b64(_json(_claims(sub="buyer-2")))), "HS256"),
        "another secret": (_signed(HEADER, _claims(), secret=SECRET + "x"), "HS256"),
        "another HS algorithm": (_signed({"alg": "HS512"}, _claims(), "HS512"), "HS256"),
        "alg none": (_with_segment(_signed({"alg": "none"}, _claims()), 2, ""), "HS256"),
        "alg none signed": (_signed({"alg": "none"}, _claims()), "HS256"),
        "alg lower case": (_signed({"alg": "hs256"}, _claims()), "HS256"),
        "alg missing": (_signed({"typ": "JWT"}, _claims()), "HS256"),
        "alg RS256": (_signed({"alg": "RS256"}, _claims()), "HS256"),
        "expired": (_signed(HEADER, _claims(exp=int(time.time()) - 60)), "HS256"),
        "expired within the leeway": (_signed(HEADER, _claims(exp=int(time.time()) - 2)), "HS256"),
        "not before, in the future": (_signed(HEADER, _claims(nbf=int(time.time()) + 60)), "HS256"),
        "not before, within the leeway": (_signed(HEADER, _claims(nbf=int(time.time()) + 2)), "HS256"),
        "issued in the future": (_signed(HEADER, _claims(iat=int(time.time()) + 60)), "HS256"),
        "exp as a string of digits": (_signed(HEADER, _claims(exp=str(int(time.time()) + 600))), "HS256"),
        "exp as a float": (_signed(HEADER, _claims(exp=time.time() + 600)), "HS256"),
        "exp as words": (_signed(HEADER, _claims(exp="soon")), "HS256"),
        "iat as a list": (_signed(HEADER, _claims(iat=[1])), "HS256"),
        "nbf as an object": (_signed(HEADER, _claims(nbf={})), "HS256"),
        "exp null": (_signed(HEADER, _claims(exp=None)), "HS256"),
        "no exp": (_signed(HEADER, _claims(exp=_DROP)), "HS256"),
        "no iat": (_signed(HEADER, _claims(iat=_DROP)), "HS256"),
        "no nbf": (_signed(HEADER, _claims(nbf=_DROP)), "HS256"),
        "no sub": (_signed(HEADER, _claims(sub=_DROP)), "HS256"),
        "no iss": (_signed(HEADER, _claims(iss=_DROP)), "HS256"),
        "no aud": (_signed(HEADER, _claims(aud=_DROP)), "HS256"),
        "another audience": (_signed(HEADER, _claims(aud="elsewhere")), "HS256"),
        "audiences holding ours": (_signed(HEADER, _claims(aud=["elsewhere", AUDIENCE])), "HS256"),
        "audiences without ours": (_signed(HEADER, _claims(aud=["elsewhere"])), "HS256"),
        "no audiences": (_signed(HEADER, _claims(aud=[])), "HS256"),
        "an audience not a string": (_signed(HEADER, _claims(aud=[AUDIENCE, 3])), "HS256"),
        "audience a number": (_signed(HEADER, _claims(aud=7)), "HS256"),
        "another issuer": (_signed(HEADER, _claims(iss="someone")), "HS256"),
        "issuer a list": (_signed(HEADER, _claims(iss=[ISSUER])), "HS256"),
        "sub a number": (_signed(HEADER, _claims(sub=12)), "HS256"),
        "jti a number": (_signed(HEADER, _claims(jti=12)), "HS256"),
        "no jti": (_signed(HEADER, _claims(jti=_DROP)), "HS256"),
        "claims an array": (_signed(HEADER, [1, 2]), "HS256"),
        "claims not JSON": (_signed(HEADER, b"{nope"), "HS256"),
        "header an array": (_signed(["HS256"], _claims()), "HS256"),
        "header not JSON": (_signed(b"alg", _claims()), "HS256"),
        "header with a kid": (_signed({**HEADER, "kid": "k1"}, _claims()), "HS256"),
        "header with a numeric kid": (_signed({**HEADER, "kid": 1}, _claims()), "HS256"),
        "header with cty and more": (_signed({**HEADER, "cty": "JWT", "x-extra": [1]}, _claims()), "HS256"),
        "crit b64 with b64 true": (_signed({**HEADER, "crit": ["b64"], "b64": True}, _claims()), "HS256"),
        "crit b64 without b64": (_signed({**HEADER, "crit": ["b64"]}, _claims()), "HS256"),
        "crit unknown": (_signed({**HEADER, "crit": ["exp"], "exp": 1}, _claims()), "HS256"),
        "crit empty": (_signed({**HEADER, "crit": []}, _claims()), "HS256"),
        "crit a string": (_signed({**HEADER, "crit": "b64", "b64": True}, _claims()), "HS256"),
        "b64 false": (_signed(detached, _claims()), "HS256"),
        "b64 false, empty payload": (_with_segment(_signed(detached, _claims()), 1, ""), "HS256"),
        "two segments": (good.rsplit(".", 1)[0], "HS256"),
        "four segments": (good + ".AAAA", "HS256"),
        "one segment": ("abc", "HS256"),
        "empty": ("", "HS256"),
        "a character outside base64url": (good[:10] + "!" + good[11:], "HS256"),
        "standard base64's +": (good[:10] + "+" + good[11:], "HS256"),
        "standard base64's /": (good[:10] + "/" + good[11:], "HS256"),
        "whitespace inside": (good[:10] + " " + good[10:], "HS256"),
        "signature padded": (good + "=" * (-len(good.rsplit(".", 1)[1]) % 4), "HS256"),
        "signature over-padded": (good + "===", "HS256"),
        "signature with stray bits": (_stray_bits(good), "HS256"),
        "signature one character long": (_with_segment(good, 2, "A"), "HS256"),
        "not ASCII": (good[:10] + "é" + good[11:], "HS256"),
    }


def _pyjwt(token: str, algorithm: str) -> dict[str, Any] | None:
    try:
        return jwt.decode(token, SECRET, algorithms=[algorithm], audience=AUDIENCE, issuer=ISSUER,
                          options={"require": list(REQUIRED)}, leeway=LEEWAY)
    except jwt.PyJWTError:
        return None


def _ours(token: str, algorithm: str) -> dict[str, Any] | None:
    verifier = HmacJwtVerifier(SECRET, algorithm, issuer=ISSUER, audience=AUDIENCE, required=REQUIRED,
                               leeway_seconds=LEEWAY)
    try:
        return verifier.claims(token)
    except TokenRefused:
        return None


@pytest.mark.parametrize("name", list(_cases()))
def test_a_token_is_accepted_or_refused_as_pyjwt_does(name: str) -> None:
    token, algorithm = _cases()[name]
    assert _ours(token, algorithm) == _pyjwt(token, algorithm)


def test_the_cases_hold_both_answers() -> None:
    """The comparison above is no proof if every case is refused (or accepted) by both."""
    accepted = {name for name, (token, algorithm) in _cases().items() if _pyjwt(token, algorithm) is not None}
    assert {"ours", "ours HS384", "ours HS512", "issued by PyJWT", "expired within the leeway",
            "audiences holding ours", "header with a kid", "crit b64 with b64 true", "signature padded"} <= accepted
    assert {"tampered signature", "alg none", "another HS algorithm", "expired", "signature with stray bits",
            "standard base64's +", "b64 false"}.isdisjoint(accepted)

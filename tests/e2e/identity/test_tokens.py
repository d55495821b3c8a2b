"""The token route and what /v1/me accepts as an access token."""

from __future__ import annotations

import statistics
import time
import warnings
from datetime import UTC, datetime, timedelta

import jwt
import msgspec
import pytest

from lml.config import Settings
from lml.platform.domain.principal import Principal
from lml.platform.tokens import TokenCodec
from tests.e2e.identity.api import Client, me, password_grant, problem, refresh_grant, register
from tests.fixtures.identity import MakeUser, TestUser

FORM = {"content-type": "application/x-www-form-urlencoded"}


async def test_a_wrong_password_and_an_unknown_email_get_the_same_401(client: Client) -> None:
    await register(client, "ada@example.com")
    wrong = problem(await password_grant(client, "ada@example.com", "not the password"), 401)
    unknown = problem(await password_grant(client, "nobody@example.com", "not the password"), 401)
    for body in (wrong, unknown):
        del body["request_id"]
    assert wrong == unknown
    assert wrong["type"].endswith("/invalid-credentials")


async def test_failed_logins_take_about_as_long_whether_or_not_the_email_exists(client: Client) -> None:
    await register(client, "ada@example.com")

    async def duration(email: str) -> float:
        started = time.perf_counter()
        assert (await password_grant(client, email, "not the password")).status_code == 401
        return time.perf_counter() - started

    known = statistics.median([await duration("ada@example.com") for _ in range(3)])
    unknown = statistics.median([await duration(f"nobody{i}@example.com") for i in range(3)])
    print(f"failed login: known email {known * 1000:.0f} ms, unknown email {unknown * 1000:.0f} ms")
    # Without the decoy an unknown email would answer ~100 times faster; the margin absorbs a busy machine.
    assert 0.25 < unknown / known < 4


async def test_oauth_clients_may_post_a_form_with_username(client: Client, make_user: MakeUser) -> None:
    user = await make_user()
    body = f"grant_type=password&username={user.email}&password={user.password.replace(' ', '+')}"
    response = await client.post("/v1/auth/token", content=body.encode(), headers=FORM)
    assert response.status_code == 200, response.text
    refresh = response.json()["refresh_token"]
    rotated = await client.post("/v1/auth/token", content=f"grant_type=refresh_token&refresh_token={refresh}".encode(),
                                headers=FORM)
    assert rotated.status_code == 200, rotated.text


async def test_made_up_and_expired_refresh_tokens_are_401(client: Client, make_user: MakeUser) -> None:
    await make_user()
    assert problem(await refresh_grant(client, "made-up"), 401)["type"].endswith("/invalid-refresh-token")
    assert problem(await refresh_grant(client, ""), 401)


def forged_tokens(settings: Settings, user: TestUser) -> dict[str, str]:
    now = datetime.now(UTC)
    principal = Principal(subject=user.user_id, kind="user", scopes=frozenset({"buyer", "platform:admin"}))
    claims = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": user.user_id, "kind": "user",
              "scope": "buyer", "iat": int(now.timestamp()), "exp": int((now + timedelta(minutes=5)).timestamp())}
    codec = TokenCodec(settings)
    with warnings.catch_warnings():
        # The forger signs HS512 with our HS256 key, shorter than HS512 wants: PyJWT says so.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        other_algorithm = jwt.encode(claims, settings.jwt_secret, algorithm="HS512")
    return {
        "expired": codec.issue(principal, now - timedelta(minutes=20), seconds=60),
        "other secret": TokenCodec(msgspec.structs.replace(settings, jwt_secret="x" * 40)).issue(principal, now),
        "wrong audience": TokenCodec(msgspec.structs.replace(settings, jwt_audience="other-api")).issue(principal, now),
        "wrong issuer": TokenCodec(msgspec.structs.replace(settings, jwt_issuer="someone-else")).issue(principal, now),
        "alg none": jwt.encode(claims, None, algorithm="none"),
        "unexpected algorithm": other_algorithm,
        "tampered payload": _tampered(codec.issue(Principal(user.user_id, "user", frozenset({"buyer"})), now)),
        "not a jwt": "hello",
    }


def _tampered(token: str) -> str:
    header, _, signature = token.split(".")
    payload = jwt.utils.base64url_encode(b'{"sub":"someone","scope":"buyer platform:admin"}').decode()
    return f"{header}.{payload}.{signature}"


@pytest.mark.parametrize(
    "kind", ["expired", "other secret", "wrong audience", "wrong issuer", "alg none", "unexpected algorithm",
             "tampered payload", "not a jwt"],
)
async def test_a_bad_access_token_is_401(client: Client, settings: Settings, make_user: MakeUser, kind: str) -> None:
    user = await make_user()
    assert (await me(client, user.token)).status_code == 200
    response = await me(client, forged_tokens(settings, user)[kind])
    problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer"])
async def test_a_missing_or_malformed_authorization_header_is_401(client: Client, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    problem(await client.get("/v1/me", headers=headers), 401)


async def test_a_guest_token_is_not_enough_for_me(client: Client, settings: Settings) -> None:
    guest = TokenCodec(settings).issue(Principal("guest-123", "guest", frozenset({"buyer"})), datetime.now(UTC))
    problem(await me(client, guest), 403)


async def test_ten_failures_at_one_account_are_429_with_retry_after(client: Client, make_user: MakeUser) -> None:
    user = await make_user()
    for _ in range(10):
        problem(await password_grant(client, user.email, "wrong guess 123"), 401)
    throttled = await password_grant(client, user.email.upper(), user.password)
    problem(throttled, 429)
    assert int(throttled.headers["retry-after"]) >= 1
    # Another account from the same address is not affected.
    other = await make_user()
    assert (await password_grant(client, other.email, other.password)).status_code == 200


async def test_registrations_from_one_address_are_throttled(client: Client) -> None:
    statuses = [(await register(client, f"user{i}@example.com", password="short")).status_code for i in range(21)]
    assert statuses[:20] == [422] * 20
    problem(await register(client, "late@example.com"), 429)

"""Guest checkout: a short-lived buyer token for someone without an account (no password; the
email is where the tickets go). Every guest session owns its own holds and orders: a token for an
email never gives access to what another session with the same email holds or bought (a show's limit
of seats per buyer counts them together, by email: `lml.platform.domain.buyer_limit`)."""

from __future__ import annotations

import msgspec

from lml.identity.application.ports import AccessTokenCodec
from lml.identity.domain.rules import email_problem, name_problem, normalize_email, raise_if_any
from lml.platform.clock import Clock
from lml.platform.domain.principal import BUYER_SCOPE, Principal
from lml.platform.ids import new_id

# Long enough for a whole checkout (a guest's hold lives one show's hold time, at most an hour,
# then payment), since a guest has no refresh token: a new token is a new session.
GUEST_TOKEN_SECONDS = 2 * 3600


class GuestSession(msgspec.Struct, frozen=True, kw_only=True):
    access_token: str
    expires_in: int
    guest_id: str
    email: str
    name: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth 2 token type, not a secret


async def start_guest_session(*, tokens: AccessTokenCodec, clock: Clock, email: str, name: str) -> GuestSession:
    email, name = normalize_email(email), name.strip()
    raise_if_any([("/email", email_problem(email)), ("/name", name_problem(name))])
    principal = Principal(subject=new_id(), kind="guest", scopes=frozenset({BUYER_SCOPE}), email=email, name=name)
    token = tokens.issue(principal, clock.now(), GUEST_TOKEN_SECONDS)
    return GuestSession(access_token=token, expires_in=GUEST_TOKEN_SECONDS, guest_id=principal.subject,
                        email=email, name=name)

"""Guest checkout: a short-lived buyer token for someone without an account (no password; the
email is where the tickets go; an optional phone in E.164 where text messages go). Every guest session
owns its own holds and orders: a token for an email never gives access to what another session with
the same email holds or bought (a show's limit of seats per buyer counts them together, by email:
`lml.platform.domain.buyer_limit`), unless it came from a recovery link mailed to that email
(`redeem_guest_recovery`): such a session sees every guest order of the email."""

from __future__ import annotations

import msgspec

from lml.identity.application.ports import AccessTokenCodec
from lml.identity.domain.rules import (
    email_problem,
    name_problem,
    normalize_email,
    normalize_phone,
    phone_problem,
    raise_if_any,
)
from lml.platform.clock import Clock
from lml.platform.domain.errors import present
from lml.platform.domain.principal import BUYER_SCOPE, Principal
from lml.platform.domain.text import trim
from lml.platform.ids import new_id

# Long enough for a whole checkout (a guest's hold lives one show's hold time, at most an hour,
# then payment), since a guest has no refresh token: a new token is a new session.
GUEST_TOKEN_SECONDS = 2 * 3600


class GuestSession(msgspec.Struct, frozen=True, kw_only=True):
    """`email_verified`: the session came from a recovery link mailed to `email` (it then sees every
    order placed by guests with that email); `name` is None for such a session (no name was given)."""

    access_token: str
    expires_in: int
    guest_id: str
    email: str
    name: str | None
    token_type: str = "Bearer"  # noqa: S105 - the OAuth 2 token type, not a secret
    email_verified: bool = False
    phone: str | None = None


async def start_guest_session(
    *, tokens: AccessTokenCodec, clock: Clock, email: str, name: str, phone: str | None = None
) -> GuestSession:
    raise_if_any([("/email", email_problem(email)), ("/name", name_problem(name)),
                  ("/phone", phone_problem(phone) if phone is not None else None)])
    email, name = normalize_email(email), trim(name)
    phone = normalize_phone(phone) if phone is not None else None
    principal = Principal(subject=new_id(), kind="guest", scopes=frozenset({BUYER_SCOPE}), email=email, name=name,
                          phone=phone)
    return guest_session(tokens, clock, principal)


def guest_session(tokens: AccessTokenCodec, clock: Clock, principal: Principal) -> GuestSession:
    """A guest's token for `principal` (a guest with an email), and what the app is told of it."""
    email = present(principal.email, "a guest always has an email")
    token = tokens.issue(principal, clock.now(), GUEST_TOKEN_SECONDS)
    return GuestSession(access_token=token, expires_in=GUEST_TOKEN_SECONDS, guest_id=principal.subject,
                        email=email, name=principal.name, email_verified=principal.email_verified,
                        phone=principal.phone)

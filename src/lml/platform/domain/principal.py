"""Who is calling, as every context sees it: a registered user or a guest buyer, with the scopes
their access token grants. The scope names, and the one spelling of a buyer as the owner of holds
and orders, are defined here once."""

from __future__ import annotations

from typing import Literal

import msgspec

PrincipalKind = Literal["user", "guest"]

# What a buyer's token allows (users and guests have it), and what a platform admin's adds.
BUYER_SCOPE = "buyer"
PLATFORM_ADMIN_SCOPE = "platform:admin"


def owner_key(kind: str, subject: str) -> str:
    """The buyer a hold or an order belongs to: `user:<id>` or `guest:<session>`."""
    return f"{kind}:{subject}"


class Principal(msgspec.Struct, frozen=True):
    """`session_id` is what logging out ends: a user's refresh-token family (the token's `sid`), or
    for a token without one, a guest's, the token itself (its `jti`). `email_verified`: the caller
    proved they receive mail at `email` (a user at registration's login, a guest by a recovery link).
    `phone` (E.164) is where a guest asked for text messages."""

    subject: str
    kind: PrincipalKind
    scopes: frozenset[str]
    email: str | None = None
    name: str | None = None
    session_id: str | None = None
    email_verified: bool = False
    phone: str | None = None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def owner(self) -> str:
        return owner_key(self.kind, self.subject)

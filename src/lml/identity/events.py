"""Integration events published by identity (through the outbox, at least once)."""

from __future__ import annotations

from datetime import datetime

import msgspec


class UserRegistered(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    email: str
    name: str
    registered_at: datetime


class OrganizationCreated(msgspec.Struct, frozen=True, kw_only=True):
    org_id: str
    name: str
    created_at: datetime


class MembershipGranted(msgspec.Struct, frozen=True, kw_only=True):
    """A user became a member of an organization, or their role there changed."""

    org_id: str
    user_id: str
    role: str


class MembershipRevoked(msgspec.Struct, frozen=True, kw_only=True):
    """A member was removed from an organization; `role` is the one they had."""

    org_id: str
    user_id: str
    role: str


class RefreshTokenReuseDetected(msgspec.Struct, frozen=True, kw_only=True):
    """A rotated refresh token came back: it was probably stolen, so its session was revoked."""

    user_id: str
    family_id: str
    detected_at: datetime


class GuestRecoveryRequested(msgspec.Struct, frozen=True, kw_only=True):
    """Someone asked for a guest recovery link for `email`. It carries no token: identity's own handler
    makes one in the worker (the route does the same work for every email, known or not)."""

    email: str
    requested_at: datetime


class PasswordResetRequested(msgspec.Struct, frozen=True, kw_only=True):
    """Someone asked to reset the password of `email`'s account, if there is one (identity's handler
    decides, in the worker: the route answers alike for every email)."""

    email: str
    requested_at: datetime

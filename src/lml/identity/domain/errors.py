"""What identity refuses, each named for what happened; the problem mapping picks the status by base class."""

from __future__ import annotations

from lml.platform.domain.errors import Conflict, Forbidden, Gone, NotFound, TooManyRequests, Unauthorized


class EmailTaken(Conflict):
    """An account with this email already exists."""


class InvalidCredentials(Unauthorized):
    """The email or password is wrong."""


class InvalidRefreshToken(Unauthorized):
    """The refresh token is invalid, expired or revoked."""


class RefreshTokenReused(Unauthorized):
    """The refresh token was already used; every token of its session is now revoked."""


class UnknownUser(Unauthorized):
    """The account behind this token no longer exists."""


class NotAnOperator(Forbidden):
    """You are not a member of this organization with a role that allows this."""


class OrganizationNotFound(NotFound):
    """The organization does not exist."""


class MemberNotFound(NotFound):
    """This user is not a member of the organization."""


class LastOwner(Conflict):
    """An organization always keeps an owner: make another member an owner first."""


class NotAUser(Forbidden):
    """This needs the access token of a registered user."""


class TooManyAttempts(TooManyRequests):
    """Too many attempts; wait before trying again."""


class TokenExpiredOrUsed(Gone):
    """This link was used already, has expired, or is not one of ours: ask for a new one."""

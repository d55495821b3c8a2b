"""What identity's use cases need from the outside world, as Protocols."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import msgspec

from lml.identity.domain.access import AccessFacts
from lml.identity.domain.account_token import AccountToken, AccountTokenKind
from lml.identity.domain.organization import Membership, Organization
from lml.identity.domain.refresh_token import RefreshToken
from lml.identity.domain.user import User
from lml.platform.domain.principal import Principal

if TYPE_CHECKING:
    # The outbox delivery's transaction, handed through to the mail port untouched.
    from lml.platform.db import UnitOfWork


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Raises `EmailTaken` when the email is registered already (in any letter case)."""

    async def by_id(self, user_id: str) -> User | None: ...

    async def by_email(self, email: str) -> User | None: ...

    async def set_password_hash(self, user_id: str, password_hash: str) -> None: ...

    async def set_platform_admin(self, user_id: str, is_platform_admin: bool) -> None: ...

    async def set_profile(self, user_id: str, *, name: str, phone: str | None) -> User | None:
        """The user as changed; None when there is no such user."""


class OrganizationRepository(Protocol):
    async def add(self, organization: Organization) -> bool:
        """False (and nothing changed) when an organization with this id exists already."""

    async def get(self, org_id: str) -> Organization | None: ...

    async def get_for_update(self, org_id: str) -> Organization | None:
        """The organization, locked until the unit of work ends, so that changes of its members queue up."""

    async def set_member(self, org_id: str, user_id: str, role: str) -> bool:
        """Add the user with `role`, or change their role; True when they were not a member before."""

    async def role_of(self, org_id: str, user_id: str) -> str | None:
        """The user's role in the organization; None when they are not a member."""

    async def count_owners(self, org_id: str) -> int: ...

    async def remove_member(self, org_id: str, user_id: str) -> None: ...

    async def memberships_of(self, user_id: str) -> list[Membership]: ...

    async def access_facts(self, org_id: str, user_id: str) -> AccessFacts | None:
        """None when the organization or the user does not exist."""

    async def set_mail_settings(
        self, org_id: str, *, mail_from_name: str | None, reply_to: str | None
    ) -> Organization | None:
        """The organization as changed; None when there is no such organization."""


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def get_for_update(self, token_hash: str) -> RefreshToken | None:
        """The token, locked until the unit of work ends, so that two rotations of it queue up."""

    async def mark_used(self, token_hash: str, at: datetime) -> None: ...

    async def revoke_family(self, family_id: str, at: datetime) -> None: ...

    async def revoke_all_of_user(self, user_id: str, at: datetime) -> list[str]:
        """Revoke every live refresh token of the user; the families (sessions) that had one."""


class AccountTokenRepository(Protocol):
    async def add(self, token: AccountToken) -> None: ...

    async def find_live(self, kind: AccountTokenKind, token_hash: str, now: datetime) -> AccountToken | None:
        """The token when it is of `kind`, unused and unexpired at `now` (nothing changed, nothing locked)."""

    async def redeem(self, kind: AccountTokenKind, token_hash: str, now: datetime) -> AccountToken | None:
        """Mark the token used at `now`, in one conditional write: only an unused, unexpired token of
        `kind` is redeemed, so of two redemptions of one token exactly one gets it; None for the others."""


class IdentityUnitOfWork(Protocol):
    """One transaction over identity's stores; leaving it without `commit()` undoes everything."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def organizations(self) -> OrganizationRepository: ...

    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...

    @property
    def account_tokens(self) -> AccountTokenRepository: ...

    async def publish(self, event: msgspec.Struct) -> None:
        """Record an integration event, delivered after (and only if) the transaction commits."""

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[IdentityUnitOfWork]: ...


class PasswordHasher(Protocol):
    """Slow, salted password hashing; implementations keep the work off the event loop."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...

    async def verify_nothing(self, password: str) -> None:
        """Spend as long as a real `verify` does, so that unknown emails answer as slowly as known ones."""

    def needs_rehash(self, password_hash: str) -> bool: ...


class AccessTokenCodec(Protocol):
    access_seconds: int

    def issue(self, principal: Principal, now: datetime, seconds: int | None = None) -> str: ...


class SessionRevoker(Protocol):
    async def revoke(self, session_id: str, token_seconds: int) -> None:
        """Refuse the access tokens of `session_id` from now on, in every process; `token_seconds` is
        the longest lifetime of a token it may have."""


class AccountMail(Protocol):
    """Mail carrying a one-time token, recorded in the transaction that delivers the request's outbox
    event (`uow`), so that it is kept exactly when the event is marked delivered; sent later by the
    worker. `request_id` names the request (the same id again records nothing new)."""

    async def guest_recovery(
        self, uow: UnitOfWork, *, email: str, token: str, expires_at: datetime, request_id: str
    ) -> None: ...

    async def password_reset(
        self, uow: UnitOfWork, *, email: str, token: str, expires_at: datetime, request_id: str
    ) -> None: ...

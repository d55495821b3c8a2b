"""In-memory fakes of identity's ports, for unit tests of the use cases (tested themselves, against
the same contract as the PostgreSQL adapters)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from lml.identity.domain.access import AccessFacts
from lml.identity.domain.account_token import AccountToken, AccountTokenKind
from lml.identity.domain.errors import EmailTaken
from lml.identity.domain.organization import OWNER, Membership, Organization
from lml.identity.domain.refresh_token import RefreshToken
from lml.identity.domain.user import User


@dataclass
class IdentityState:
    users: dict[str, User] = field(default_factory=dict)
    organizations: dict[str, Organization] = field(default_factory=dict)
    roles: dict[tuple[str, str], str] = field(default_factory=dict)  # (org_id, user_id) → role
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    events: list[msgspec.Struct] = field(default_factory=list)
    account_tokens: dict[str, AccountToken] = field(default_factory=dict)  # token hash → token

    def copy(self) -> IdentityState:
        # Values are frozen Structs: copying the containers isolates a transaction.
        return IdentityState(dict(self.users), dict(self.organizations), dict(self.roles),
                             dict(self.refresh_tokens), list(self.events), dict(self.account_tokens))


class InMemoryUsers:
    def __init__(self, state: IdentityState) -> None:
        self._state = state

    async def add(self, user: User) -> None:
        if any(u.email.lower() == user.email.lower() for u in self._state.users.values()):
            raise EmailTaken()
        self._state.users[user.id] = user

    async def by_id(self, user_id: str) -> User | None:
        return self._state.users.get(user_id)

    async def by_email(self, email: str) -> User | None:
        return next((u for u in self._state.users.values() if u.email.lower() == email.lower()), None)

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        if user := self._state.users.get(user_id):
            self._state.users[user_id] = msgspec.structs.replace(user, password_hash=password_hash)

    async def set_platform_admin(self, user_id: str, is_platform_admin: bool) -> None:
        if user := self._state.users.get(user_id):
            self._state.users[user_id] = msgspec.structs.replace(user, is_platform_admin=is_platform_admin)

    async def set_profile(self, user_id: str, *, name: str, phone: str | None) -> User | None:
        if (user := self._state.users.get(user_id)) is None:
            return None
        self._state.users[user_id] = changed = msgspec.structs.replace(user, name=name, phone=phone)
        return changed


class InMemoryOrganizations:
    def __init__(self, state: IdentityState) -> None:
        self._state = state

    async def add(self, organization: Organization) -> bool:
        if organization.id in self._state.organizations:
            return False
        self._state.organizations[organization.id] = organization
        return True

    async def get(self, org_id: str) -> Organization | None:
        return self._state.organizations.get(org_id)

    async def get_for_update(self, org_id: str) -> Organization | None:
        # Nothing to lock: a fake unit of work swaps its whole copy in at commit.
        return await self.get(org_id)

    async def set_member(self, org_id: str, user_id: str, role: str) -> bool:
        if org_id not in self._state.organizations or user_id not in self._state.users:
            raise LookupError("set_member needs an existing organization and user")
        is_new = (org_id, user_id) not in self._state.roles
        self._state.roles[(org_id, user_id)] = role
        return is_new

    async def role_of(self, org_id: str, user_id: str) -> str | None:
        return self._state.roles.get((org_id, user_id))

    async def count_owners(self, org_id: str) -> int:
        return sum(1 for (org, _), role in self._state.roles.items() if org == org_id and role == OWNER)

    async def remove_member(self, org_id: str, user_id: str) -> None:
        self._state.roles.pop((org_id, user_id), None)

    async def memberships_of(self, user_id: str) -> list[Membership]:
        found = [
            Membership(org_id=org_id, org_name=self._state.organizations[org_id].name, user_id=user_id, role=role)
            for (org_id, member), role in self._state.roles.items()
            if member == user_id
        ]
        return sorted(found, key=lambda m: (m.org_name, m.org_id))

    async def access_facts(self, org_id: str, user_id: str) -> AccessFacts | None:
        user = self._state.users.get(user_id)
        if user is None or org_id not in self._state.organizations:
            return None
        return AccessFacts(member_role=self._state.roles.get((org_id, user_id)),
                           is_platform_admin=user.is_platform_admin)

    async def set_mail_settings(
        self, org_id: str, *, mail_from_name: str | None, reply_to: str | None
    ) -> Organization | None:
        if (organization := self._state.organizations.get(org_id)) is None:
            return None
        changed = msgspec.structs.replace(organization, mail_from_name=mail_from_name, reply_to=reply_to)
        self._state.organizations[org_id] = changed
        return changed


class InMemoryRefreshTokens:
    def __init__(self, state: IdentityState) -> None:
        self._state = state

    async def add(self, token: RefreshToken) -> None:
        if token.token_hash in self._state.refresh_tokens:
            raise KeyError("duplicate refresh token")
        self._state.refresh_tokens[token.token_hash] = token

    async def get_for_update(self, token_hash: str) -> RefreshToken | None:
        return self._state.refresh_tokens.get(token_hash)

    async def mark_used(self, token_hash: str, at: datetime) -> None:
        token = self._state.refresh_tokens[token_hash]
        self._state.refresh_tokens[token_hash] = msgspec.structs.replace(token, used_at=at)

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        for key, token in self._state.refresh_tokens.items():
            if token.family_id == family_id and token.revoked_at is None:
                self._state.refresh_tokens[key] = msgspec.structs.replace(token, revoked_at=at)

    async def revoke_all_of_user(self, user_id: str, at: datetime) -> list[str]:
        families = set()
        for key, token in self._state.refresh_tokens.items():
            if token.user_id == user_id and token.revoked_at is None:
                self._state.refresh_tokens[key] = msgspec.structs.replace(token, revoked_at=at)
                families.add(token.family_id)
        return sorted(families)


class InMemoryAccountTokens:
    def __init__(self, state: IdentityState) -> None:
        self._state = state

    async def add(self, token: AccountToken) -> None:
        if token.token_hash in self._state.account_tokens:
            raise KeyError("duplicate account token")
        self._state.account_tokens[token.token_hash] = token

    async def find_live(self, kind: AccountTokenKind, token_hash: str, now: datetime) -> AccountToken | None:
        token = self._state.account_tokens.get(token_hash)
        live = token is not None and token.kind == kind and token.used_at is None and token.expires_at > now
        return token if live else None

    async def redeem(self, kind: AccountTokenKind, token_hash: str, now: datetime) -> AccountToken | None:
        # A fake unit of work swaps its whole copy in at commit: two concurrent redemptions would both
        # win here. The single-use race is proven on PostgreSQL (tests/integration/identity).
        if (token := await self.find_live(kind, token_hash, now)) is None:
            return None
        self._state.account_tokens[token_hash] = redeemed = msgspec.structs.replace(token, used_at=now)
        return redeemed


class InMemoryUnitOfWork:
    def __init__(self, store: InMemoryIdentityStore) -> None:
        self._store = store
        self._state = store.state.copy()
        self.users = InMemoryUsers(self._state)
        self.organizations = InMemoryOrganizations(self._state)
        self.refresh_tokens = InMemoryRefreshTokens(self._state)
        self.account_tokens = InMemoryAccountTokens(self._state)

    async def publish(self, event: msgspec.Struct) -> None:
        self._state.events.append(event)

    async def commit(self) -> None:
        self._store.state = self._state.copy()


class InMemoryIdentityStore:
    """Committed state; each unit of work edits a copy and swaps it in on `commit()`.
    Pass the store itself as a `UnitOfWorkFactory`."""

    def __init__(self) -> None:
        self.state = IdentityState()

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[InMemoryUnitOfWork]:
        yield InMemoryUnitOfWork(self)

    @property
    def events(self) -> list[msgspec.Struct]:
        return self.state.events


@dataclass
class FakeHasher:
    """Fast and deterministic; `version` stands for the hashing parameters (older ones need a rehash)."""

    version: int = 1
    calls: list[str] = field(default_factory=list)

    async def hash(self, password: str) -> str:
        self.calls.append("hash")
        return f"fake$v{self.version}${hashlib.sha256(password.encode()).hexdigest()}"

    async def verify(self, password_hash: str, password: str) -> bool:
        self.calls.append("verify")
        return password_hash.rsplit("$", 1)[-1] == hashlib.sha256(password.encode()).hexdigest()

    async def verify_nothing(self, password: str) -> None:
        self.calls.append("verify_nothing")

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"fake$v{self.version}$")


@dataclass
class RecordingRevoker:
    """SessionRevoker that remembers what it was asked to revoke: session id → token seconds."""

    revoked: dict[str, int] = field(default_factory=dict)

    async def revoke(self, session_id: str, token_seconds: int) -> None:
        self.revoked[session_id] = token_seconds


class SentAccountMail(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    email: str
    token: str
    expires_at: datetime
    request_id: str


@dataclass
class RecordingAccountMail:
    """AccountMail that keeps what it was asked to send (the raw tokens included: tests redeem them)."""

    sent: list[SentAccountMail] = field(default_factory=list)

    async def guest_recovery(
        self, uow: object, *, email: str, token: str, expires_at: datetime, request_id: str
    ) -> None:
        self.sent.append(SentAccountMail(kind="guest_recovery", email=email, token=token, expires_at=expires_at,
                                         request_id=request_id))

    async def password_reset(
        self, uow: object, *, email: str, token: str, expires_at: datetime, request_id: str
    ) -> None:
        self.sent.append(SentAccountMail(kind="password_reset", email=email, token=token, expires_at=expires_at,
                                         request_id=request_id))

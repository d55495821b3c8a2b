"""Identity's HTTP routes: registration, tokens, guest sessions and their recovery, password reset, the
caller's profile, organizations (and their mail settings) and members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request, Response, Router, delete, get, patch, post
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath, JSONBody

from lml.identity.application.account_requests import request_guest_recovery, request_password_reset
from lml.identity.application.add_member import add_member
from lml.identity.application.change_member_role import change_member_role
from lml.identity.application.create_organization import create_organization
from lml.identity.application.get_profile import Profile, get_profile
from lml.identity.application.log_out import log_out
from lml.identity.application.login import login_with_password
from lml.identity.application.organization_mail import organization, set_organization_mail
from lml.identity.application.redeem_guest_recovery import redeem_guest_recovery
from lml.identity.application.refresh_session import refresh_session
from lml.identity.application.register_user import register_user
from lml.identity.application.remove_member import remove_member
from lml.identity.application.reset_password import reset_password
from lml.identity.application.sessions import TokenPair
from lml.identity.application.start_guest_session import GuestSession, start_guest_session
from lml.identity.application.update_profile import update_profile
from lml.identity.domain.access import MEMBER_ADMIN_ROLES, OperatorAccess, parse_user_id
from lml.identity.domain.organization import OWNER, ROLES, Organization
from lml.identity.domain.rules import (
    EMAIL_MAX,
    EMAIL_PATTERN,
    MAIL_FROM_NAME_PATTERN,
    NAME_PATTERN,
    PASSWORD_PATTERN,
    PHONE_PATTERN,
)
from lml.identity.domain.user import User
from lml.identity.infrastructure.services import IdentityServices
from lml.platform.domain.errors import FieldError, InvalidInput
from lml.platform.domain.principal import PLATFORM_ADMIN_SCOPE
from lml.platform.http.auth import bearer_principal, client_network, requires_scope
from lml.platform.http.contract import contract, route_contract
from lml.platform.http.kit import kit_of
from lml.platform.http.rate_limits import address_key, rate_limited
from lml.platform.http.validation import collect_field_errors
from lml.platform.rate_limit import RateLimit

AnyRequest = Request[Any, Any, Any]


# What the domain's rules accept, as the document states it (the rules give the messages).
Email = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": EMAIL_PATTERN, "maxLength": EMAIL_MAX},
                                    examples=["ada@example.com"])]
Password = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": PASSWORD_PATTERN},
                                       description="10 to 256 characters", examples=["correct horse battery"])]
Name = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": NAME_PATTERN}, description="1 to 200 characters,"
                                   " no control characters (trimmed)", examples=["Ada Lovelace"])]
Phone = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": PHONE_PATTERN}, description="E.164",
                                    examples=["+447700900123"])]
RoleName = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(ROLES)}, examples=["manager"])]


def _authenticated(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    bearer_principal(connection)


class UserOut(msgspec.Struct, frozen=True):
    user_id: str
    email: str
    name: str
    is_platform_admin: bool
    created_at: datetime
    phone: str | None = None  # E.164

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(user.id, user.email, user.name, user.is_platform_admin, user.created_at, user.phone)


class RegisterBody(msgspec.Struct, frozen=True):
    email: Email
    password: Password
    name: Name


@post("/v1/auth/register", operation_id="register", status_code=201, tags=["identity"], summary="Create an account")
async def register(
    request: AnyRequest, identity: NamedDependency[IdentityServices], data: JSONBody[RegisterBody]
) -> UserOut:
    services = identity
    await services.throttle.registration(client_network(request))
    user = await register_user(uow=services.uow, hasher=services.hasher, clock=services.clock,
                               email=data.email, password=data.password, name=data.name)
    return UserOut.of(user)


class TokenRequest(msgspec.Struct, frozen=True, kw_only=True):
    grant_type: str
    email: str | None = None
    username: str | None = None  # what OAuth 2 clients call the email
    password: str | None = None
    refresh_token: str | None = None


_FORM = "application/x-www-form-urlencoded"


def _token_request_schema(media: str) -> Schema:
    """Either grant, as `token` reads it: a password grant names the account by `email` (or `username`,
    as OAuth 2 clients call it); members it does not read are ignored (a form's are text)."""
    text = Schema(type=OpenAPIType.STRING)
    members = {"email": text, "username": Schema(type=OpenAPIType.STRING, description="the email, as OAuth 2"
                                                 " clients send it"), "password": text, "refresh_token": text}

    def grant(name: str, required: list[str], **rules: Any) -> Schema:
        return Schema(
            type=OpenAPIType.OBJECT, required=["grant_type", *required],
            properties={"grant_type": Schema(type=OpenAPIType.STRING, const=name), **members},
            additional_properties=text if media == _FORM else None, **rules)

    return Schema(one_of=[
        grant("password", ["password"], any_of=[Schema(required=["email"]), Schema(required=["username"])],
              examples=[{"grant_type": "password", "email": "ada@example.com", "password": "correct horse battery"}]),
        grant("refresh_token", ["refresh_token"]),
    ])


@dataclass
class _TokenOperation(Operation):
    """The token route parses its own body (JSON or a form), so its schema is declared here."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={media: OpenAPIMediaType(schema=_token_request_schema(media)) for media in ("application/json",
                                                                                               _FORM)},
        )


async def _read_token_request(request: AnyRequest) -> TokenRequest:
    raw: Any
    if request.content_type[0] == _FORM:
        try:
            raw = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise ClientException("The request body is not valid form data") from None
    else:
        try:
            raw = await request.json()  # malformed JSON becomes the platform's 400 problem
        except RecursionError:
            raise ClientException("The request body is nested too deeply") from None
    errors = collect_field_errors(raw, TokenRequest)
    if errors:
        raise InvalidInput(errors)
    return msgspec.convert(raw, TokenRequest, strict=False)


def _missing(*fields: tuple[str, str | None]) -> InvalidInput:
    return InvalidInput([FieldError(path, "is required") for path, value in fields if value is None])


@post(
    "/v1/auth/token",
    operation_id="issueToken",
    # It reads its own body (JSON or a form): the statuses a decoded body would bring are its own.
    opt=route_contract(contract(400, 401, 413, 422, 429, sends=("Retry-After",))),
    status_code=200,
    tags=["identity"],
    summary="Get an access token (grant_type password or refresh_token)",
    operation_class=_TokenOperation,
)
async def token(request: AnyRequest, identity: NamedDependency[IdentityServices]) -> Response[TokenPair]:
    services = identity
    form = await _read_token_request(request)
    address = client_network(request)
    if form.grant_type == "password":
        email = form.email if form.email is not None else form.username
        if email is None or form.password is None:
            raise _missing(("/email", email), ("/password", form.password))
        await services.throttle.token_request(address)
        async with services.throttle.password_attempt(address, email):
            pair = await login_with_password(uow=services.uow, hasher=services.hasher, sessions=services.sessions,
                                             email=email, password=form.password)
    elif form.grant_type == "refresh_token":
        if form.refresh_token is None:
            raise _missing(("/refresh_token", None))
        await services.throttle.token_request(address)
        pair = await refresh_session(uow=services.uow, sessions=services.sessions, refresh_token=form.refresh_token)
    else:
        raise InvalidInput([FieldError("/grant_type", "must be password or refresh_token")])
    # RFC 6749 §5.1: responses carrying tokens are never cached.
    return Response(pair, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


class LogoutBody(msgspec.Struct, frozen=True):
    refresh_token: str | None = None


@post(
    "/v1/auth/logout",
    operation_id="logout",
    status_code=204,
    guards=[_authenticated],
    tags=["identity"],
    summary="End the caller's session: its refresh tokens are revoked, its access tokens refused within seconds",
)
async def logout(
    request: AnyRequest, identity: NamedDependency[IdentityServices], data: JSONBody[LogoutBody | None] = None
) -> None:
    services = identity
    await log_out(uow=services.uow, sessions=services.sessions, revoker=services.revoker,
                  principal=bearer_principal(request), refresh_token=data.refresh_token if data else None)


class GuestBody(msgspec.Struct, frozen=True):
    email: Email
    name: Name
    phone: Phone | None = None  # E.164: where the order confirmation also goes by text message


# Per client address, never per token: each guest session is a new token, so keying by token would
# give every request a fresh bucket. Generous enough for a household or an office behind one address.
GUEST_SESSIONS_PER_ADDRESS = RateLimit(capacity=20, refill_per_second=1 / 6)


@post(
    "/v1/auth/guest",
    operation_id="startGuestSession",
    status_code=201,
    middleware=[rate_limited("identity:guest", GUEST_SESSIONS_PER_ADDRESS, by=address_key)],
    tags=["identity"],
    summary="Check out as a guest: a short-lived buyer token (no password; the email receives the tickets)",
)
async def guest(
    request: AnyRequest, identity: NamedDependency[IdentityServices], data: JSONBody[GuestBody]
) -> Response[GuestSession]:
    services = identity
    session = await start_guest_session(tokens=services.sessions.tokens, clock=services.clock,
                                        email=data.email, name=data.name, phone=data.phone)
    return Response(session, status_code=201, headers=_NO_STORE)


_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_Token = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class EmailBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    email: Email


class Accepted(msgspec.Struct, frozen=True):
    detail: str


# What every request for a link is answered, whatever the email: nothing tells whether it is known.
_LINK_ON_ITS_WAY = Accepted("If this email can receive a link, one is on its way; it works once, within 30 minutes.")

# Per client address (the notifications context also limits the mail to one inbox): a few asks, then
# one a minute. Redeeming and confirming guess 256-bit tokens: generous, only against hammering.
LINK_REQUESTS_PER_ADDRESS = RateLimit(capacity=10, refill_per_second=1 / 60)
TOKEN_REDEMPTIONS_PER_ADDRESS = RateLimit(capacity=20, refill_per_second=1 / 6)


@post(
    "/v1/auth/guest/recover",
    operation_id="requestGuestRecovery",
    status_code=202,
    middleware=[rate_limited("identity:guest-recover", LINK_REQUESTS_PER_ADDRESS, by=address_key)],
    tags=["identity"],
    summary="Mail a one-time link to a guest session that sees every order placed by guests with this email"
            " (202 whatever the email)",
)
async def guest_recover(identity: NamedDependency[IdentityServices], data: JSONBody[EmailBody]) -> Accepted:
    await request_guest_recovery(uow=identity.uow, clock=identity.clock, email=data.email)
    return _LINK_ON_ITS_WAY


class TokenBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    token: _Token


@post(
    "/v1/auth/guest/redeem",
    operation_id="redeemGuestRecovery",
    opt=route_contract(contract(410)),
    status_code=200,
    middleware=[rate_limited("identity:guest-redeem", TOKEN_REDEMPTIONS_PER_ADDRESS, by=address_key)],
    tags=["identity"],
    summary="Trade a guest recovery link's token for a guest session with a verified email (410 once used or"
            " expired)",
)
async def guest_redeem(
    identity: NamedDependency[IdentityServices], data: JSONBody[TokenBody]
) -> Response[GuestSession]:
    session = await redeem_guest_recovery(uow=identity.uow, tokens=identity.sessions.tokens, clock=identity.clock,
                                          token=data.token)
    return Response(session, status_code=200, headers=_NO_STORE)


@post(
    "/v1/auth/password-reset",
    operation_id="requestPasswordReset",
    status_code=202,
    middleware=[rate_limited("identity:password-reset", LINK_REQUESTS_PER_ADDRESS, by=address_key)],
    tags=["identity"],
    summary="Mail a one-time password reset link to the account of this email, if there is one (202 always)",
)
async def password_reset(identity: NamedDependency[IdentityServices], data: JSONBody[EmailBody]) -> Accepted:
    await request_password_reset(uow=identity.uow, clock=identity.clock, email=data.email)
    return _LINK_ON_ITS_WAY


class NewPasswordBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    token: _Token
    password: Password


@post(
    "/v1/auth/password-reset/confirm",
    operation_id="confirmPasswordReset",
    opt=route_contract(contract(410)),
    status_code=204,
    middleware=[rate_limited("identity:password-reset-confirm", TOKEN_REDEMPTIONS_PER_ADDRESS, by=address_key)],
    tags=["identity"],
    summary="Set a new password with a reset link's token; every session of the account ends (410 once used or"
            " expired)",
)
async def password_reset_confirm(
    identity: NamedDependency[IdentityServices], data: JSONBody[NewPasswordBody]
) -> None:
    await reset_password(uow=identity.uow, hasher=identity.hasher, sessions=identity.sessions,
                         revoker=identity.revoker, token=data.token, password=data.password)


class MyOrganization(msgspec.Struct, frozen=True):
    org_id: str
    name: str
    role: str


class MeOut(msgspec.Struct, frozen=True):
    user: UserOut
    organizations: list[MyOrganization]

    @classmethod
    def of(cls, profile: Profile) -> MeOut:
        return cls(user=UserOut.of(profile.user),
                   organizations=[MyOrganization(m.org_id, m.org_name, m.role) for m in profile.memberships])


@get(
    "/v1/me",
    operation_id="getMe",
    guards=[_authenticated],
    cache_control=CacheControlHeader(no_store=True),
    tags=["identity"],
    summary="The caller, their organizations and roles",
)
async def me(request: AnyRequest, identity: NamedDependency[IdentityServices]) -> MeOut:
    return MeOut.of(await get_profile(uow=identity.uow, principal=bearer_principal(request)))


class ProfileBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name
    # Left out: kept as it is; null: no phone.
    phone: Phone | msgspec.UnsetType | None = msgspec.UNSET


@patch(
    "/v1/me",
    operation_id="updateMe",
    guards=[_authenticated],
    tags=["identity"],
    summary="Change the caller's name and phone (E.164, or null for none)",
)
async def change_me(
    request: AnyRequest, identity: NamedDependency[IdentityServices], data: JSONBody[ProfileBody]
) -> Response[MeOut]:
    profile = await update_profile(uow=identity.uow, principal=bearer_principal(request), name=data.name,
                                   phone=data.phone)
    return Response(MeOut.of(profile), headers={"Cache-Control": "no-store"})


class NewOrganization(msgspec.Struct, frozen=True):
    name: Name


class OrganizationOut(msgspec.Struct, frozen=True):
    org_id: str
    name: str
    created_at: datetime
    # How its mail to buyers is dressed (null: the platform's defaults).
    mail_from_name: str | None = None
    reply_to: str | None = None

    @classmethod
    def of(cls, organization: Organization) -> OrganizationOut:
        return cls(organization.id, organization.name, organization.created_at, organization.mail_from_name,
                   organization.reply_to)


@post(
    "/v1/admin/organizations",
    operation_id="createOrganization",
    status_code=201,
    guards=[requires_scope(PLATFORM_ADMIN_SCOPE)],
    tags=["identity"],
    summary="Create an organization (platform admins)",
)
async def new_organization(
    request: AnyRequest, identity: NamedDependency[IdentityServices], data: JSONBody[NewOrganization]
) -> OrganizationOut:
    services = identity
    organization = await create_organization(uow=services.uow, clock=services.clock, name=data.name)
    return OrganizationOut.of(organization)


class NewMember(msgspec.Struct, frozen=True):
    email: Email
    role: RoleName


class RoleChange(msgspec.Struct, frozen=True):
    role: RoleName


class MemberOut(msgspec.Struct, frozen=True):
    org_id: str
    user_id: str
    email: str
    role: str


_ORGANIZATION = "/v1/admin/organizations/{org_id:str}"
_MEMBERS = _ORGANIZATION + "/members"
_OPERATOR = "organization_operator"
# Who may change an organization's mail settings, and who may read the organization.
MAIL_SETTINGS_ROLES = (OWNER, "manager")


def _operators_of_path(roles: tuple[str, ...]) -> Any:
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        """The caller has one of `roles` in the organization in the path, or is a platform admin
        (checked before the body is read, so that 401/403 come before any 422)."""
        access = await kit_of(connection).authorize_operator(
            bearer_principal(connection), connection.path_params["org_id"], roles, field="/org_id")
        connection.scope.setdefault("state", {})[_OPERATOR] = access

    return guard


_member_admins = _operators_of_path(MEMBER_ADMIN_ROLES)


def _organization(request: AnyRequest) -> str:
    """The organization the path's guard let the caller act in (its canonical id)."""
    access: OperatorAccess = request.scope["state"][_OPERATOR]
    return access.org_id


@get(
    _ORGANIZATION,
    operation_id="getOrganization",
    guards=[_operators_of_path(ROLES)],
    cache_control=CacheControlHeader(no_store=True),
    tags=["identity"],
    summary="The organization, with its mail settings (its members and platform admins)",
)
async def get_organization(request: AnyRequest, identity: NamedDependency[IdentityServices]) -> OrganizationOut:
    return OrganizationOut.of(await organization(uow=identity.uow, org_id=_organization(request)))


MailFromName = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": MAIL_FROM_NAME_PATTERN},
                                           examples=["Main Hall Box Office"])]


class OrganizationChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Left out: kept as it is; null: cleared (the platform's default)."""

    mail_from_name: MailFromName | msgspec.UnsetType | None = msgspec.UNSET
    reply_to: Email | msgspec.UnsetType | None = msgspec.UNSET


@patch(
    _ORGANIZATION,
    operation_id="updateOrganization",
    guards=[_operators_of_path(MAIL_SETTINGS_ROLES)],
    tags=["identity"],
    summary="Set how the organization's mail to buyers is dressed: sender name, reply-to (owners, managers)",
)
async def change_organization(
    request: AnyRequest, identity: NamedDependency[IdentityServices], data: JSONBody[OrganizationChange]
) -> OrganizationOut:
    changed = await set_organization_mail(uow=identity.uow, org_id=_organization(request),
                                          mail_from_name=data.mail_from_name, reply_to=data.reply_to)
    return OrganizationOut.of(changed)


@post(
    _MEMBERS,
    operation_id="addMember",
    guards=[_member_admins],
    opt=route_contract(contract(rule="an account is registered with the email")),
    tags=["identity"],
    summary="Add a member to an organization, or change their role (owners and platform admins)",
)
async def new_member(
    request: AnyRequest, identity: NamedDependency[IdentityServices], data: JSONBody[NewMember]
) -> Response[MemberOut]:
    added = await add_member(uow=identity.uow, org_id=_organization(request), email=data.email,
                             role=data.role)
    return Response(MemberOut(added.org_id, added.user_id, added.email, added.role),
                    status_code=201 if added.is_new else 200)


@patch(
    _MEMBERS + "/{user_id:str}",
    operation_id="changeMemberRole",
    guards=[_member_admins],
    tags=["identity"],
    summary="Change a member's role (owners and platform admins); an organization always keeps an owner",
)
async def member_role(
    request: AnyRequest, identity: NamedDependency[IdentityServices], user_id: FromPath[str], data: JSONBody[RoleChange]
) -> MemberOut:
    changed = await change_member_role(uow=identity.uow, org_id=_organization(request),
                                       user_id=parse_user_id(user_id, "/user_id"), role=data.role)
    return MemberOut(changed.org_id, changed.user_id, changed.email, changed.role)


@delete(
    _MEMBERS + "/{user_id:str}",
    operation_id="removeMember",
    guards=[_member_admins],
    tags=["identity"],
    summary="Remove a member (owners and platform admins); an organization always keeps an owner",
)
async def former_member(
    request: AnyRequest, identity: NamedDependency[IdentityServices], user_id: FromPath[str]
) -> None:
    await remove_member(uow=identity.uow, org_id=_organization(request),
                        user_id=parse_user_id(user_id, "/user_id"))


router = Router(
    path="/",
    route_handlers=[register, token, logout, guest, guest_recover, guest_redeem, password_reset,
                    password_reset_confirm, me, change_me, new_organization, get_organization, change_organization,
                    new_member, member_role, former_member],
)

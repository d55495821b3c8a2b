"""An organization's mail settings: the sender's display name and the reply-to address of its mail to
buyers (the envelope sender stays ours). Owners and managers change them; None clears one."""

from __future__ import annotations

import msgspec

from lml.identity.application.ports import UnitOfWorkFactory
from lml.identity.domain.errors import OrganizationNotFound
from lml.identity.domain.organization import Organization
from lml.identity.domain.rules import email_problem, mail_from_name_problem, normalize_email, raise_if_any
from lml.platform.domain.text import trim

MaybeText = str | None | msgspec.UnsetType


async def set_organization_mail(
    *, uow: UnitOfWorkFactory, org_id: str, mail_from_name: MaybeText = msgspec.UNSET,
    reply_to: MaybeText = msgspec.UNSET,
) -> Organization:
    """Fields left UNSET keep their value. Raises `InvalidInput` naming each bad field (nothing changed)."""
    raise_if_any([
        ("/mail_from_name", mail_from_name_problem(mail_from_name) if isinstance(mail_from_name, str) else None),
        ("/reply_to", email_problem(reply_to) if isinstance(reply_to, str) else None),
    ])
    if isinstance(mail_from_name, str):
        mail_from_name = trim(mail_from_name)
    if isinstance(reply_to, str):
        reply_to = normalize_email(reply_to)
    async with uow() as tx:
        organization = await tx.organizations.get_for_update(org_id)
        if organization is None:
            raise OrganizationNotFound()
        changed = await tx.organizations.set_mail_settings(
            org_id,
            mail_from_name=organization.mail_from_name if mail_from_name is msgspec.UNSET else mail_from_name,
            reply_to=organization.reply_to if reply_to is msgspec.UNSET else reply_to,
        )
        if changed is None:
            raise OrganizationNotFound()
        await tx.commit()
    return changed


async def organization(*, uow: UnitOfWorkFactory, org_id: str) -> Organization:
    async with uow() as tx:
        found = await tx.organizations.get(org_id)
    if found is None:
        raise OrganizationNotFound()
    return found

"""Create an organization (a tenant). With a given id it is idempotent, for seeding."""

from __future__ import annotations

from lml.identity.application.ports import UnitOfWorkFactory
from lml.identity.domain.organization import Organization
from lml.identity.domain.rules import name_problem, raise_if_any
from lml.identity.events import OrganizationCreated
from lml.platform.clock import Clock
from lml.platform.domain.errors import present
from lml.platform.domain.text import trim
from lml.platform.ids import new_id


async def create_organization(
    *, uow: UnitOfWorkFactory, clock: Clock, name: str, org_id: str | None = None
) -> Organization:
    raise_if_any([("/name", name_problem(name))])
    name = trim(name)
    organization = Organization(id=org_id or new_id(), name=name, created_at=clock.now())
    async with uow() as tx:
        if not await tx.organizations.add(organization):
            return present(await tx.organizations.get(organization.id),
                           "add() found the organization a moment ago and nothing deletes organizations")
        await tx.publish(OrganizationCreated(org_id=organization.id, name=organization.name,
                                             created_at=organization.created_at))
        await tx.commit()
    return organization

"""Owners changing each other at the same moment, on PostgreSQL: each change locks its organization's
row first, so the changes queue up and an organization is never left without an owner."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable

from lml.identity.application.add_member import add_member
from lml.identity.application.change_member_role import change_member_role
from lml.identity.application.ports import UnitOfWorkFactory
from lml.identity.application.remove_member import remove_member
from lml.identity.domain.errors import LastOwner
from lml.identity.infrastructure.pg_unit_of_work import pg_unit_of_work
from lml.platform.resources import Resources
from tests.fixtures.identity import MakeOperator, TestOperator


async def outcomes(*changes: Awaitable[object]) -> Counter[str]:
    results = await asyncio.gather(*changes, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, LastOwner):
            raise result
    return Counter("refused" if isinstance(r, LastOwner) else "done" for r in results)


async def owners_of(uow: UnitOfWorkFactory, org_id: str) -> int:
    async with uow() as tx:
        return await tx.organizations.count_owners(org_id)


async def test_two_owners_demoting_each_other_at_once_leave_one_owner(
    resources: Resources, make_operator: MakeOperator
) -> None:
    uow = pg_unit_of_work(resources.db)
    for _ in range(5):
        first = await make_operator("owner")
        second = await make_operator("owner", org_id=first.org_id)
        counted = await outcomes(
            change_member_role(uow=uow, org_id=first.org_id, user_id=second.user_id, role="manager"),
            change_member_role(uow=uow, org_id=first.org_id, user_id=first.user_id, role="manager"),
        )
        assert counted == {"done": 1, "refused": 1}
        assert await owners_of(uow, first.org_id) == 1


async def test_owners_leaving_together_by_every_route_leave_exactly_one(
    resources: Resources, make_operator: MakeOperator
) -> None:
    uow = pg_unit_of_work(resources.db)
    first = await make_operator("owner")
    owners: list[TestOperator] = [first, *[await make_operator("owner", org_id=first.org_id) for _ in range(5)]]

    def step_down(owner: TestOperator, route: int) -> Awaitable[object]:
        if route == 0:
            return remove_member(uow=uow, org_id=owner.org_id, user_id=owner.user_id)
        if route == 1:
            return change_member_role(uow=uow, org_id=owner.org_id, user_id=owner.user_id, role="box_office")
        return add_member(uow=uow, org_id=owner.org_id, email=owner.user.email, role="manager")

    counted = await outcomes(*(step_down(owner, i % 3) for i, owner in enumerate(owners)))

    assert counted == {"done": 5, "refused": 1}
    assert await owners_of(uow, first.org_id) == 1

"""Fixtures of the ordering contracts: `ordering`, the port on each implementation in turn."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.fixtures.catalog import MakeShowOnSale
from tests.integration.ordering.implementations import ZONE, ZONE_CAPACITY, Ordering, memory_ordering
from tests.timing import waiting_for_a_lock


@pytest.fixture(params=["memory", "postgresql"])
def make_ordering(request: pytest.FixtureRequest) -> Callable[[], Awaitable[Ordering]]:
    if request.param == "memory":
        async def in_memory() -> Ordering:
            return memory_ordering()

        return in_memory
    container = request.getfixturevalue("container")
    make_show_on_sale: MakeShowOnSale = request.getfixturevalue("make_show_on_sale")

    async def on_postgresql() -> Ordering:
        show = await make_show_on_sale(seats=6, zones={ZONE: ZONE_CAPACITY})
        return Ordering(transaction=container.ordering.transaction, payments=container.ordering.payments,
                        show_id=show.show_id, organization_id=show.org_id, seat_ids=show.seat_ids,
                        someone_waits=lambda: waiting_for_a_lock(container.resources, "transactionid"))

    return on_postgresql


@pytest.fixture
async def ordering(make_ordering: Callable[[], Awaitable[Ordering]]) -> Ordering:
    return await make_ordering()

"""Catalog use cases wired to in-memory fakes and a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lml.catalog.application.ports import CatalogPorts
from lml.catalog.application.testing import FakeVenues, InMemoryCatalog
from tests.timing import TestClock
from tests.unit.catalog.builders import ORG, VENUE, make_layout


@pytest.fixture
def clock() -> TestClock:
    return TestClock(start=datetime(2027, 1, 10, 12, 0, tzinfo=UTC))


@pytest.fixture
def catalog() -> InMemoryCatalog:
    return InMemoryCatalog()


@pytest.fixture
def venues() -> FakeVenues:
    fake = FakeVenues()
    fake.add_venue(ORG, VENUE)
    fake.add_layout(ORG, make_layout(zones={"floor": 100}))
    return fake


@pytest.fixture
def ports(catalog: InMemoryCatalog, venues: FakeVenues, clock: TestClock) -> CatalogPorts:
    return CatalogPorts(uow=catalog, venues=venues, clock=clock)

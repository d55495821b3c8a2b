"""Catalog use cases wired to in-memory fakes and a clock the test moves."""

from __future__ import annotations

import pytest

from lml.catalog.application.ports import CatalogPorts
from lml.catalog.application.testing import FakeVenues, InMemoryCatalog
from tests.unit.catalog.builders import ORG, VENUE, MovableClock, make_layout


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


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
def ports(catalog: InMemoryCatalog, venues: FakeVenues, clock: MovableClock) -> CatalogPorts:
    return CatalogPorts(uow=catalog, venues=venues, clock=clock)

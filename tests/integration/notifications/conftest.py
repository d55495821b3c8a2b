"""Notifications' integration fixtures: units of work on the real database."""

from __future__ import annotations

import pytest

from lml.notifications.application.ports import UnitOfWorkFactory
from lml.notifications.infrastructure.unit_of_work import unit_of_work_factory
from lml.platform.resources import Resources


@pytest.fixture
def pg_uow(resources: Resources) -> UnitOfWorkFactory:
    return unit_of_work_factory(resources.db)

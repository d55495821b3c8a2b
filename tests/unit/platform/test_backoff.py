"""Outbox retries wait exponentially longer, jittered so that failed events do not retry in lockstep."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lml.platform.backoff import backoff


@pytest.mark.parametrize(("attempts", "ceiling"), [(1, 1), (2, 2), (3, 4), (5, 16), (10, 512), (13, 3600), (40, 3600)])
def test_the_delay_stays_between_the_base_and_a_doubling_capped_ceiling(attempts: int, ceiling: int) -> None:
    delays = [backoff(attempts) for _ in range(200)]

    assert all(timedelta(seconds=1) <= d <= timedelta(seconds=ceiling) for d in delays)


def test_the_delay_is_jittered() -> None:
    delays = {backoff(6) for _ in range(50)}

    assert len(delays) > 40
    assert max(delays) - min(delays) > timedelta(seconds=10)


def test_base_and_cap_are_adjustable() -> None:
    assert all(
        timedelta(seconds=0.5) <= backoff(8, base=0.5, cap=10) <= timedelta(seconds=10) for _ in range(100)
    )

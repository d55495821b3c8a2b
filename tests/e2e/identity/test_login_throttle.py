"""The password grant's brakes: failed passwords are counted per account and address, and per address,
so that strangers guessing from elsewhere never lock the owner out of their account."""

from __future__ import annotations

import asyncio

from litestar import Litestar

from tests.e2e.identity.api import password_grant, problem, refresh_grant
from tests.fixtures.http import api_client
from tests.fixtures.identity import MakeUser

OWNER_ADDRESS = "198.51.100.4"
STRANGER_ADDRESS = "203.0.113.9"
WRONG = "wrong guess 123"


async def test_a_stranger_guessing_from_elsewhere_does_not_lock_the_owner_out(
    app: Litestar, make_user: MakeUser
) -> None:
    owner = await make_user()
    async with api_client(app, STRANGER_ADDRESS) as stranger, api_client(app, OWNER_ADDRESS) as own_device:
        for _ in range(10):
            problem(await password_grant(stranger, owner.email, WRONG), 401)
        refused = await password_grant(stranger, owner.email, WRONG)
        problem(refused, 429)
        assert int(refused.headers["retry-after"]) >= 1

        assert (await password_grant(own_device, owner.email, owner.password)).status_code == 200
        problem(await password_grant(stranger, owner.email, owner.password), 429)


async def test_logging_in_successfully_spends_nothing(app: Litestar, make_user: MakeUser) -> None:
    owner = await make_user()
    async with api_client(app, OWNER_ADDRESS) as own_device:
        statuses = [(await password_grant(own_device, owner.email, owner.password)).status_code for _ in range(15)]
    assert statuses == [200] * 15


async def test_a_success_forgives_the_mistakes_before_it(app: Litestar, make_user: MakeUser) -> None:
    owner = await make_user()
    async with api_client(app, OWNER_ADDRESS) as own_device:
        for _ in range(2):
            for _ in range(9):
                problem(await password_grant(own_device, owner.email, WRONG), 401)
            assert (await password_grant(own_device, owner.email, owner.password)).status_code == 200


async def test_one_address_failing_at_many_accounts_is_refused_for_every_account(
    app: Litestar, make_user: MakeUser
) -> None:
    owner = await make_user()
    async with api_client(app, STRANGER_ADDRESS) as stuffer, api_client(app, OWNER_ADDRESS) as own_device:
        # Short passwords: refused without hashing, and still failures.
        for i in range(30):
            problem(await password_grant(stuffer, f"victim{i}@example.com", "short"), 401)
        problem(await password_grant(stuffer, owner.email, owner.password), 429)
        assert (await password_grant(own_device, owner.email, owner.password)).status_code == 200


async def test_guesses_sent_at_once_are_all_paid_for(app: Litestar, make_user: MakeUser) -> None:
    """Guesses in flight together all pass the up-front check; each failure is still counted, so the
    account-and-address budget goes into debt and the wait grows with every guess beyond it."""
    owner = await make_user()
    async with api_client(app, STRANGER_ADDRESS) as stranger:
        answers = await asyncio.gather(*(password_grant(stranger, owner.email, WRONG) for _ in range(25)))
        failed = sum(a.status_code == 401 for a in answers)
        assert {a.status_code for a in answers} <= {401, 429} and failed >= 10
        refused = await password_grant(stranger, owner.email, WRONG)
    problem(refused, 429)
    # Each failure past the ten costs a minute of waiting (one guess a minute is the refill).
    assert int(refused.headers["retry-after"]) >= (failed - 10 + 1) * 60 - 5


async def test_every_request_at_the_token_route_spends_the_address_budget(
    app: Litestar, make_user: MakeUser
) -> None:
    user = await make_user()
    async with api_client(app, STRANGER_ADDRESS) as client:
        for _ in range(60):
            problem(await refresh_grant(client, "made-up"), 401)
        problem(await refresh_grant(client, user.refresh_token), 429)
        problem(await password_grant(client, user.email, user.password), 429)

"""Two rotations of one refresh token at the same moment (a retried request, or a thief racing
the client): PostgreSQL's row lock lets exactly one through, and the other counts as reuse."""

from __future__ import annotations

import asyncio

import pytest

from lml.identity.application.refresh_session import refresh_session
from lml.identity.application.sessions import SessionIssuer
from lml.identity.domain.errors import InvalidRefreshToken, RefreshTokenReused
from lml.identity.infrastructure.pg_unit_of_work import pg_unit_of_work
from lml.platform.resources import Resources
from tests.fixtures.identity import MakeUser


async def test_racing_rotations_let_one_through_and_then_revoke_the_family(
    resources: Resources, make_user: MakeUser
) -> None:
    user = await make_user()
    uow = pg_unit_of_work(resources.db)
    sessions = SessionIssuer(resources.tokens, resources.clock, resources.settings.refresh_token_seconds)
    results = await asyncio.gather(
        *(refresh_session(uow=uow, sessions=sessions, refresh_token=user.refresh_token) for _ in range(5)),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert losers and all(isinstance(e, RefreshTokenReused | InvalidRefreshToken) for e in losers)
    assert any(isinstance(e, RefreshTokenReused) for e in losers)
    with pytest.raises(InvalidRefreshToken):
        await refresh_session(uow=uow, sessions=sessions, refresh_token=winners[0].refresh_token)

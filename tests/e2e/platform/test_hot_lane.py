"""The hot lane (`lml.platform.http.hot_lane`) answers what the full Litestar path answers: the same
requests, sent to two shows of one world, the lane on for one and off for the other, get the same
statuses, headers and bodies (what differs by nature masked: ids, secrets, times, the shows' seats).
Each way has its own client address, so that the budgets per address start alike."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar

from lml.config import Settings
from lml.platform.domain.principal import Principal
from lml.platform.http import hot_lane
from lml.platform.http.edge import Edge
from lml.platform.http.hot_lane import HotLane
from lml.platform.ids import new_id
from lml.platform.rate_leases import RateLeases
from lml.platform.resources import Resources
from tests.e2e.admission.test_waiting_room import open_room
from tests.fixtures.seating import ApiFrom
from tests.timing import TestClock

# method, the path after the show's (`/v1/shows/{id}`), headers, body
Request = tuple[str, str, dict[str, str], bytes]
Answer = tuple[int, list[tuple[str, str]], str]
Token = Callable[..., str]
_BUYER = frozenset({"buyer"})


@pytest.fixture
def settings(base_settings: Settings, clean_world: None) -> Settings:
    # A join's budget per address small enough to be spent in a test.
    return msgspec.structs.replace(base_settings, queue_joins_per_address=3)


def _tokens(resources: Resources) -> Token:
    """A new buyer's token each call (so each show gets its own buyers)."""
    now = datetime.now(UTC)

    def token(scopes: frozenset[str] = _BUYER, issued: datetime = now, seconds: int = 3600) -> str:
        return resources.tokens.issue(Principal(new_id(), "guest", scopes, "g@example.com"), issued, seconds)

    return token


def _auth(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}", "content-type": "application/json"}


def _refused_tokens(token: Token) -> list[dict[str, str]]:
    """Headers the lane leaves to the full path: no token, an invalid one, an expired one, the wrong scope."""
    return [{"content-type": "application/json"}, _auth("not.a.token"),
            _auth(token(issued=datetime.now(UTC) - timedelta(hours=2), seconds=60)),
            _auth(token(frozenset({"other"})))]


def _hold_cases(token: Token, seats: list[str]) -> list[Request]:
    """A broad set of hold requests."""
    one, two, limited, keyed = token(), token(), token(), token()
    body = b'{"seat_ids": ["%s", "%s"]}' % (seats[0].encode(), seats[1].encode())

    def seat(index: int) -> bytes:
        return b'{"seat_ids": ["%s"]}' % seats[index].encode()

    cases: list[tuple[str, dict[str, str], bytes]] = [
        ("", _auth(one), body),                                            # 201
        ("", _auth(two), body),                                            # 409, the seats taken
        ("", _auth(token()), b'{"seat_ids": ['),                           # malformed
        ("", _auth(token()), b'{"seat_ids": "x"}'),                        # wrong type
        ("", _auth(token()), b'{"seat_ids": ["%s"], "extra": 1}' % seats[2].encode()),  # unknown field
        ("", _auth(token()), b""),                                         # no body
        ("", _auth(token()), b"null"),
        ("", _auth(token()), b'{"seat_ids": ["ab\\u0000c"]}'),              # a NUL
        ("", _auth(token()), b'{"seat_ids": ["\xff\xfe"]}'),               # not UTF-8
        ("", _auth(token()), b'{"seat_ids": []}'),                         # nothing asked
        ("", _auth(token()), b'{"seat_ids": ["zz"]}'),                     # not a seat id
        ("", _auth(token()), b'{"seat_ids": ["0000000000000000"]}'),       # not the show's seat
        ("", _auth(token()), seat(3) + b" " * 3_000_000),                  # too large
        *(("", headers, body) for headers in _refused_tokens(token)),
        ("?x=1", _auth(token()), seat(4)),                                 # a query string
        ("", {**_auth(token()), "content-type": "application/x-www-form-urlencoded"}, b"a=%00"),
        ("", {**_auth(keyed), "idempotency-key": "k1"}, seat(5)),
        ("", {**_auth(keyed), "idempotency-key": "k1"}, seat(5)),          # replay
        ("", {**_auth(keyed), "idempotency-key": "k1"}, seat(6)),          # other body
        ("", {**_auth(token()), "x-queue-pass": "nope"}, seat(7)),
        ("", _auth(token()), b'{"zones": {"nowhere": 1}}'),
        ("", _auth(token()), b'{"seat_ids": ["%s"], "best_available": {"quantity": 1}}' % seats[8].encode()),
        ("", _auth(token()), b'{"best_available": {"quantity": 2}}'),    # best available
    ]
    # The buyer's route budget (20 at once): the 21st is refused.
    cases += [("", _auth(limited), seat(9))] * 22
    return [("POST", f"/holds{query}", headers, body) for query, headers, body in cases]


def _waiting_room_cases(token: Token) -> list[Request]:
    """A broad set of joins and polls of a show's waiting room."""
    first, second, polling, stranger = token(), token(), token(), token()
    cases: list[Request] = [
        ("GET", "/queue/me", _auth(first), b""),                           # 404: not in line
        ("POST", "/queue", _auth(first), b""),                             # 201
        ("POST", "/queue", _auth(first), b""),                             # 200: the same place
        ("POST", "/queue", _auth(second), b'{"ignored": "\\u0000"}'),      # a body nobody reads
        ("GET", "/queue/me", _auth(first), b""),
        ("GET", "/queue/me?x=1", _auth(second), b""),                      # a query string
        ("POST", "/queue", {**_auth(second), "host": "not a host"}, b""),  # 400: Litestar's Host check
        *(("POST", "/queue", headers, b"") for headers in _refused_tokens(token)),
        *(("GET", "/queue/me", headers, b"") for headers in _refused_tokens(token)),
        ("POST", "/queue", _auth(polling), b""),                           # the address' third join
        ("POST", "/queue", _auth(stranger), b""),                          # 429: the address' joins spent
        ("GET", "/queue/me", _auth(stranger), b""),                        # 404
    ]
    # The poller's budget (10 at once): the 11th is refused.
    return cases + [("GET", "/queue/me", _auth(polling), b"")] * 12


def _conditional_cases(token: Token, etags: dict[str, str]) -> list[Request]:
    """Reads of the seat map and availability, most of them revalidations (304)."""
    cases: list[Request] = []
    for path, etag in etags.items():
        cases += [
            ("GET", path, {}, b""),                                                   # 200
            ("GET", path, {"if-none-match": etag}, b""),                             # 304
            ("GET", path, {"if-none-match": f'W/"x", {etag}'}, b""),                 # 304, one of a list
            ("GET", path, {"if-none-match": '"other"'}, b""),                        # 200
            ("GET", path, {"if-none-match": "*"}, b""),
            ("GET", path, {**_auth(token()), "if-none-match": etag}, b""),           # a buyer's budget
            ("GET", path, {**_auth("not.a.token"), "if-none-match": etag}, b""),     # the address'
            ("GET", f"{path}?x=1", {"if-none-match": etag}, b""),                    # a query string
        ]
    return cases


def _masked(response: httpx.Response, show_id: str, seats: list[str], timed: frozenset[str] = frozenset()) -> Answer:
    """The answer with what differs from one request to the next masked: ids, and the `timed` headers' values."""
    text = response.content.decode("utf-8", "replace").replace(show_id, "SHOW")
    for index, seat in enumerate(seats):
        text = text.replace(seat, f"SEAT{index}")
    text = re.sub(r'"(hold_id|hold_token|entry_id|expires_at|max_expires_at|request_id)":"[^"]*"', r'"\1":"-"', text)
    headers = [(name, "-" if name in ("x-request-id", "location", *timed) else value.replace(show_id, "SHOW"))
               for name, value in response.headers.multi_items() if name not in ("date",)]
    return response.status_code, headers, text


def _lane_off(app: Litestar) -> Callable[[], None]:
    edge = app.asgi_handler
    assert isinstance(edge, Edge) and isinstance(edge.app, HotLane)
    lane = edge.app
    edge.app = lane.full_path

    def back() -> None:
        edge.app = lane

    return back


async def _both_ways(app: Litestar, api_from: ApiFrom, monkeypatch: Any, show: Callable[[], Awaitable[Any]],
                     cases: Callable[[Any], list[Request]], timed: frozenset[str] = frozenset(),
                     ) -> tuple[list[Answer], list[Answer], int]:
    """The answers to `cases(show)`, each way on a new show: with the lane, without, and how many the lane served."""
    served = []
    serve = hot_lane._HotRoute.bill_and_run

    async def counted(route: Any, request: Any, *args: Any) -> None:
        served.append(request.scope["path"])
        await serve(route, request, *args)

    monkeypatch.setattr(hot_lane._HotRoute, "bill_and_run", counted)
    answers = []
    lane_served = 0
    for lane, address in ((True, "198.51.100.1"), (False, "198.51.100.2")):
        made = await show()
        seats = getattr(made, "seat_ids", [])
        back = (lambda: None) if lane else _lane_off(app)
        try:
            seen = []
            for method, path, headers, body in cases(made):
                response = await api_from(address).request(method, f"/v1/shows/{made.show_id}{path}",
                                                           headers=headers, content=body)
                seen.append(_masked(response, made.show_id, seats, timed))
        finally:
            back()
        answers.append(seen)
        lane_served = len(served) if lane else lane_served
    assert len(served) == lane_served, "the lane served requests while it was off"
    with_lane, without = answers
    for index, (mine, theirs) in enumerate(zip(with_lane, without, strict=True)):
        assert mine == theirs, f"case {index}"
    return with_lane, without, lane_served


async def test_hold_answers_are_the_full_paths_answers(app: Litestar, api_from: ApiFrom, resources: Resources,
                                                        make_show_on_sale: Any, monkeypatch: Any) -> None:
    token = _tokens(resources)

    async def show() -> Any:
        return await make_show_on_sale(seats=40, zones={"floor": 10})

    with_lane, _, lane_served = await _both_ways(app, api_from, monkeypatch, show,
                                                 lambda made: _hold_cases(token, made.seat_ids))
    assert {201, 409, 400, 422, 413, 401, 403, 429} <= {status for status, _, _ in with_lane}
    # The plain ones (valid, conflicting, unknown seats or zones, best available, the budget's) took the lane.
    assert lane_served >= 25


async def test_waiting_room_answers_are_the_full_paths_answers(
    app: Litestar, api: httpx.AsyncClient, api_from: ApiFrom, resources: Resources, make_show_on_sale: Any,
    clock: TestClock, monkeypatch: Any,
) -> None:
    token = _tokens(resources)

    async def show() -> Any:
        made = await make_show_on_sale(seats=10)
        await open_room(api, made, clock)
        return made

    with_lane, _, lane_served = await _both_ways(app, api_from, monkeypatch, show,
                                                 lambda _: _waiting_room_cases(token))
    assert {200, 201, 400, 401, 403, 404, 429} <= {status for status, _, _ in with_lane}
    # Every join and poll with a buyer's token and no query string took the lane.
    assert lane_served == 20


async def test_seat_map_and_availability_answers_are_the_full_paths_answers(
    app: Litestar, api: httpx.AsyncClient, api_from: ApiFrom, resources: Resources, make_show_on_sale: Any,
    monkeypatch: Any,
) -> None:
    token = _tokens(resources)
    made = await make_show_on_sale(seats=10, zones={"floor": 10})
    # Reads change nothing: both ways read the one show.
    etags = {path: (await api.get(f"/v1/shows/{made.show_id}{path}")).headers["etag"]
             for path in ("/seatmap", "/availability")}

    async def show() -> Any:
        return made

    # Both ways read one show, one after the other, so their general budgets refill (and leases lapse)
    # as the time each request took allows: the budget's counts are compared for their presence only.
    with_lane, _, lane_served = await _both_ways(app, api_from, monkeypatch, show,
                                                 lambda _: _conditional_cases(token, etags),
                                                 timed=frozenset({"ratelimit-remaining", "ratelimit-reset"}))
    assert {200, 304} == {status for status, _, _ in with_lane}
    assert lane_served == 14  # all but the query strings


async def test_an_error_while_the_bill_is_settled_is_answered_as_the_full_path_answers_it(
    app: Litestar, api_from: ApiFrom, make_show_on_sale: Any, monkeypatch: Any,
) -> None:
    made = await make_show_on_sale(seats=10)

    async def broken(*_: Any) -> None:
        raise RuntimeError("the limiter broke")

    # Not an outage the limiter turns into Unavailable: Litestar's handlers answer it (a 500 problem).
    monkeypatch.setattr(RateLeases, "spend", broken)

    async def show() -> Any:
        return made

    with_lane, _, lane_served = await _both_ways(app, api_from, monkeypatch, show,
                                                 lambda _: [("GET", "/seatmap", {}, b"")])
    assert [status for status, _, _ in with_lane] == [500]
    assert lane_served == 1

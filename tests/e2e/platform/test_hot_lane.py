"""The hot lane (`lml.platform.http.hot_lane`) answers what the full Litestar path answers: the same
requests, sent to two shows of one world, the lane on for one and off for the other, get the same
statuses, headers and bodies (what differs by nature masked: ids, secrets, times, the shows' seats)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from litestar import Litestar

from lml.platform.domain.principal import Principal
from lml.platform.http import hot_lane
from lml.platform.http.edge import Edge
from lml.platform.http.hot_lane import HotLane
from lml.platform.ids import new_id
from lml.platform.resources import Resources

Request = tuple[str, dict[str, str], bytes]


def _cases(resources: Resources, seats: list[str]) -> list[Request]:
    """A broad set of hold requests, each buyer new (tokens made here, so each show gets its own)."""
    now = datetime.now(UTC)

    def token(scopes: frozenset[str] = frozenset({"buyer"}), issued: datetime = now, seconds: int = 3600) -> str:
        return resources.tokens.issue(Principal(new_id(), "guest", scopes, "g@example.com"), issued, seconds)

    def auth(value: str) -> dict[str, str]:
        return {"authorization": f"Bearer {value}", "content-type": "application/json"}

    one, two = token(), token()
    limited = token()
    keyed = token()
    body = b'{"seat_ids": ["%s", "%s"]}' % (seats[0].encode(), seats[1].encode())
    cases: list[Request] = [
        ("", auth(one), body),                                             # 201
        ("", auth(two), body),                                             # 409, the seats taken
        ("", auth(token()), b'{"seat_ids": ['),                            # malformed
        ("", auth(token()), b'{"seat_ids": "x"}'),                         # wrong type
        ("", auth(token()), b'{"seat_ids": ["%s"], "extra": 1}' % seats[2].encode()),  # unknown field
        ("", auth(token()), b""),                                          # no body
        ("", auth(token()), b"null"),
        ("", auth(token()), b'{"seat_ids": ["ab\\u0000c"]}'),               # a NUL
        ("", auth(token()), b'{"seat_ids": ["\xff\xfe"]}'),                # not UTF-8
        ("", auth(token()), b'{"seat_ids": []}'),                          # nothing asked
        ("", auth(token()), b'{"seat_ids": ["zz"]}'),                      # not a seat id
        ("", auth(token()), b'{"seat_ids": ["0000000000000000"]}'),        # not the show's seat
        ("", auth(token()), b'{"seat_ids": ["%s"]}' % seats[3].encode() + b" " * 3_000_000),  # too large
        ("", {"content-type": "application/json"}, body),                 # no token
        ("", auth("not.a.token"), body),
        ("", auth(token(issued=now - timedelta(hours=2), seconds=60)), body),  # expired
        ("", auth(token(frozenset({"other"}))), body),                     # wrong scope
        ("?x=1", auth(token()), b'{"seat_ids": ["%s"]}' % seats[4].encode()),  # a query string
        ("", {**auth(token()), "content-type": "application/x-www-form-urlencoded"}, b"a=%00"),
        ("", {**auth(keyed), "idempotency-key": "k1"}, b'{"seat_ids": ["%s"]}' % seats[5].encode()),
        ("", {**auth(keyed), "idempotency-key": "k1"}, b'{"seat_ids": ["%s"]}' % seats[5].encode()),  # replay
        ("", {**auth(keyed), "idempotency-key": "k1"}, b'{"seat_ids": ["%s"]}' % seats[6].encode()),  # other body
        ("", {**auth(token()), "x-queue-pass": "nope"}, b'{"seat_ids": ["%s"]}' % seats[7].encode()),
        ("", auth(token()), b'{"zones": {"nowhere": 1}}'),
        ("", auth(token()), b'{"seat_ids": ["%s"], "best_available": {"quantity": 1}}' % seats[8].encode()),
        ("", auth(token()), b'{"best_available": {"quantity": 2}}'),     # best available
    ]
    # The buyer's route budget (20 at once): the 21st is refused.
    cases += [("", auth(limited), b'{"seat_ids": ["%s"]}' % seats[9].encode())] * 22
    return cases


def _masked(response: httpx.Response, show_id: str, seats: list[str]) -> tuple[int, list[tuple[str, str]], str]:
    text = response.content.decode("utf-8", "replace").replace(show_id, "SHOW")
    for index, seat in enumerate(seats):
        text = text.replace(seat, f"SEAT{index}")
    text = re.sub(r'"(hold_id|hold_token|expires_at|max_expires_at|request_id)":"[^"]*"', r'"\1":"-"', text)
    headers = [(name, "-" if name in ("x-request-id", "location") else value.replace(show_id, "SHOW"))
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


async def test_hold_answers_are_the_full_paths_answers(api: httpx.AsyncClient, app: Litestar, resources: Resources,
                                                        make_show_on_sale: Any, monkeypatch: Any) -> None:
    served = []
    serve = hot_lane._HotRoute.bill_and_run

    async def counted(route: Any, request: Any, *args: Any) -> None:
        served.append(request.scope["path"])
        await serve(route, request, *args)

    monkeypatch.setattr(hot_lane._HotRoute, "bill_and_run", counted)
    answers = []
    lane_served = 0
    for lane in (True, False):
        show = await make_show_on_sale(seats=40, zones={"floor": 10})
        back = (lambda: None) if lane else _lane_off(app)
        try:
            seen = []
            for query, headers, body in _cases(resources, show.seat_ids):
                response = await api.post(f"/v1/shows/{show.show_id}/holds{query}", headers=headers, content=body)
                seen.append(_masked(response, show.show_id, show.seat_ids))
        finally:
            back()
        answers.append(seen)
        # The plain ones (valid, conflicting, unknown seats or zones, best available, the budget's) took the lane.
        lane_served = lane_served if not lane else len(served)
        assert lane_served >= 25
    assert len(served) == lane_served, "the lane served requests while it was off"
    with_lane, without = answers
    statuses = [status for status, _, _ in with_lane]
    assert {201, 409, 400, 422, 413, 401, 403, 429} <= set(statuses)
    for index, (mine, theirs) in enumerate(zip(with_lane, without, strict=True)):
        assert mine == theirs, f"case {index}"

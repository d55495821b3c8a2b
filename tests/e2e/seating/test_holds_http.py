"""Holds over HTTP: place, conflicts, refusals, bad input, fencing, extension cap, expiry, limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest

from lml.platform.domain.principal import Principal
from lml.platform.ids import new_id
from lml.platform.resources import Resources
from lml.seating.infrastructure.http import PLACE_HOLDS
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.seating import MakeBuyer, TestBuyer, hold_body, place_hold
from tests.timing import TestClock


def holds_url(show: TestShow) -> str:
    return f"/v1/shows/{show.show_id}/holds"


async def try_hold(api: httpx.AsyncClient, show: TestShow, buyer: TestBuyer, seats: list[str] | None = None,
                   zones: dict[str, int] | None = None) -> httpx.Response:
    return await api.post(holds_url(show), json=hold_body(seats, zones), headers=buyer.headers)


def problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    return body


def error_paths(response: httpx.Response) -> list[str]:
    return [e["path"] for e in response.json()["errors"]]


async def test_a_hold_answers_its_id_token_expiry_seats_and_zones(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=20, zones={"floor": 50})
    before = datetime.now().astimezone()
    response = await try_hold(api, show, make_buyer("user"), show.seat_ids[:2], {"floor": 3})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"hold_id", "hold_token", "show_id", "expires_at", "max_expires_at", "seats", "zones"}
    assert (body["seats"], body["zones"], body["show_id"]) == (show.seat_ids[:2], {"floor": 3}, show.show_id)
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires - before == pytest.approx(timedelta(seconds=show.hold_seconds), abs=timedelta(seconds=30))
    assert datetime.fromisoformat(body["max_expires_at"]) - expires == timedelta(seconds=show.hold_seconds)
    assert len(body["hold_token"]) >= 32
    assert response.headers["location"] == f"/v1/holds/{body['hold_id']}"


async def test_the_second_buyer_gets_409_listing_exactly_the_taken_seats(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=20)
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:3])
    response = await try_hold(api, show, make_buyer(), [show.seat_ids[5], show.seat_ids[1], show.seat_ids[2]])
    body = problem(response, 409)
    assert body["conflicts"] == [show.seat_ids[1], show.seat_ids[2]]
    assert str(body["type"]).endswith("/seats-unavailable")
    # Nothing was taken: the free seat of the refused request is still free.
    await place_hold(api, show.show_id, make_buyer(), seats=[show.seat_ids[5]])


async def test_a_ga_zone_never_gives_more_than_it_has(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=4, zones={"floor": 10}, max_seats_per_buyer=10)
    await place_hold(api, show.show_id, make_buyer(), zones={"floor": 7})
    body = problem(await try_hold(api, show, make_buyer(), zones={"floor": 4}), 409)
    assert body["zone_conflicts"] == [{"zone_id": "floor", "requested": 4, "remaining": 3}]
    assert body["conflicts"] == []
    await place_hold(api, show.show_id, make_buyer(), zones={"floor": 3})


async def test_unknown_seats_and_seats_of_another_show_are_422_naming_them(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=10)
    other = await make_show_on_sale(seats=10)
    foreign = next(s for s in other.seat_ids if s not in show.seat_ids)
    response = await try_hold(api, show, make_buyer(), [show.seat_ids[0], foreign, "0" * 16], {"nowhere": 1})
    body = problem(response, 422)
    assert str(body["type"]).endswith("/unknown-seats")
    assert body["unknown_seats"] == [foreign, "0" * 16]
    assert error_paths(response) == ["/seat_ids/1", "/seat_ids/2", "/zones/nowhere"]


async def test_blocked_seats_are_422(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=10, blocked=2)
    response = await try_hold(api, show, make_buyer(), [show.seat_ids[5], show.seat_ids[1]])
    body = problem(response, 422)
    assert str(body["type"]).endswith("/seats-blocked")
    assert body["blocked_seats"] == [show.seat_ids[1]]
    assert error_paths(response) == ["/seat_ids/1"]


async def test_a_show_whose_sale_is_over_refuses_holds_with_the_reason(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, clock: TestClock
) -> None:
    show = await make_show_on_sale(seats=10, starts_in=timedelta(days=1))
    clock.advance(days=2)  # the show has started: its sale closed
    response = await try_hold(api, show, make_buyer(), show.seat_ids[:1])
    assert str(problem(response, 422)["type"]).endswith("/show-not-on-sale")
    assert error_paths(response) == ["/show_id"]


async def test_a_show_that_never_went_on_sale_or_does_not_exist_is_not_found(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale
) -> None:
    draft = await make_show_on_sale(seats=10, on_sale=False)
    for show_id in (draft.show_id, new_id(), draft.show_id.upper()):
        response = await api.post(f"/v1/shows/{show_id}/holds", json=hold_body(draft.seat_ids[:1]),
                                  headers=make_buyer().headers)
        assert str(problem(response, 404)["type"]).endswith("/unknown-show"), show_id


async def test_the_per_buyer_limit_counts_the_buyers_other_live_holds(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=20, zones={"floor": 20}, max_seats_per_buyer=4)
    buyer = make_buyer()
    await place_hold(api, show.show_id, buyer, seats=show.seat_ids[:2])
    response = await try_hold(api, show, buyer, show.seat_ids[2:4], {"floor": 1})
    body = problem(response, 422)
    assert str(body["type"]).endswith("/buyer-limit-exceeded")
    assert (body["limit"], body["held"], body["requested"]) == (4, 2, 3)
    assert error_paths(response) == ["/seat_ids"]
    await place_hold(api, show.show_id, buyer, seats=show.seat_ids[2:4])
    # Another buyer is not limited by this one's holds.
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[4:8])


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({"seat_ids": ["not-a-seat", "ABCDEF0123456789"]}, ["/seat_ids/0", "/seat_ids/1"]),
        ({"seat_ids": ["00000000000000a1", "00000000000000a2", "00000000000000a1"]}, ["/seat_ids/2"]),
        ({"zones": {"floor": 0}}, ["/zones/floor"]),
        ({"zones": {"floor": -3}}, ["/zones/floor"]),
        ({"zones": {"floor": 10**9}}, ["/zones/floor"]),
        ({"zones": {"floor": 10**30}}, ["/zones/floor"]),
        ({"seat_ids": [f"{i:016x}" for i in range(5000)]}, ["/seat_ids"]),
        ({"seat_ids": []}, ["/seat_ids"]),
        ({"seat_ids": "00000000000000a1"}, ["/seat_ids"]),
        ({"seat_ids": [7]}, ["/seat_ids/0"]),
        ({"zones": {"floor": "two"}}, ["/zones/floor"]),
        ({"seats": ["00000000000000a1"]}, ["/seats"]),
    ],
)
async def test_bad_input_is_422_naming_the_field_and_holds_nothing(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale,
    body: dict[str, object], paths: list[str],
) -> None:
    show = await make_show_on_sale(seats=4, zones={"floor": 10})
    response = await api.post(holds_url(show), json=body, headers=make_buyer().headers)
    problem(response, 422)
    assert error_paths(response) == paths
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids, zones={"floor": 4})


@pytest.mark.parametrize(("raw", "status", "kind", "detail"), [
    (b"{", 400, "malformed-json", "The request body is not valid JSON"),
    (b'{"seat_ids": []} x', 400, "malformed-json", "The request body is not valid JSON"),
    # Not UTF-8: the caller's malformed body, not our crash.
    (b'{"seat_ids": ["\xff"]}', 400, "malformed-json", "The request body is not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, 400, "malformed-json", "The request body is nested too deeply"),
    (b"", 422, "validation-error", "/data: 'data'"),
    (b"null", 422, "validation-error", "/: Expected `object`, got `null`"),
    (b'{"seat_ids": 5, "zones": 3, "foo": 1}', 422, "validation-error",
     "/seat_ids: Expected `array`, got `int`; /zones: Expected `object`, got `int`; /foo: is not a known field"),
    (b'{"best_available": {"quantity": 2, "zz": 1}}', 422, "validation-error",
     "/best_available: Object contains unknown field `zz`"),
])
async def test_a_body_that_is_not_a_hold_request_is_refused_and_holds_nothing(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale,
    raw: bytes, status: int, kind: str, detail: str,
) -> None:
    show = await make_show_on_sale(seats=4)
    for key in (None, "first-try"):  # read by the route, or by the Idempotency-Key check first
        response = await api.post(holds_url(show), content=raw, headers={
            **make_buyer().headers, "Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})})
        refused = problem(response, status)
        assert (refused["type"], refused["detail"]) == (f"https://lml.dev/problems/{kind}", detail)
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids)


async def test_a_token_without_the_buyer_scope_gets_403_and_holds_nothing(
    api: httpx.AsyncClient, resources: Resources, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer
) -> None:
    show = await make_show_on_sale(seats=4)
    token = resources.tokens.issue(Principal(new_id(), "user", frozenset(), "staff@example.com"), datetime.now(UTC))
    for key in (None, "first-try"):
        refused = await api.post(holds_url(show), json=hold_body(show.seat_ids[:1]), headers={
            "Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})})
        assert "buyer" in str(problem(refused, 403)["detail"])
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids)


async def test_a_buyer_without_a_token_gets_401(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=4)
    anonymous = await api.post(holds_url(show), json=hold_body(show.seat_ids[:1]))
    assert problem(anonymous, 401)
    forged = await api.post(holds_url(show), json=hold_body(show.seat_ids[:1]),
                            headers={"Authorization": "Bearer not.a.token"})
    assert problem(forged, 401)
    assert (await api.patch(f"/v1/holds/{'x' * 38}")).status_code == 401
    assert (await api.delete(f"/v1/holds/{'x' * 38}")).status_code == 401


async def test_extend_and_release_need_the_hold_token_and_change_nothing_without_it(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=10)
    held = await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:2])
    url = f"/v1/holds/{held.hold_id}"
    for request in (api.patch, api.delete):
        missing = await request(url, headers=held.buyer.headers)
        assert str(problem(missing, 412)["type"]).endswith("/hold-token-required")
        wrong = await request(url, headers={**held.buyer.headers, "If-Match": "not-the-token"})
        assert str(problem(wrong, 412)["type"]).endswith("/hold-token-mismatch")
    # Another buyer, even with the token, does not see the hold.
    stranger = make_buyer()
    assert (await api.delete(url, headers={**stranger.headers, "If-Match": held.hold_token})).status_code == 404
    assert (await try_hold(api, show, make_buyer(), show.seat_ids[:1])).status_code == 409
    quoted = await api.delete(url, headers={**held.buyer.headers, "If-Match": f'"{held.hold_token}"'})
    assert quoted.status_code == 204
    assert (await api.delete(url, headers=held.if_match)).status_code == 404
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:2])


async def test_a_hold_extends_up_to_its_cap_then_refuses(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, hold_clock: TestClock
) -> None:
    show = await make_show_on_sale(seats=10, hold_seconds=600)
    held = await place_hold(api, show.show_id, make_buyer("user"), seats=show.seat_ids[:1])
    url = f"/v1/holds/{held.hold_id}"
    hold_clock.advance(milliseconds=300_000)
    extended = await api.patch(url, headers=held.if_match)
    assert extended.status_code == 200, extended.text
    assert datetime.fromisoformat(extended.json()["expires_at"]) - held.expires_at == timedelta(seconds=300)
    hold_clock.advance(milliseconds=500_000)
    capped = (await api.patch(url, headers=held.if_match)).json()
    assert capped["expires_at"] == capped["max_expires_at"]
    assert datetime.fromisoformat(capped["expires_at"]) - held.expires_at == timedelta(seconds=600)
    again = await api.patch(url, headers=held.if_match)
    assert str(problem(again, 409)["type"]).endswith("/hold-extension-limit-reached")
    hold_clock.advance(milliseconds=400_000)
    assert (await api.patch(url, headers=held.if_match)).status_code == 404


async def test_a_guest_hold_lives_once_its_hold_time_and_cannot_be_extended(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, hold_clock: TestClock
) -> None:
    show = await make_show_on_sale(seats=10, hold_seconds=600)
    held = await place_hold(api, show.show_id, make_buyer("guest"), seats=show.seat_ids[:1])
    hold_clock.advance(milliseconds=300_000)
    refused = await api.patch(f"/v1/holds/{held.hold_id}", headers=held.if_match)
    assert str(problem(refused, 409)["type"]).endswith("/hold-extension-limit-reached")
    hold_clock.advance(milliseconds=300_000)
    assert (await api.patch(f"/v1/holds/{held.hold_id}", headers=held.if_match)).status_code == 404
    # A registered buyer's hold of the same show lives up to twice as long.
    user = await place_hold(api, show.show_id, make_buyer("user"), seats=show.seat_ids[:1])
    hold_clock.advance(milliseconds=300_000)
    extended = await api.patch(f"/v1/holds/{user.hold_id}", headers=user.if_match)
    assert extended.status_code == 200, extended.text
    assert datetime.fromisoformat(extended.json()["max_expires_at"]) - user.expires_at == timedelta(seconds=600)


async def test_an_expired_hold_frees_its_seats_and_places_by_itself(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, hold_clock: TestClock
) -> None:
    show = await make_show_on_sale(seats=10, zones={"floor": 5})
    buyer = make_buyer()
    held = await place_hold(api, show.show_id, buyer, seats=show.seat_ids[:2], zones={"floor": 5})
    hold_clock.advance(milliseconds=show.hold_seconds * 1000 - 1)
    assert (await try_hold(api, show, make_buyer(), show.seat_ids[1:3])).status_code == 409
    hold_clock.advance(milliseconds=1)
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:2], zones={"floor": 5})
    assert (await api.patch(f"/v1/holds/{held.hold_id}", headers=held.if_match)).status_code == 404
    # The buyer's expired hold no longer counts against their limit.
    await place_hold(api, show.show_id, buyer, seats=show.seat_ids[2:2 + show.max_seats_per_buyer])


async def test_a_flushed_redis_is_rebuilt_from_postgresql_and_sold_seats_stay_unholdable(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources,
    service_urls: dict[str, str],
) -> None:
    show = await make_show_on_sale(seats=10)
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:1])  # loads the show into Redis
    with psycopg.connect(service_urls["owner_dsn"], autocommit=True) as owner:
        owner.execute("UPDATE seating.show_seats SET status = 'sold', order_id = %s, version = version + 1"
                      " WHERE show_id = %s AND seat_id = ANY(%s)", (new_id(), show.show_id, show.seat_ids[2:4]))
    await resources.redis.flushdb()
    response = await try_hold(api, show, make_buyer(), show.seat_ids[:4])
    assert problem(response, 409)["conflicts"] == show.seat_ids[2:4]
    # The flush lost the earlier hold (Redis was its only home); the rebuilt show knows the sales.
    await place_hold(api, show.show_id, make_buyer(), seats=show.seat_ids[:2])


async def test_hold_routes_carry_rate_limit_headers_and_answer_429_past_the_budget(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = make_buyer()
    answers = [await try_hold(api, show, buyer, ["0" * 16]) for _ in range(PLACE_HOLDS.capacity + 1)]
    assert [a.status_code for a in answers] == [422] * PLACE_HOLDS.capacity + [429]
    assert answers[0].headers["ratelimit-limit"] == str(PLACE_HOLDS.capacity)
    assert answers[0].headers["ratelimit-remaining"] == str(PLACE_HOLDS.capacity - 1)
    assert int(answers[0].headers["ratelimit-reset"]) >= 1
    refused = answers[-1]
    assert str(problem(refused, 429)["type"]).endswith("/too-many-requests")
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["ratelimit-remaining"] == "0"
    # Budgets are per buyer.
    assert (await try_hold(api, show, make_buyer(), show.seat_ids[:1])).status_code == 201


async def test_a_buyers_hold_budget_is_theirs_per_show_and_spent_by_requests_the_store_never_sees(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale, resources: Resources
) -> None:
    first, second = await make_show_on_sale(seats=4), await make_show_on_sale(seats=4)
    buyer = make_buyer()
    # Bodies that fail validation never reach the hold script: they still pay, before their answer.
    invalid = [await api.post(holds_url(first), json={"seat_ids": 5}, headers=buyer.headers)
               for _ in range(PLACE_HOLDS.capacity)]
    assert {a.status_code for a in invalid} == {422}
    assert [a.headers["ratelimit-remaining"] for a in invalid] == [
        str(n) for n in range(PLACE_HOLDS.capacity - 1, -1, -1)]
    refused = await try_hold(api, first, buyer, first.seat_ids[:1])
    assert problem(refused, 429) and int(refused.headers["retry-after"]) >= 1
    assert refused.headers["ratelimit-remaining"] == "0"
    held = await try_hold(api, second, buyer, second.seat_ids[:1])
    assert held.status_code == 201, held.text
    assert held.headers["ratelimit-remaining"] == str(PLACE_HOLDS.capacity - 1)
    # In a cluster a script runs on one slot: every bucket a hold spends carries its show's hash tag.
    buckets = [key.decode() async for key in resources.redis.scan_iter(match="*ratelimit*")]
    assert buckets and all(f"{{{first.show_id}}}" in key or f"{{{second.show_id}}}" in key for key in buckets)


async def test_best_available_holds_spend_the_same_budget(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = make_buyer()
    for _ in range(PLACE_HOLDS.capacity - 1):
        await try_hold(api, show, buyer, ["0" * 16])
    best = await api.post(holds_url(show), json={"best_available": {"quantity": 1}}, headers=buyer.headers)
    assert best.status_code == 201, best.text
    assert best.headers["ratelimit-remaining"] == "0"
    again = await api.post(holds_url(show), json={"best_available": {"quantity": 1}}, headers=buyer.headers)
    assert problem(again, 429) and again.headers["ratelimit-remaining"] == "0"


async def test_an_idempotency_key_replays_the_same_hold(
    api: httpx.AsyncClient, make_buyer: MakeBuyer, make_show_on_sale: MakeShowOnSale
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = make_buyer()
    headers = {**buyer.headers, "Idempotency-Key": "hold-attempt-1"}
    first = await api.post(holds_url(show), json=hold_body(show.seat_ids[:2]), headers=headers)
    again = await api.post(holds_url(show), json=hold_body(show.seat_ids[:2]), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    other = await api.post(holds_url(show), json=hold_body(show.seat_ids[2:]), headers=headers)
    assert problem(other, 422)["type"] == "https://lml.dev/problems/key-reused-with-other-body"


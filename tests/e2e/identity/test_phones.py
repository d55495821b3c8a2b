"""A user's profile (`PATCH /v1/me`: name and phone) and a guest's phone: both reach the buyer's
orders, where notifications read the phone (`OrderingFacade.order_details`, `order_contact`)."""

from __future__ import annotations

import httpx

from lml.container import Container
from tests.e2e.identity.api import error_paths, me, password_grant, problem
from tests.e2e.ordering.journey import buy
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.identity import MakeUser
from tests.fixtures.seating import TestBuyer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_user_changes_their_name_and_phone(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = await make_user()

    response = await api.patch("/v1/me", json={"name": "  Ada L. ", "phone": " +447700900123"}, headers=user.headers)

    assert response.status_code == 200, response.text
    assert response.json()["user"]["name"] == "Ada L." and response.json()["user"]["phone"] == "+447700900123"
    assert response.json() == (await me(api, user.token)).json()
    kept = await api.patch("/v1/me", json={"name": "Ada"}, headers=user.headers)
    assert kept.json()["user"]["phone"] == "+447700900123"
    cleared = await api.patch("/v1/me", json={"name": "Ada", "phone": None}, headers=user.headers)
    assert cleared.json()["user"]["phone"] is None


async def test_bad_profile_changes_name_every_bad_field_and_change_nothing(
    api: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user(name="Ada")
    assert error_paths(await api.patch("/v1/me", json={"name": " ", "phone": "07700 900123"},
                                       headers=user.headers)) == {"/name", "/phone"}
    assert error_paths(await api.patch("/v1/me", json={"name": "Ada", "phone": "+0123"},
                                       headers=user.headers)) == {"/phone"}
    assert error_paths(await api.patch("/v1/me", json={"name": "A\nda"}, headers=user.headers)) == {"/name"}
    problem(await api.patch("/v1/me", json={"name": "Ada", "email": "x@example.com"}, headers=user.headers), 422)
    problem(await api.patch("/v1/me", json={"phone": "+447700900123"}, headers=user.headers), 422)
    profile = (await me(api, user.token)).json()["user"]
    assert (profile["name"], profile["phone"]) == ("Ada", None)
    problem(await api.patch("/v1/me", json={"name": "Ada"}), 401)


async def test_a_guest_has_no_profile_to_change(api: httpx.AsyncClient) -> None:
    guest = (await api.post("/v1/auth/guest", json={"email": "ada@example.com", "name": "Ada"})).json()
    problem(await api.patch("/v1/me", json={"name": "Ada"}, headers=bearer(guest["access_token"])), 403)


async def test_a_guest_may_give_a_phone_and_it_is_kept_on_their_order(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, container: Container,
) -> None:
    show = await make_show_on_sale(seats=4)
    assert error_paths(await api.post("/v1/auth/guest", json={"email": "ada@example.com", "name": "Ada",
                                                              "phone": "12345"})) == {"/phone"}
    response = await api.post("/v1/auth/guest", json={"email": "ada@example.com", "name": "Ada",
                                                      "phone": "+14155550100"})
    assert response.status_code == 201, response.text
    session = response.json()
    assert session["phone"] == "+14155550100" and session["email_verified"] is False
    buyer = TestBuyer(kind="guest", subject=session["guest_id"], email="ada@example.com",
                      token=session["access_token"])

    placed = await buy(api, buyer, show.show_id, show.seat_ids[:1])

    details = await container.ordering_facade.order_details(placed["order_id"])
    assert details is not None and details.buyer_phone == "+14155550100"
    contact = await container.ordering_facade.order_contact(placed["order_id"])
    assert contact is not None and (contact.buyer_email, contact.buyer_phone) == ("ada@example.com", "+14155550100")


async def test_a_users_phone_reaches_their_orders_from_their_next_login(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, container: Container,
) -> None:
    show = await make_show_on_sale(seats=4)
    user = await make_user()
    assert (await api.patch("/v1/me", json={"name": "Ada", "phone": "+447700900123"},
                            headers=user.headers)).status_code == 200
    token = (await password_grant(api, user.email, user.password)).json()["access_token"]
    buyer = TestBuyer(kind="user", subject=user.user_id, email=user.email, token=token)

    placed = await buy(api, buyer, show.show_id, show.seat_ids[:1])

    details = await container.ordering_facade.order_details(placed["order_id"])
    assert details is not None and details.buyer_phone == "+447700900123"
    phoneless = await container.ordering_facade.order_details(
        (await buy(api, TestBuyer(kind="user", subject=user.user_id, email=user.email, token=user.token),
                   show.show_id, show.seat_ids[1:2]))["order_id"])
    assert phoneless is not None and phoneless.buyer_phone is None

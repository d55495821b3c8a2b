"""Venues over HTTP, as an operator's app sees it: roles, tenants, drafts, publication, versions, export."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import msgspec
import pytest

from lml.platform.resources import Resources
from lml.venues.infrastructure.http import LAYOUT_MAX_BODY_BYTES
from lml.venues.infrastructure.mongo_layouts import DRAFTS, VERSIONS
from tests.fixtures.identity import MakeOperator, TestOperator, TestUser
from tests.fixtures.venues import layout_json

Client = httpx.AsyncClient
VENUE = {"name": "Lyric Theatre", "address": "29 Shaftesbury Avenue", "city": "London", "country": "GB",
         "timezone": "Europe/London"}


async def new_venue(client: Client, operator: TestOperator, **fields: Any) -> dict[str, Any]:
    response = await client.post("/v1/admin/venues", json={**VENUE, **fields}, headers=operator.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def layouts_url(venue: dict[str, Any]) -> str:
    return f"/v1/admin/venues/{venue['venue_id']}/layouts"


async def new_layout(client: Client, operator: TestOperator, venue: dict[str, Any], body: dict[str, Any] | None = None
                     ) -> dict[str, Any]:
    response = await client.post(layouts_url(venue), json=body or layout_json(20), headers=operator.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def published(client: Client, operator: TestOperator, venue: dict[str, Any],
                    body: dict[str, Any] | None = None) -> dict[str, Any]:
    layout = await new_layout(client, operator, venue, body)
    response = await client.post(f"{layouts_url(venue)}/{layout['layout_id']}/publish", headers=operator.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def seat_ids(document: dict[str, Any]) -> list[str]:
    return [s["seat_id"] for section in document["sections"] for row in section["rows"] for s in row["seats"]]


async def stored_documents(resources: Resources, org_id: str) -> int:
    db = resources.mongo.db
    return sum([await db[name].count_documents({"org_id": org_id}) for name in (DRAFTS, VERSIONS)])


async def layout_rows(resources: Resources) -> int:
    import psycopg

    with psycopg.connect(resources.settings.migrate_database_url) as conn:
        row = conn.execute("SELECT count(*) FROM venues.layout_versions").fetchone()
    return int(row[0]) if row else 0


@pytest.fixture
async def owner(make_operator: MakeOperator) -> TestOperator:
    return await make_operator("owner")


# --- Venues, roles and tenants


async def test_an_owner_creates_lists_and_reads_venues(client: Client, owner: TestOperator) -> None:
    venue = await new_venue(client, owner)
    assert venue["capacity"] == {"seats": 0, "standing": 0, "total": 0}
    listed = (await client.get("/v1/admin/venues", headers=owner.headers)).json()
    assert [v["venue_id"] for v in listed["items"]] == [venue["venue_id"]]
    read = await client.get(f"/v1/admin/venues/{venue['venue_id']}", headers=owner.headers)
    assert read.status_code == 200 and read.json()["timezone"] == "Europe/London"


async def test_a_venue_with_bad_fields_gets_422_naming_each(client: Client, owner: TestOperator) -> None:
    response = await client.post("/v1/admin/venues", json={**VENUE, "name": "", "timezone": "Nowhere/Land"},
                                 headers=owner.headers)
    assert response.status_code == 422
    assert {e["path"] for e in response.json()["errors"]} == {"/name", "/timezone"}


async def test_box_office_may_read_but_gets_403_writing(
    client: Client, owner: TestOperator, make_operator: MakeOperator
) -> None:
    venue = await new_venue(client, owner)
    layout = await published(client, owner, venue)
    clerk = await make_operator("box_office", org_id=owner.org_id)
    assert (await client.get("/v1/admin/venues", headers=clerk.headers)).status_code == 200
    url = f"{layouts_url(venue)}/{layout['layout_id']}"
    assert (await client.get(url, headers=clerk.headers)).status_code == 200
    assert (await client.get(url, params={"format": "export"}, headers=clerk.headers)).status_code == 200
    for method, path, body in (
        ("POST", "/v1/admin/venues", {**VENUE, "name": "Other"}),
        ("POST", layouts_url(venue), layout_json(4)),
        ("PUT", url, layout_json(4)),
        ("POST", f"{url}/publish", None),
        ("POST", f"{url}/versions", None),
    ):
        response = await client.request(method, path, json=body, headers=clerk.headers)
        assert response.status_code == 403, (method, path, response.text)


async def test_a_manager_may_write(client: Client, owner: TestOperator, make_operator: MakeOperator) -> None:
    manager = await make_operator("manager", org_id=owner.org_id)
    venue = await new_venue(client, manager)
    assert (await published(client, manager, venue))["status"] == "published"


async def test_another_organizations_venue_and_layout_are_404(
    client: Client, owner: TestOperator, make_operator: MakeOperator
) -> None:
    venue = await new_venue(client, owner)
    layout = await published(client, owner, venue)
    stranger = await make_operator("owner")
    url = f"{layouts_url(venue)}/{layout['layout_id']}"
    for method, path, body in (
        ("GET", f"/v1/admin/venues/{venue['venue_id']}", None),
        ("GET", layouts_url(venue), None),
        ("POST", layouts_url(venue), layout_json(4)),
        ("GET", url, None),
        ("PUT", url, layout_json(4)),
        ("POST", f"{url}/publish", None),
        ("GET", f"{url}/versions", None),
    ):
        response = await client.request(method, path, json=body, headers=stranger.headers)
        assert response.status_code == 404, (method, path, response.text)
    assert (await client.get("/v1/admin/venues", headers=stranger.headers)).json() == {"items": []}


async def test_a_layout_id_under_another_of_ones_own_venues_is_404(client: Client, owner: TestOperator) -> None:
    venue, other = await new_venue(client, owner), await new_venue(client, owner, name="Other")
    layout = await new_layout(client, owner, venue)
    assert (await client.get(f"{layouts_url(other)}/{layout['layout_id']}", headers=owner.headers)).status_code == 404


async def test_without_a_token_or_an_organization_there_is_no_access(
    client: Client, owner: TestOperator, make_user: Any
) -> None:
    assert (await client.get("/v1/admin/venues")).status_code == 401
    assert (await client.post("/v1/admin/venues", json=VENUE)).status_code == 401
    no_org = {"Authorization": owner.headers["Authorization"]}
    response = await client.get("/v1/admin/venues", headers=no_org)
    assert response.status_code == 422 and "X-Org-ID" in response.text
    outsider: TestUser = await make_user()
    response = await client.get("/v1/admin/venues", headers={**outsider.headers, "X-Org-ID": owner.org_id})
    assert response.status_code == 403


# --- Drafts


async def test_a_draft_is_created_with_seat_ids_and_counts(client: Client, owner: TestOperator) -> None:
    venue = await new_venue(client, owner)
    body = {
        "name": "Main Hall", "layout_type": "hybrid", "viewport": {"width": 1, "height": 1, "unit": "relative"},
        "sections": [{"label": "A", "name": "Stalls", "rows": [{"label": "1", "seats": [
            {"number": 1, "x": 0.10, "y": 0.20, "accessible": False}]}]}],
        "zones": [{"zone_id": "floor", "name": "Floor", "capacity": 300,
                   "bounds": {"x": 0.1, "y": 0.8, "width": 0.8, "height": 0.15}}],
    }
    layout = await new_layout(client, owner, venue, body)
    assert (layout["version"], layout["status"], layout["hash"]) == (1, "draft", None)
    assert (layout["seat_count"], layout["zone_capacity"], layout["venue_id"]) == (1, 300, venue["venue_id"])
    [seat] = layout["sections"][0]["rows"][0]["seats"]
    assert len(seat["seat_id"]) == 16 and (seat["x"], seat["y"]) == (0.1, 0.2)


async def test_an_invalid_layout_gets_422_listing_every_problem_and_stores_nothing(
    client: Client, owner: TestOperator, resources: Resources
) -> None:
    venue = await new_venue(client, owner)
    body = layout_json(3, zones={"floor": 0})
    body["viewport"]["unit"] = "cm"
    seats = body["sections"][0]["rows"][0]["seats"]
    seats[0]["x"] = 1.2
    seats[2]["number"] = seats[1]["number"]
    response = await client.post(layouts_url(venue), json=body, headers=owner.headers)
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert {e["path"] for e in problem["errors"]} == {
        "/viewport/unit", "/sections/0/rows/0/seats/0/x", "/sections/0/rows/0/seats/2", "/zones/0/capacity",
    }
    assert await stored_documents(resources, owner.org_id) == 0
    assert await layout_rows(resources) == 0


async def test_a_body_of_the_wrong_shape_gets_422_naming_the_fields(client: Client, owner: TestOperator) -> None:
    venue = await new_venue(client, owner)
    body = layout_json(2)
    body["sections"][0]["rows"][0]["seats"][0]["x"] = "left"
    del body["viewport"]
    response = await client.post(layouts_url(venue), json=body, headers=owner.headers)
    assert response.status_code == 422
    assert {e["path"] for e in response.json()["errors"]} == {"/viewport", "/sections/0/rows/0/seats/0/x"}


async def test_an_oversize_body_gets_413_and_stores_nothing(
    client: Client, owner: TestOperator, resources: Resources
) -> None:
    venue = await new_venue(client, owner)
    padding = b" " * (LAYOUT_MAX_BODY_BYTES + 1)
    response = await client.post(layouts_url(venue), content=msgspec.json.encode(layout_json(2)) + padding,
                                 headers={**owner.headers, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert await stored_documents(resources, owner.org_id) == 0


async def test_a_large_layout_fits_the_layout_routes_body_limit(client: Client, owner: TestOperator) -> None:
    venue = await new_venue(client, owner)
    body = json.dumps(layout_json(20_000, sections=4), indent=4).encode()  # as an editor might save it
    assert len(body) > 2 * 1024 * 1024  # past the app's default limit
    response = await client.post(layouts_url(venue), content=body,
                                 headers={**owner.headers, "Content-Type": "application/json"})
    assert response.status_code == 201 and response.json()["seat_count"] == 20_000


async def test_a_draft_is_replaced_and_patched(client: Client, owner: TestOperator) -> None:
    venue = await new_venue(client, owner)
    layout = await new_layout(client, owner, venue, layout_json(10))
    url = f"{layouts_url(venue)}/{layout['layout_id']}"
    replaced = await client.put(url, json=layout_json(15), headers=owner.headers)
    assert replaced.status_code == 200 and replaced.json()["seat_count"] == 15
    assert seat_ids(replaced.json())[:10] == seat_ids(layout)
    patched = await client.patch(url, json={"name": "Concert setup"}, headers=owner.headers)
    assert patched.status_code == 200 and (patched.json()["name"], patched.json()["seat_count"]) == (
        "Concert setup", 15)
    read = (await client.get(url, headers=owner.headers)).json()
    assert read == patched.json()


async def test_a_document_read_back_can_be_sent_again_as_it_is(client: Client, owner: TestOperator) -> None:
    venue = await new_venue(client, owner)
    layout = await new_layout(client, owner, venue, layout_json(6, zones={"floor": 20}))
    url = f"{layouts_url(venue)}/{layout['layout_id']}"
    again = await client.put(url, json=layout, headers=owner.headers)
    assert again.status_code == 200
    assert seat_ids(again.json()) == seat_ids(layout) and again.json()["sections"] == layout["sections"]


# --- Publication and immutability


async def test_publishing_freezes_the_layout_with_its_hash(client: Client, owner: TestOperator) -> None:
    venue = await new_venue(client, owner)
    layout = await new_layout(client, owner, venue, layout_json(30, zones={"floor": 100}))
    url = f"{layouts_url(venue)}/{layout['layout_id']}"
    response = await client.post(f"{url}/publish", headers=owner.headers)
    assert response.status_code == 200
    result = response.json()
    assert (result["status"], result["version"], len(result["hash"])) == ("published", 1, 64)
    document = (await client.get(url, headers=owner.headers)).json()
    assert (document["status"], document["hash"]) == ("published", result["hash"])
    assert seat_ids(document) == seat_ids(layout)
    venue_now = (await client.get(f"/v1/admin/venues/{venue['venue_id']}", headers=owner.headers)).json()
    assert venue_now["capacity"] == {"seats": 30, "standing": 100, "total": 130}
    again = await client.post(f"{url}/publish", headers=owner.headers)
    assert again.status_code == 200 and again.json()["hash"] == result["hash"]


async def test_changing_a_published_layout_is_409_and_leaves_it_byte_for_byte(
    client: Client, owner: TestOperator, resources: Resources
) -> None:
    venue = await new_venue(client, owner)
    result = await published(client, owner, venue)
    url = f"{layouts_url(venue)}/{result['layout_id']}"
    versions = resources.mongo.db[VERSIONS]
    before = await versions.find_one({"layout_id": result["layout_id"]})
    export_before = (await client.get(url, params={"format": "export"}, headers=owner.headers)).content
    for response in (
        await client.put(url, json=layout_json(3), headers=owner.headers),
        await client.put(url, json=layout_json(3), params={"version": 1}, headers=owner.headers),
        await client.patch(url, json={"name": "Renamed"}, headers=owner.headers),
    ):
        assert response.status_code == 409, response.text
        assert response.json()["type"].endswith("/layout-immutable")
    assert await versions.find_one({"layout_id": result["layout_id"]}) == before
    export_after = await client.get(url, params={"format": "export"}, headers=owner.headers)
    assert export_after.content == export_before
    assert hashlib.sha256(export_after.content).hexdigest() == result["hash"]


async def test_a_new_version_copies_the_published_one_and_keeps_seat_ids(client: Client, owner: TestOperator) -> None:
    venue = await new_venue(client, owner)
    first = await published(client, owner, venue, layout_json(20))
    url = f"{layouts_url(venue)}/{first['layout_id']}"
    v1 = (await client.get(url, headers=owner.headers)).json()
    started = await client.post(f"{url}/versions", headers=owner.headers)
    assert started.status_code == 201
    v2 = started.json()
    assert (v2["version"], v2["status"], v2["hash"]) == (2, "draft", None)
    assert seat_ids(v2) == seat_ids(v1) and v2["sections"] == v1["sections"]
    assert (await client.post(f"{url}/versions", headers=owner.headers)).status_code == 409
    edited = await client.put(url, json=layout_json(24), headers=owner.headers)
    assert edited.status_code == 200 and edited.json()["version"] == 2
    second = (await client.post(f"{url}/publish", headers=owner.headers)).json()
    assert (second["version"], second["status"]) == (2, "published") and second["hash"] != first["hash"]
    # Version 1 is pinned for good: same document, same hash.
    old = (await client.get(url, params={"version": 1}, headers=owner.headers)).json()
    assert old == v1
    versions = (await client.get(f"{url}/versions", headers=owner.headers)).json()["items"]
    assert [(v["version"], v["status"], v["hash"]) for v in versions] == [
        (1, "published", first["hash"]), (2, "published", second["hash"])]
    summary = (await client.get(layouts_url(venue), headers=owner.headers)).json()["items"]
    assert [(s["layout_id"], s["latest_version"], s["published_version"], s["draft_version"]) for s in summary] == [
        (first["layout_id"], 2, 2, None)]


async def test_an_archived_version_is_still_exported_but_no_longer_latest(
    client: Client, owner: TestOperator
) -> None:
    venue = await new_venue(client, owner)
    first = await published(client, owner, venue)
    url = f"{layouts_url(venue)}/{first['layout_id']}"
    archived = await client.post(f"{url}/versions/1/archive", headers=owner.headers)
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    assert (await client.post(f"{url}/versions/1/archive", headers=owner.headers)).status_code == 409
    pinned = await client.get(url, params={"format": "export", "version": 1}, headers=owner.headers)
    assert pinned.status_code == 200 and pinned.headers["etag"] == f'"{first["hash"]}"'
    assert (await client.get(url, params={"format": "export"}, headers=owner.headers)).status_code == 409


# --- Export


async def test_the_export_is_canonical_json_with_the_hash_as_etag(client: Client, owner: TestOperator) -> None:
    venue = await new_venue(client, owner)
    result = await published(client, owner, venue, layout_json(12, zones={"floor": 50}))
    url = f"{layouts_url(venue)}/{result['layout_id']}"
    response = await client.get(url, params={"format": "export", "version": 1}, headers=owner.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["etag"] == f'"{result["hash"]}"'
    assert "max-age=31536000" in response.headers["cache-control"] and "immutable" in response.headers["cache-control"]
    assert hashlib.sha256(response.content).hexdigest() == result["hash"]
    assert response.content == msgspec.json.encode(msgspec.json.decode(response.content), order="sorted")
    exported = response.json()
    assert (exported["layout_id"], exported["version"], exported["seat_count"]) == (result["layout_id"], 1, 12)
    latest = await client.get(url, params={"format": "export"}, headers=owner.headers)
    assert latest.content == response.content and "must-revalidate" in latest.headers["cache-control"]


async def test_if_none_match_with_the_hash_gets_304(client: Client, owner: TestOperator) -> None:
    venue = await new_venue(client, owner)
    result = await published(client, owner, venue)
    url = f"{layouts_url(venue)}/{result['layout_id']}"
    etag = f'"{result["hash"]}"'
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = await client.get(url, params={"format": "export"},
                                    headers={**owner.headers, "If-None-Match": header})
        assert response.status_code == 304 and response.content == b"" and response.headers["etag"] == etag
    changed = await client.get(url, params={"format": "export"}, headers={**owner.headers, "If-None-Match": '"x"'})
    assert changed.status_code == 200


async def test_a_draft_has_no_export(client: Client, owner: TestOperator) -> None:
    venue = await new_venue(client, owner)
    layout = await new_layout(client, owner, venue)
    url = f"{layouts_url(venue)}/{layout['layout_id']}"
    response = await client.get(url, params={"format": "export"}, headers=owner.headers)
    assert response.status_code == 409 and response.json()["type"].endswith("/layout-not-published")


async def test_a_layout_altered_in_mongodb_is_refused_not_served(
    client: Client, owner: TestOperator, resources: Resources
) -> None:
    venue = await new_venue(client, owner)
    result = await published(client, owner, venue)
    url = f"{layouts_url(venue)}/{result['layout_id']}"
    versions = resources.mongo.db[VERSIONS]
    document = await versions.find_one({"layout_id": result["layout_id"]})
    assert document is not None
    document["content"]["sections"][0]["rows"][0]["seats"][0]["x"] = 0.999  # one seat moved, hash left alone
    await versions.replace_one({"_id": document["_id"]}, document)
    for params in ({"format": "export"}, {}):
        response = await client.get(url, params=params, headers=owner.headers)
        assert response.status_code == 409 and response.json()["type"].endswith("/layout-integrity-error")
    assert (await client.post(f"{url}/publish", headers=owner.headers)).status_code == 409


async def test_a_draft_altered_in_mongodb_is_refused_at_publish(
    client: Client, owner: TestOperator, resources: Resources
) -> None:
    venue = await new_venue(client, owner)
    layout = await new_layout(client, owner, venue)
    url = f"{layouts_url(venue)}/{layout['layout_id']}"
    await resources.mongo.db[DRAFTS].update_one({"_id": layout["layout_id"]}, {"$set": {"content.name": "Forged"}})
    response = await client.post(f"{url}/publish", headers=owner.headers)
    assert response.status_code == 409 and response.json()["type"].endswith("/layout-integrity-error")
    assert await resources.mongo.db[VERSIONS].count_documents({"layout_id": layout["layout_id"]}) == 0

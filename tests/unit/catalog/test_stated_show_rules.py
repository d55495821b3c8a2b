"""A show draft's schema, as the OpenAPI document states it, against the show rules: each field tried
at its rules' edges, one or two at a time; a draft the schema refuses is refused, and one the rules
refuse breaks the schema or a rule the route's 422 names (the layout, times, tiers across items)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import msgspec
from hypothesis import given, settings

from lml.catalog.domain.event import Event, EventDraft
from lml.catalog.domain.show import Show, ShowDraft
from lml.platform.domain.errors import InvalidInput
from tests.fixtures.stated_drafts import DELETE, Tries, assert_refused_exactly_when_stated, tries_of
from tests.unit.catalog.builders import ORG, VENUE, make_layout

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
EVENT = Event.create(event_id="e-1", org_id=ORG, venue=VENUE, now=NOW,
                     draft=EventDraft(venue_id=VENUE.venue_id, title="Gala", category="concert"))
LAYOUT = make_layout(zones={"floor": 100})
_SCHEMA = jsonschema_rs.validator_for(msgspec.json.schema(ShowDraft))
# Errors of rules across items: a tier id twice, a tier's currency not the show's, a pricing rule naming
# another tier or no target of the layout.
_UNSTATED = ("repeats tier", "the show's one currency", "is not one of the show's price tiers", "is not a ",
             "prices ")

_TEXTS = ["A", " A\t", "é", "", " ", "A" * 100, "A" * 101]
_AMOUNTS = [0, 100_000_000, -1, 100_000_001]
_BASE: dict[str, Any] = {
    "starts_at": "2027-03-01T19:30:00Z", "layout_id": "lay-1", "currency": "USD",
    "price_tiers": [{"tier_id": "std", "name": "Standard", "price": 5000, "currency": "USD",
                     "fees": [{"name": "Booking", "amount": 150}]}],
    "pricing": [{"tier_id": "std", "section": "A"}, {"tier_id": "std", "section": "B"},
                {"tier_id": "std", "zone_id": "floor"}],
    "max_seats_per_buyer": 8, "hold_seconds": 600, "avoid_single_seats": "off",
}
_TIER = ("price_tiers", 0)
_RULE = ("pricing", 0)
_TRIES: Tries = [
    (("currency",), ["EUR", "usd", "XXX", DELETE]), (("price_tiers",), [[], [_BASE["price_tiers"][0]] * 51, DELETE]),
    ((*_TIER, "tier_id"), ["a.b-c_9", "A" * 64, "A" * 65, "-a", "a\n", "é"]), ((*_TIER, "name"), _TEXTS),
    ((*_TIER, "price"), _AMOUNTS), ((*_TIER, "currency"), ["USD", "usd", None, DELETE]),
    ((*_TIER, "fees"), [[], [{"name": "F", "amount": 1}] * 11]), ((*_TIER, "fees", 0, "name"), _TEXTS),
    ((*_TIER, "fees", 0, "amount"), _AMOUNTS),
    ((*_RULE, "row"), ["1", None]), ((*_RULE, "section"), [None, DELETE]),
    ((*_RULE, "seat_id"), [None, "x"]), ((*_RULE, "zone_id"), [None, "floor"]),
    (("max_seats_per_buyer",), [1, 100, 0, 101]), (("hold_seconds",), [60, 3600, 59, 3601]),
    (("avoid_single_seats",), ["best_available", "all_holds", "none", DELETE]),
]




def _problems(draft: dict[str, Any]) -> list[str]:
    try:
        Show.create(show_id="s-1", event=EVENT, draft=msgspec.convert(draft, ShowDraft), layout=LAYOUT,
                    layout_errors=[], now=NOW)
    except InvalidInput as refused:
        return [error.message for error in refused.errors]
    except msgspec.ValidationError as refused:  # a field missing (the edge answers it as a 422 too)
        return [str(refused)]
    return []


def test_the_draft_tried_is_valid_as_it_is() -> None:
    assert _SCHEMA.is_valid(_BASE) and _problems(_BASE) == []


@settings(max_examples=300, database=None)
@given(tries=tries_of(_TRIES))
def test_a_show_draft_is_refused_exactly_when_it_breaks_the_schema_or_a_rule_the_route_names(
    tries: list[tuple[tuple[str | int, ...], Any]],
) -> None:
    assert_refused_exactly_when_stated(_SCHEMA, _BASE, tries, _problems,
                                       lambda message: any(part in message for part in _UNSTATED))

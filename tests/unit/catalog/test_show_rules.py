from datetime import UTC, datetime, timedelta

import pytest

from lml.catalog.domain.errors import (
    EventNotEditable,
    EventNotPublished,
    InvalidTransition,
    SaleWindowClosed,
    ShowNotEditable,
    UnpricedSeats,
)
from lml.catalog.domain.event import Event, EventDraft
from lml.catalog.domain.pricing import PricingRule, TierDraft
from lml.catalog.domain.show import Show, ShowChanges, ShowDraft, to_utc
from lml.platform.domain.errors import FieldError, InvalidInput
from tests.unit.catalog.builders import ORG, VENUE, make_layout, seat_id

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
LAYOUT = make_layout(zones={"floor": 100})


def event(status: str = "published") -> Event:
    e = Event.create(event_id="e-1", org_id=ORG, venue=VENUE, now=NOW,
                     draft=EventDraft(venue_id=VENUE.venue_id, title="Gala", category="concert"))
    if status != "draft":
        e.publish(NOW)
    if status == "cancelled":
        e.cancel(NOW)
    return e


def draft(**changes: object) -> ShowDraft:
    base = ShowDraft(
        starts_at=datetime(2027, 3, 1, 19, 30, tzinfo=UTC),
        layout_id="lay-1",
        price_tiers=(TierDraft(tier_id="std", name="Standard", price=5000),
                     TierDraft(tier_id="ga", name="Floor", price=3000)),
        pricing=(PricingRule(section="A", tier_id="std"), PricingRule(section="B", tier_id="std"),
                 PricingRule(zone_id="floor", tier_id="ga")),
    )
    return ShowChanges(**changes).applied_to(base)  # type: ignore[arg-type]


def create(d: ShowDraft, *, ev: Event | None = None, layout_errors: list[FieldError] | None = None) -> Show:
    return Show.create(show_id="s-1", event=ev or event(), draft=d, layout=None if layout_errors else LAYOUT,
                       layout_errors=layout_errors or [], now=NOW)


def error_paths(exc: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [e.path for e in exc.value.errors]


def test_a_show_pins_the_layout_version_and_hash_it_was_made_with() -> None:
    show = create(draft())
    assert (show.layout.layout_id, show.layout.version, show.layout.hash) == ("lay-1", 1, "h-lay-1-1")
    assert show.status == "draft"
    assert show.currency == "USD"


def test_local_times_are_the_venues_and_are_stored_in_utc() -> None:
    show = create(draft(starts_at=datetime(2027, 3, 1, 19, 30), doors_at=datetime(2027, 3, 1, 18, 30)))
    assert show.starts_at == datetime(2027, 3, 2, 0, 30, tzinfo=UTC)  # New York is UTC-5 in March
    assert show.doors_at == datetime(2027, 3, 1, 23, 30, tzinfo=UTC)


def test_a_local_time_the_clocks_skip_or_repeat_is_refused() -> None:
    assert "does not exist" in str(to_utc(datetime(2027, 3, 14, 2, 30), "America/New_York"))
    assert "happens twice" in str(to_utc(datetime(2027, 11, 7, 1, 30), "America/New_York"))
    assert to_utc(datetime(2027, 11, 7, 1, 30, tzinfo=UTC), "America/New_York") == datetime(2027, 11, 7, 1, 30,
                                                                                            tzinfo=UTC)


def test_a_reversed_sale_window_is_refused_naming_off_sale_at() -> None:
    with pytest.raises(InvalidInput) as exc:
        create(draft(on_sale_at=datetime(2027, 2, 1, tzinfo=UTC), off_sale_at=datetime(2027, 1, 20, tzinfo=UTC)))
    assert error_paths(exc) == ["/off_sale_at"]
    assert "reversed" in exc.value.errors[0].message


def test_a_sale_window_overlapping_the_show_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        create(draft(off_sale_at=datetime(2027, 3, 1, 21, 0, tzinfo=UTC)))
    assert error_paths(exc) == ["/off_sale_at"]


def test_every_problem_of_a_draft_is_listed_at_once() -> None:
    with pytest.raises(InvalidInput) as exc:
        create(draft(starts_at=NOW - timedelta(days=1), currency="usd", max_seats_per_buyer=0, hold_seconds=5,
                     price_tiers=(TierDraft(tier_id="std", name="S", price=-1, currency="EUR"),)),
               layout_errors=[FieldError("/layout_id", "is not published")])
    assert sorted(error_paths(exc)) == sorted([
        "/layout_id", "/starts_at", "/currency", "/max_seats_per_buyer", "/hold_seconds",
        "/price_tiers/0/price", "/price_tiers/0/currency", "/pricing/2/tier_id",
    ])


def test_a_layout_of_another_venue_is_refused() -> None:
    other = make_layout(venue_id="v-elsewhere")
    with pytest.raises(InvalidInput) as exc:
        Show.create(show_id="s", event=event(), draft=draft(), layout=other, layout_errors=[], now=NOW)
    assert error_paths(exc) == ["/layout_id"]


def test_a_cancelled_event_takes_no_shows() -> None:
    with pytest.raises(EventNotEditable):
        create(draft(), ev=event("cancelled"))


def test_going_on_sale_needs_every_sellable_seat_and_zone_priced() -> None:
    show = create(draft(pricing=(PricingRule(section="A", tier_id="std"),)))
    with pytest.raises(UnpricedSeats) as exc:
        show.plan_inventory(LAYOUT)
    b_seats = [s.seat_id for s in LAYOUT.seats if s.section == "B"]
    assert exc.value.extensions["unpriced_seats"] == b_seats
    assert exc.value.extensions["unpriced_zones"] == ["floor"]
    assert [e.message for e in exc.value.errors] == [
        "section B row 1: 3 seat(s) without a price tier (1, 2, 3)",
        "GA zone floor (Floor) has no price tier",
    ]


def test_a_blocked_seat_needs_no_price_and_is_planned_blocked() -> None:
    show = create(draft(pricing=(PricingRule(section="A", tier_id="std"), PricingRule(zone_id="floor", tier_id="ga"))))
    b_seats = [s.seat_id for s in LAYOUT.seats if s.section == "B"]
    show.set_blocked_before_sale(b_seats, True, NOW)
    plan = show.plan_inventory(LAYOUT)
    assert len(plan.seats) == len(LAYOUT.seats)
    assert {(s.tier_id, s.blocked) for s in plan.seats if s.seat_id in b_seats} == {(None, True)}
    assert [(z.zone_id, z.tier_id, z.capacity) for z in plan.zones] == [("floor", "ga", 100)]


def test_a_show_goes_on_sale_once_and_then_cannot_change() -> None:
    show = create(draft())
    assert show.put_on_sale(event(), NOW) is True
    assert show.put_on_sale(event(), NOW) is False
    with pytest.raises(ShowNotEditable):
        show.revise(event=event(), draft=draft(), layout=LAYOUT, layout_errors=[], now=NOW)
    with pytest.raises(ShowNotEditable):
        show.set_blocked_before_sale([seat_id("lay-1", "A", "1", 1)], True, NOW)


def test_a_show_of_an_unpublished_event_cannot_go_on_sale() -> None:
    with pytest.raises(EventNotPublished):
        create(draft(), ev=event("draft")).put_on_sale(event("draft"), NOW)


def test_a_show_whose_sale_window_closed_cannot_go_on_sale() -> None:
    show = create(draft(off_sale_at=datetime(2027, 2, 1, tzinfo=UTC)))
    with pytest.raises(SaleWindowClosed):
        show.put_on_sale(event(), datetime(2027, 2, 2, tzinfo=UTC))


def test_a_cancelled_show_stays_cancelled() -> None:
    show = create(draft())
    assert show.cancel(NOW) is True
    assert show.cancel(NOW) is False
    with pytest.raises(InvalidTransition):
        show.put_on_sale(event(), NOW)


@pytest.mark.parametrize(
    ("on_sale_at", "moment", "sold_out", "expected"),
    [
        (None, NOW, False, "on_sale"),
        (datetime(2027, 2, 1, tzinfo=UTC), NOW, False, "scheduled"),
        (datetime(2027, 2, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC), False, "on_sale"),
        (None, NOW, True, "sold_out"),
        (None, datetime(2027, 3, 1, 19, 30, tzinfo=UTC), False, "off_sale"),
        (None, datetime(2027, 3, 1, 19, 30, tzinfo=UTC), True, "off_sale"),
    ],
)
def test_sale_status_follows_the_window_and_the_inventory(
    on_sale_at: datetime | None, moment: datetime, sold_out: bool, expected: str
) -> None:
    show = create(draft(on_sale_at=on_sale_at))
    assert show.sale_status("published", NOW) == "scheduled"  # a draft is announced, not sold
    show.put_on_sale(event(), NOW)
    assert show.sale_status("published", moment, sold_out=sold_out) == expected


def test_a_cancelled_event_makes_every_show_cancelled_for_buyers() -> None:
    show = create(draft())
    show.put_on_sale(event(), NOW)
    assert show.sale_status("cancelled", NOW) == "cancelled"


def test_changing_a_drafts_layout_means_its_latest_version() -> None:
    changed = ShowChanges(layout_id="lay-2").applied_to(draft(layout_version=1))
    assert (changed.layout_id, changed.layout_version) == ("lay-2", None)
    kept = ShowChanges(hold_seconds=300).applied_to(draft(layout_version=1))
    assert (kept.layout_id, kept.layout_version, kept.hold_seconds) == ("lay-1", 1, 300)

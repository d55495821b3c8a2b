from lml.catalog.domain.pricing import (
    Fee,
    PriceTier,
    PricingRule,
    TierDraft,
    check_pricing,
    check_tiers,
    resolve_prices,
)
from tests.unit.catalog.builders import make_layout, seat_id


def tier(tier_id: str, price: int = 1000, **kw: object) -> TierDraft:
    return TierDraft(tier_id=tier_id, name=tier_id.title(), price=price, **kw)  # type: ignore[arg-type]


def paths(errors: list) -> list[str]:  # type: ignore[type-arg]
    return [e.path for e in errors]


def test_a_seat_rule_beats_its_row_and_a_row_rule_beats_its_section() -> None:
    layout = make_layout(sections={"A": {"1": 3, "2": 2}})
    rules = [
        PricingRule(section="A", tier_id="std"),
        PricingRule(section="A", row="1", tier_id="front"),
        PricingRule(seat_id=seat_id("lay-1", "A", "1", 2), tier_id="vip"),
    ]
    result = resolve_prices(rules, layout)
    assert result.seat_tiers[seat_id("lay-1", "A", "1", 1)] == "front"
    assert result.seat_tiers[seat_id("lay-1", "A", "1", 2)] == "vip"
    assert result.seat_tiers[seat_id("lay-1", "A", "2", 1)] == "std"
    assert result.unpriced_seats == []


def test_the_rule_order_does_not_matter_only_specificity_does() -> None:
    layout = make_layout(sections={"A": {"1": 2}})
    target = seat_id("lay-1", "A", "1", 1)
    forward = [PricingRule(seat_id=target, tier_id="vip"), PricingRule(section="A", tier_id="std")]
    assert resolve_prices(forward, layout).seat_tiers == resolve_prices(forward[::-1], layout).seat_tiers


def test_seats_and_zones_no_rule_reaches_are_reported_unpriced() -> None:
    layout = make_layout(sections={"A": {"1": 2}, "B": {"1": 2}}, zones={"floor": 10, "pit": 5})
    result = resolve_prices([PricingRule(section="A", tier_id="std"), PricingRule(zone_id="floor", tier_id="ga")],
                            layout)
    assert {s.section for s in result.unpriced_seats} == {"B"}
    assert [z.zone_id for z in result.unpriced_zones] == ["pit"]
    assert result.zone_tiers == {"floor": "ga"}


def test_rules_naming_what_the_layout_lacks_are_refused_with_their_field() -> None:
    layout = make_layout(sections={"A": {"1": 2}}, zones={"floor": 10})
    rules = [
        PricingRule(section="Z", tier_id="std"),
        PricingRule(section="A", row="9", tier_id="std"),
        PricingRule(seat_id="0000000000000000", tier_id="std"),
        PricingRule(zone_id="nowhere", tier_id="std"),
        PricingRule(section="A", tier_id="nope"),
    ]
    errors = check_pricing(rules, {"std"}, layout)
    assert paths(errors) == ["/pricing/0/section", "/pricing/1/row", "/pricing/2/seat_id", "/pricing/3/zone_id",
                             "/pricing/4/tier_id"]


def test_a_rule_must_name_exactly_one_target_and_not_repeat_another() -> None:
    layout = make_layout(sections={"A": {"1": 2}}, zones={"floor": 10})
    rules = [
        PricingRule(tier_id="std"),
        PricingRule(row="1", tier_id="std"),
        PricingRule(zone_id="floor", section="A", tier_id="std"),
        PricingRule(section="A", tier_id="std"),
        PricingRule(section="A", tier_id="std"),
    ]
    errors = check_pricing(rules, {"std"}, layout)
    assert paths(errors) == ["/pricing/0", "/pricing/1", "/pricing/2", "/pricing/4"]
    assert "section" in errors[1].message
    assert "again" in errors[3].message


def test_tiers_with_negative_prices_repeated_ids_or_another_currency_are_refused() -> None:
    tiers = [
        tier("std", -1),
        tier("std"),
        tier("vip", currency="EUR"),
        tier("fee", fees=(Fee(name="booking", amount=-5),)),
        tier("bad id!"),
    ]
    errors = check_tiers(tiers, "USD")
    assert paths(errors) == ["/price_tiers/0/price", "/price_tiers/1/tier_id", "/price_tiers/2/currency",
                             "/price_tiers/3/fees/0/amount", "/price_tiers/4/tier_id"]


def test_a_show_needs_at_least_one_tier() -> None:
    assert paths(check_tiers([], "USD")) == ["/price_tiers"]


def test_a_tier_costs_its_price_plus_its_fees() -> None:
    assert PriceTier(tier_id="a", name="A", price=8900, fees=(Fee(name="x", amount=150),
                                                              Fee(name="y", amount=50))).unit_total == 9100

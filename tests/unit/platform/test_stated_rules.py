"""The rules the OpenAPI document states as patterns say what the server checks, in Python and in the
regex dialect of a JSON Schema validator (jsonschema-rs, as Schemathesis validates with): names and
e-mail addresses as the identity rules judge them, trimmed text as the text rule builds it, date-times
as msgspec reads them."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import jsonschema_rs
import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from lml.catalog.domain.event import IMAGE_URL_PATTERN, check_event_fields
from lml.catalog.domain.pricing import NAME_PATTERN as TIER_NAME_PATTERN
from lml.catalog.domain.pricing import TARGET_SCHEMA, TIER_ID_PATTERN, PricingRule, TierDraft, check_tiers
from lml.identity.domain.rules import EMAIL_PATTERN, NAME_MAX, NAME_PATTERN, email_problem, name_problem
from lml.platform.domain.date_time import DATE_TIME_PATTERN, OFFSET_DATE_TIME_PATTERN, OffsetDateTime
from lml.platform.domain.text import WHITE_SPACE, matches, trim, trimmed_text_pattern

# Text near the edges of the rules: white space of every kind, controls, @ and dots, letters.
_TRICKY = st.text(alphabet=st.sampled_from([*WHITE_SPACE, "\x00", "\x01", "\x1c", "\x7f", "\x85", "\ufeff", "@",
                                            ".", "a", "Z", "é", "İ", "-", "*"]), max_size=12)


def _schema_says(pattern: str, text: str) -> bool:
    return bool(jsonschema_rs.validator_for({"type": "string", "pattern": pattern}).is_valid(text))


@settings(max_examples=150, database=None)
@given(text=_TRICKY | st.text(max_size=NAME_MAX + 5))
def test_a_name_is_valid_when_the_pattern_says_so_in_both_dialects(text: str) -> None:
    stated = 1 <= len(trim(text)) <= NAME_MAX and not any(ord(c) < 32 or c == "\x7f" for c in trim(text))
    assert (name_problem(text) is None) == stated == matches(NAME_PATTERN, text) == _schema_says(NAME_PATTERN, text)


@settings(max_examples=150, database=None)
@given(text=_TRICKY | st.emails().map(lambda e: f" {e}\t"))
def test_an_email_is_valid_when_the_pattern_says_so_in_both_dialects(text: str) -> None:
    assert (email_problem(text) is None) == (matches(EMAIL_PATTERN, text) and len(text) <= 254)
    assert matches(EMAIL_PATTERN, text) == _schema_says(EMAIL_PATTERN, text)


@settings(max_examples=150, database=None)
@given(text=_TRICKY, required=st.booleans())
def test_trimmed_text_may_hold_controls_or_be_blank_when_the_rule_says_so(text: str, required: bool) -> None:
    pattern = trimmed_text_pattern(5, refused="", required=required)
    stated = (not required or trim(text) != "") and len(trim(text)) <= 5 and "\x00" not in text
    assert matches(pattern, text) == stated == _schema_says(pattern, text)


def _read_by_msgspec(text: str, kind: object = datetime) -> bool:
    try:
        msgspec.convert(text, kind)
    except msgspec.ValidationError:
        return False
    return True


_NEAR_DATE_TIMES = st.builds(
    "{:04d}-{:02d}-{:02d}{}{:02d}:{:02d}:{:02d}{}{}".format,
    st.integers(0, 10000), st.integers(0, 13), st.integers(0, 32), st.sampled_from("Tt x"), st.integers(0, 25),
    st.integers(0, 61), st.integers(0, 61), st.sampled_from(["", ".5", ".123456789", "."]),
    st.sampled_from(["", "Z", "z", "+05:30", "+0530", "-24:00", "+23:59", "+05:60", "+5:30", "\n"]))


@settings(max_examples=300, database=None)
@given(text=_NEAR_DATE_TIMES | st.from_regex(DATE_TIME_PATTERN, fullmatch=True))
def test_a_date_time_matches_the_pattern_exactly_when_msgspec_reads_it(text: str) -> None:
    assert _read_by_msgspec(text) == matches(DATE_TIME_PATTERN, text) == _schema_says(DATE_TIME_PATTERN, text)


@settings(max_examples=150, database=None)
@given(text=_NEAR_DATE_TIMES | st.from_regex(OFFSET_DATE_TIME_PATTERN, fullmatch=True))
def test_an_instant_needs_its_offset_in_the_pattern_as_in_msgspec(text: str) -> None:
    stated = matches(OFFSET_DATE_TIME_PATTERN, text)
    assert _read_by_msgspec(text, OffsetDateTime) == stated == _schema_says(OFFSET_DATE_TIME_PATTERN, text)


_NEAR_URLS = st.builds("{}{}{}{}".format, st.sampled_from(["https://", "http://", "HTTPS://", "https:/", ""]),
                       _TRICKY | st.sampled_from(["images.example.com", "[::1]", "u@h", "h:443", ""]),
                       st.sampled_from(["", ":8443", ":", ":123456"]), _TRICKY.map(lambda t: f"/{t}") | _TRICKY)


@settings(max_examples=200, database=None)
@given(url=_NEAR_URLS)
def test_an_image_url_is_refused_exactly_when_the_pattern_refuses_it(url: str) -> None:
    stated = matches(IMAGE_URL_PATTERN, url)
    assert (check_event_fields(images=[url]) == []) == stated == _schema_says(IMAGE_URL_PATTERN, url)
    if stated:  # what the pattern lets through is an https URL with a host, as a URL parser reads it
        assert urlsplit(url).scheme == "https" and urlsplit(url).hostname


@settings(max_examples=150, database=None)
@given(tier_id=_TRICKY, name=_TRICKY)
def test_a_price_tier_id_and_name_are_refused_exactly_when_the_patterns_refuse_them(tier_id: str, name: str) -> None:
    errors = {e.path for e in check_tiers([TierDraft(tier_id=tier_id, name=name, price=0)], "USD")}
    assert ("/price_tiers/0/tier_id" not in errors) == matches(TIER_ID_PATTERN, tier_id) == _schema_says(
        TIER_ID_PATTERN, tier_id)
    assert ("/price_tiers/0/name" not in errors) == matches(TIER_NAME_PATTERN, name) == _schema_says(
        TIER_NAME_PATTERN, name)


_NAMES_OR_NOT = st.sampled_from([None, "A"]) | st.just(msgspec.UNSET)


@settings(max_examples=100, database=None)
@given(section=_NAMES_OR_NOT, row=_NAMES_OR_NOT, seat_id=_NAMES_OR_NOT, zone_id=_NAMES_OR_NOT)
def test_a_pricing_rule_names_one_target_exactly_when_the_schema_says_so(
    section: object, row: object, seat_id: object, zone_id: object,
) -> None:
    # Absent (UNSET) and null read alike: the rule's field is None.
    sent = {name: value for name, value in (("section", section), ("row", row), ("seat_id", seat_id),
                                            ("zone_id", zone_id)) if value is not msgspec.UNSET}
    rule = msgspec.convert({"tier_id": "std", **sent}, PricingRule)
    validator = jsonschema_rs.validator_for(TARGET_SCHEMA)
    assert (rule.target() is not None) == validator.is_valid({"tier_id": "std", **sent})

"""The rules the OpenAPI document states as patterns say what the server checks, in Python and in the
regex dialect of a JSON Schema validator (jsonschema-rs, as Schemathesis validates with): names and
e-mail addresses as the identity rules judge them, trimmed text as the text rule builds it, date-times
as msgspec reads them."""

from __future__ import annotations

from datetime import datetime

import jsonschema_rs
import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

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

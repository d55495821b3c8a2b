from datetime import UTC, datetime

import pytest

from lml.catalog.infrastructure.public_queries import EventFilters, _Cursor, decode_cursor, encode_cursor
from lml.platform.domain.errors import InvalidInput

AS_OF = datetime(2027, 1, 1, tzinfo=UTC)
EVENT_ID = "01a215c7-b817-740c-9762-bd8adbcde6ea"


def test_a_cursor_round_trips_and_is_opaque_url_safe_text() -> None:
    filters = EventFilters(city="London")
    cursor = _Cursor(filters.fingerprint(), AS_OF, datetime(2027, 2, 1, 19, 30, tzinfo=UTC), EVENT_ID)
    raw = encode_cursor(cursor)
    assert raw.isascii() and not set(raw) & set("+/=")
    assert decode_cursor(raw, filters) == cursor


def test_a_cursor_of_another_query_or_a_made_up_one_names_the_cursor() -> None:
    raw = encode_cursor(_Cursor(EventFilters(city="London").fingerprint(), AS_OF, AS_OF, EVENT_ID))
    for bad, filters in ((raw, EventFilters(city="Paris")), ("not-a-cursor", EventFilters()), ("", EventFilters())):
        with pytest.raises(InvalidInput) as exc:
            decode_cursor(bad, filters)
        assert exc.value.errors[0].path == "/cursor"


def test_a_forged_cursor_with_an_event_id_that_is_no_uuid_or_a_naive_instant_is_refused() -> None:
    filters = EventFilters()
    naive = datetime(2027, 1, 1)
    for forged in (_Cursor(filters.fingerprint(), AS_OF, AS_OF, "e-1"),
                   _Cursor(filters.fingerprint(), naive, naive, EVENT_ID)):
        with pytest.raises(InvalidInput) as exc:
            decode_cursor(encode_cursor(forged), filters)
        assert exc.value.errors[0].path == "/cursor"


def test_search_words_must_all_match_as_prefixes_and_punctuation_is_ignored() -> None:
    assert EventFilters(text="Late-night JAZZ!").tsquery() == "(late | late:*) & (night | night:*) & (jazz | jazz:*)"
    assert EventFilters(text=" ' & | ! ").tsquery() is None

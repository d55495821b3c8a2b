from datetime import UTC, datetime, timedelta

import pytest

from lml.catalog.domain.errors import EventNotEditable, InvalidTransition, VenueLocked
from lml.catalog.domain.event import Event, EventChanges, EventDraft
from lml.catalog.domain.venue import VenueSnapshot
from lml.platform.domain.errors import InvalidInput
from tests.unit.catalog.builders import ORG, VENUE

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
ELSEWHERE = VenueSnapshot(venue_id="v-2", name="Club", city="Shelbyville", country="US", timezone="America/Chicago")


def new_event(**kw: object) -> Event:
    fields = {"venue_id": VENUE.venue_id, "title": "Gala", "category": "Concert", **kw}
    return Event.create(event_id="e-1", org_id=ORG, venue=VENUE, now=NOW, draft=EventDraft(**fields))  # type: ignore[arg-type]


def test_a_new_event_is_a_draft_with_its_venues_city_and_timezone() -> None:
    event = new_event()
    assert (event.status, event.revision, event.category) == ("draft", 0, "concert")
    assert (event.venue.city, event.venue.timezone) == ("Springfield", "America/New_York")


def test_bad_fields_are_each_named() -> None:
    with pytest.raises(InvalidInput) as exc:
        new_event(title="  ", category="Rock & Roll", images=("http://insecure.example/a.jpg", "https://ok.example/b.png"))
    assert [e.path for e in exc.value.errors] == ["/title", "/category", "/images/0"]


def test_a_draft_changes_without_revisions_and_may_move_venue() -> None:
    event = new_event()
    assert event.change(EventChanges(title="Gala II", venue_id="v-2"), venue=ELSEWHERE, has_shows=False,
                        now=NOW) is False
    assert (event.title, event.venue.city, event.revision) == ("Gala II", "Shelbyville", 0)


def test_a_draft_with_shows_keeps_its_venue() -> None:
    with pytest.raises(VenueLocked):
        new_event().change(EventChanges(venue_id="v-2"), venue=ELSEWHERE, has_shows=True, now=NOW)


def test_publishing_records_revision_one_and_publishing_again_changes_nothing() -> None:
    event = new_event()
    assert event.publish(NOW) is True
    assert (event.status, event.revision, event.published_at) == ("published", 1, NOW)
    assert event.publish(NOW + timedelta(hours=1)) is False
    assert event.published_at == NOW


def test_a_published_events_buyer_facing_change_is_a_new_revision() -> None:
    event = new_event()
    event.publish(NOW)
    assert event.change(EventChanges(description="Now with fireworks"), venue=None, has_shows=True, now=NOW) is True
    assert event.revision == 2
    record = event.revision_record(NOW, "u-1")
    assert (record.revision, record.description, record.recorded_by) == (2, "Now with fireworks", "u-1")
    assert event.change(EventChanges(description="Now with fireworks"), venue=None, has_shows=True, now=NOW) is False
    assert event.revision == 2


def test_a_published_event_keeps_its_venue() -> None:
    event = new_event()
    event.publish(NOW)
    with pytest.raises(VenueLocked):
        event.change(EventChanges(venue_id="v-2"), venue=ELSEWHERE, has_shows=False, now=NOW)


def test_a_cancelled_event_is_final() -> None:
    event = new_event()
    event.publish(NOW)
    assert event.cancel(NOW) is True
    assert event.cancel(NOW) is False
    with pytest.raises(InvalidTransition):
        event.publish(NOW)
    with pytest.raises(EventNotEditable):
        event.change(EventChanges(title="Back"), venue=None, has_shows=False, now=NOW)


def test_a_draft_may_be_cancelled() -> None:
    event = new_event()
    assert event.cancel(NOW) is True
    assert event.status == "cancelled"

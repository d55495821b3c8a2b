"""An event: what is on (title, description, category, images) and where (a copy of its venue).

Status `draft → published → cancelled` (a draft may be cancelled too). A draft changes freely;
a published event's buyer-facing fields may still change, and each change is a new numbered
revision, so an operator can tell what was on sale when."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from lml.catalog.domain.errors import EventNotEditable, InvalidTransition, VenueLocked
from lml.catalog.domain.venue import VenueSnapshot
from lml.platform.domain.errors import FieldError, InvalidInput, present
from lml.platform.domain.text import CONTROL_CLASS, SPACE, WHITE_SPACE_CLASS, matches, trim, trimmed_text_pattern

EventStatus = Literal["draft", "published", "cancelled"]
_T = TypeVar("_T")

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_IMAGES = 20
MAX_URL = 2048
# As sent, and as the OpenAPI document states them (`lml.platform.domain.text`): a title trimmed, not
# blank; a category 1-40 letters, digits or '-' (not first), stored trimmed and in lower case.
TITLE_PATTERN = trimmed_text_pattern(MAX_TITLE, refused="")
CATEGORY_PATTERN = f"^{SPACE}*[A-Za-z0-9][A-Za-z0-9-]{{0,39}}{SPACE}*$"
# An image is an https URL with a host (no user name or password), an optional port, then a path, query or
# fragment; no white space or control character anywhere.
_URL_CHAR = f"[^{WHITE_SPACE_CLASS}{CONTROL_CLASS}]"
_HOST = f"(?:[^{WHITE_SPACE_CLASS}{CONTROL_CLASS}/?#@:\\[\\]]+|\\[[0-9A-Fa-f:.]+\\])"
IMAGE_URL_PATTERN = f"^https://{_HOST}(?::[0-9]{{1,5}})?(?:[/?#]{_URL_CHAR}*)?$"


Title = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": TITLE_PATTERN}, examples=["Jazz at the Hall"])]
Category = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": CATEGORY_PATTERN}, examples=["concert"])]
Description = Annotated[str, msgspec.Meta(extra_json_schema={"maxLength": MAX_DESCRIPTION})]
ImageUrl = Annotated[str, msgspec.Meta(extra_json_schema={"maxLength": MAX_URL, "pattern": IMAGE_URL_PATTERN})]
Images = Annotated[tuple[ImageUrl, ...], msgspec.Meta(
    extra_json_schema={"maxItems": MAX_IMAGES}, description="https URLs",
    examples=[["https://images.example.com/jazz-at-the-hall.jpg"]])]


class EventDraft(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    venue_id: str
    title: Title
    category: Category
    description: Description = ""
    images: Images = ()


class EventChanges(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A PATCH: fields left UNSET keep their value."""

    venue_id: str | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    category: Category | UnsetType = UNSET
    images: Images | UnsetType = UNSET


class EventRevision(msgspec.Struct, frozen=True, kw_only=True):
    """The buyer-facing fields as they were from `recorded_at` until the next revision."""

    event_id: str
    revision: int
    title: str
    description: str
    category: str
    images: tuple[str, ...]
    venue_name: str
    recorded_at: datetime
    recorded_by: str | None


def normalize_category(value: str) -> str:
    return trim(value).lower()


def check_event_fields(
    *, title: str | None = None, description: str | None = None, category: str | None = None,
    images: Sequence[str] | None = None,
) -> list[FieldError]:
    """Errors of the fields given (None = not given), each naming its field."""
    errors: list[FieldError] = []
    if title is not None and not matches(TITLE_PATTERN, title):
        errors.append(FieldError("/title", f"must be 1-{MAX_TITLE} characters"))
    if description is not None and len(description) > MAX_DESCRIPTION:
        errors.append(FieldError("/description", f"must be at most {MAX_DESCRIPTION} characters"))
    if category is not None and not matches(CATEGORY_PATTERN, category):
        errors.append(FieldError("/category", "must be 1-40 lower-case letters, digits or '-' (e.g. concert)"))
    if images is not None:
        if len(images) > MAX_IMAGES:
            errors.append(FieldError("/images", f"must list at most {MAX_IMAGES} image URLs"))
        errors.extend(FieldError(f"/images/{i}", "must be an https URL") for i, url in enumerate(images)
                      if not _is_https_url(url))
    return errors


def _is_https_url(url: str) -> bool:
    return len(url) <= MAX_URL and matches(IMAGE_URL_PATTERN, url)


class Event(msgspec.Struct, kw_only=True):
    event_id: str
    org_id: str
    venue: VenueSnapshot
    title: str
    description: str
    category: str
    images: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    status: EventStatus = "draft"
    revision: int = 0  # 0 while a draft; the latest recorded revision once published
    published_at: datetime | None = None
    cancelled_at: datetime | None = None

    @classmethod
    def create(cls, *, event_id: str, org_id: str, draft: EventDraft, venue: VenueSnapshot | None,
               venue_errors: Sequence[FieldError] = (), now: datetime) -> Event:
        """`venue` is None when it could not be found; `venue_errors` say why (listed with the others)."""
        errors = list(venue_errors) + check_event_fields(
            title=draft.title, description=draft.description, category=draft.category, images=draft.images
        )
        if errors:
            raise InvalidInput(errors)
        return cls(
            event_id=event_id, org_id=org_id, venue=present(venue, "a missing venue comes with the errors saying why"),
            title=trim(draft.title), description=draft.description,
            category=normalize_category(draft.category), images=tuple(draft.images), created_at=now, updated_at=now,
        )

    def change(self, changes: EventChanges, *, venue: VenueSnapshot | None, has_shows: bool, now: datetime) -> bool:
        """Apply a PATCH. `venue` is the new venue when `changes` moves the event. True when the
        buyer-facing fields of a published event changed, i.e. a new revision is to be recorded."""
        if self.status == "cancelled":
            raise EventNotEditable()
        errors = check_event_fields(
            title=_given(changes.title), description=_given(changes.description),
            category=_given(changes.category), images=_given(changes.images),
        )
        if errors:
            raise InvalidInput(errors)
        if not isinstance(changes.venue_id, UnsetType) and changes.venue_id != self.venue.venue_id:
            self.ensure_venue_movable(has_shows=has_shows)
            self.venue = present(venue, "the application looks up the new venue")
        before = self._buyer_facing()
        if not isinstance(changes.title, UnsetType):
            self.title = trim(changes.title)
        if not isinstance(changes.description, UnsetType):
            self.description = changes.description
        if not isinstance(changes.category, UnsetType):
            self.category = normalize_category(changes.category)
        if not isinstance(changes.images, UnsetType):
            self.images = tuple(changes.images)
        self.updated_at = now
        if self.status == "published" and self._buyer_facing() != before:
            self.revision += 1
            return True
        return False

    def ensure_venue_movable(self, *, has_shows: bool) -> None:
        """Shows pin layouts of the venue, and buyers saw it once published: it stays."""
        if self.status != "draft" or has_shows:
            raise VenueLocked()

    def publish(self, now: datetime) -> bool:
        """True when it was a draft (revision 1 is to be recorded); publishing again changes nothing."""
        if self.status == "published":
            return False
        if self.status != "draft":
            raise InvalidTransition("event", self.status, "published")
        self.status = "published"
        self.published_at = now
        self.updated_at = now
        self.revision = 1
        return True

    def cancel(self, now: datetime) -> bool:
        if self.status == "cancelled":
            return False
        self.status = "cancelled"
        self.cancelled_at = now
        self.updated_at = now
        return True

    def ensure_open_for_shows(self) -> None:
        if self.status == "cancelled":
            raise EventNotEditable("A cancelled event takes no new or changed shows")

    def revision_record(self, now: datetime, by: str | None) -> EventRevision:
        return EventRevision(
            event_id=self.event_id, revision=self.revision, title=self.title, description=self.description,
            category=self.category, images=self.images, venue_name=self.venue.name, recorded_at=now, recorded_by=by,
        )

    def _buyer_facing(self) -> tuple[object, ...]:
        return (self.title, self.description, self.category, self.images)


def _given(value: _T | UnsetType) -> _T | None:
    return None if isinstance(value, UnsetType) else value

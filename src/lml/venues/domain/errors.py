"""What the venues context refuses, named for what happened. The HTTP layer maps them by base class."""

from __future__ import annotations

from lml.platform.domain.errors import Conflict, InvalidInput, NotFound


class InvalidVenue(InvalidInput):
    """The venue breaks one or more rules."""


class InvalidLayout(InvalidInput):
    """The layout breaks one or more rules."""


class VenueNotFound(NotFound):
    """There is no such venue in this organization."""


class VenueNameTaken(Conflict):
    """This organization already has a venue with that name."""


class LayoutNotFound(NotFound):
    """There is no such layout (or version) in this organization."""


class LayoutNotPublished(Conflict):
    """That layout version is not published (it is a draft, or archived)."""


class LayoutImmutable(Conflict):
    """A published layout never changes: create a new version to edit it."""


class DraftAlreadyOpen(Conflict):
    """This layout already has a draft version; edit or publish it first."""


class LayoutBusy(Conflict):
    """Someone else is changing this layout right now; try again."""


class InvalidTransition(Conflict):
    """The layout version cannot move to that status from the one it is in."""


class LayoutIntegrityError(Conflict):
    """The stored layout does not match its content hash, so it is not served."""

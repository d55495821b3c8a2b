"""What notifications refuses; `lml.platform.http.problems` maps the platform bases to problems."""

from __future__ import annotations

from lml.platform.domain.errors import Conflict, NotFound, TooManyRequests


class InvalidTransition(Conflict):
    """The message is no longer pending: it was sent or given up already."""


class OrderNotFound(NotFound):
    """No such order."""


class ShowNotFound(NotFound):
    """No such show."""


class NothingToConfirm(Conflict):
    """The order has no tickets to confirm: it is not paid."""


class TooManyMessages(TooManyRequests):
    """The recipient was sent enough of these lately; try again later."""

"""What the waiting room refuses, each named for what happened (the problem `type` says it)."""

from __future__ import annotations

from lml.platform.domain.errors import Conflict, Forbidden, NotFound


class ShowNotFound(NotFound):
    """No such show in the caller's organization."""


class NotInLine(NotFound):
    """You have no place in this show's line: join it first."""


class WaitingRoomNotEnabled(Conflict):
    """This show has no waiting room: hold seats directly."""


class WaitingRoomNotOpen(Conflict):
    """The waiting room is not open yet."""

    def __init__(self, opens_at: str) -> None:
        super().__init__(f"The waiting room opens at {opens_at}", opens_at=opens_at)


class WaitingRoomClosed(Conflict):
    """The sale this waiting room was for is over (or the show was cancelled)."""


class QueuePassRequired(Forbidden):
    """This show's sale goes through its waiting room: join the line, and hold with the pass it gives."""

    def __init__(self, queue_url: str) -> None:
        super().__init__(f"Join the line at {queue_url}; once admitted, send its pass as X-Queue-Pass",
                         queue_url=queue_url)


class QueuePassInvalid(Forbidden):
    """The queue pass is not valid: forged, expired, or for another show or buyer."""

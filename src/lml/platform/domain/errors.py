"""The base of domain errors. Each context names its own; one mapping turns them into problems."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec


class DomainError(Exception):
    """Something the business refuses. `detail` is safe to show to the caller."""

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        self.detail = detail or (self.__doc__ or type(self).__name__).strip().splitlines()[0]
        self.extensions = extensions
        super().__init__(self.detail)


class FieldError(msgspec.Struct, frozen=True):
    """One problem with one input field; `path` is JSON-pointer-like (`/sections/0/rows/2`)."""

    path: str
    message: str


class InvalidInput(DomainError):
    """The input breaks one or more rules."""

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        self.errors = errors
        super().__init__(detail or f"{len(errors)} problem(s) with the input", errors=errors)


class NotFound(DomainError):
    """The resource does not exist (or is not yours to see)."""


class Conflict(DomainError):
    """The request conflicts with the current state of the resource."""


class Gone(DomainError):
    """The resource existed but is gone for good (a one-time token used or expired)."""


class Forbidden(DomainError):
    """You may not do this."""


class Unauthorized(DomainError):
    """Authentication is required or failed."""


class PreconditionFailed(DomainError):
    """A precondition (If-Match) does not hold."""


class TooManyRequests(DomainError):
    """Too many requests; try again later."""

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(detail)


class Unavailable(DomainError):
    """A service we depend on cannot be reached; try again later."""

    def __init__(self, retry_after: int = 5, detail: str | None = None) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(detail)


class BrokenInvariant(RuntimeError):
    """Our own code broke a rule it relies on: a bug, answered as a 500 and logged, never the
    caller's fault. Raised where an `assert` would vanish under `python -O`."""


T = TypeVar("T")


def present(value: T | None, rule: str) -> T:
    """`value`, which `rule` says cannot be missing here; BrokenInvariant(rule) when it is."""
    if value is None:
        raise BrokenInvariant(rule)
    return value

"""One request header read straight from the ASGI scope (names there are lower case, ASGI says).

Litestar's `connection.headers` builds a case-insensitive multidict of every header on first use: more
than the hot routes need, which read two or three headers each."""

from __future__ import annotations

from litestar.types import Scope


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of the header `name` (lower case), as Litestar's `headers.get` would give it."""
    # A plain loop: a generator costs more than the search.
    key: bytes
    value: bytes
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None

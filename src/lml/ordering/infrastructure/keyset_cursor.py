"""The cursor of ordering's keyset-paginated lists: (created_at, id) of the last item given, as
`<microseconds since 1970 UTC>-<id as 32 hex digits>`. Opaque to clients; its shape is `CURSOR_PATTERN`,
which the OpenAPI document states: every cursor of that shape names a place in the list (one the API
did not give just starts the page there), any other is a 422."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from lml.platform.domain.errors import FieldError, InvalidInput

# Up to 10^17 microseconds: past the year 5000. Empty: no cursor, the first page.
CURSOR_PATTERN = "^(?:[0-9]{1,17}-[0-9a-f]{32})?$"
# The query parameter of a list that takes a cursor: a page's `next_cursor`.
CursorQuery = Annotated[str | None, QueryParameter(
    required=False, schema_extra={"pattern": CURSOR_PATTERN}, description="a page's next_cursor",
    examples=[Example(value="1795683697000000-01a2171ba7807ef980a8f33c8faaa14d")])]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def encode_cursor(created_at: datetime, item_id: str) -> str:
    return f"{(created_at - _EPOCH) // _MICROSECOND}-{uuid.UUID(item_id).hex}"


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    if re.fullmatch(CURSOR_PATTERN, cursor) is None:
        raise InvalidInput([FieldError("/cursor", "is not a cursor this API gave")])
    micros, item_id = cursor.split("-")
    return _EPOCH + int(micros) * _MICROSECOND, str(uuid.UUID(item_id))

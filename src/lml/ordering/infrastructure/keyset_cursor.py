"""The opaque cursor of ordering's keyset-paginated lists: (created_at, id) of the last item given."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from lml.platform.domain.errors import FieldError, InvalidInput


def encode_cursor(created_at: datetime, item_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{item_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created_at, item_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(created_at), str(uuid.UUID(item_id))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput([FieldError("/cursor", "is not a cursor this API gave")]) from None

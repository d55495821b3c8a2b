"""Deterministic seat ids: the same layout and labels always give the same id, in every version."""

from __future__ import annotations

import hashlib

# 64 bits of SHA-256: a collision inside one layout of 100,000 seats has odds near 3e-10,
# and the layout rules still refuse one should it ever happen.
SEAT_ID_LENGTH = 16


def seat_id(layout_id: str, section: str, row: str, number: int) -> str:
    key = f"{layout_id}_{section}_{row}_{number}"
    return hashlib.sha256(key.encode()).hexdigest()[:SEAT_ID_LENGTH]

"""A ticket's QR code as a PNG image (segno): what the door scanner reads is the ticket's payload."""

from __future__ import annotations

import io

import segno


def qr_png(payload: str, *, scale: int = 4) -> bytes:
    """Error correction M (a phone screen with a crack still scans); the quiet zone of 4 modules that
    scanners need around the code."""
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()

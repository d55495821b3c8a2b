"""A ticket's QR code as a PNG image (segno): what the door scanner reads is the ticket's payload."""

from __future__ import annotations

import io

import segno


def qr_png(payload: str, *, scale: int = 4) -> bytes:
    """Error correction M (a phone screen with a crack still scans); the quiet zone of 4 modules that
    scanners need around the code; one fixed mask pattern. Any of the eight masks makes a valid code
    that scanners read; choosing the one with the fewest confusing patterns means drawing and scoring
    all eight, which in segno's pure Python costs twice what the chosen code itself does."""
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m", mask=0).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()

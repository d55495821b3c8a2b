"""Primitives every context's domain may use: no I/O here."""

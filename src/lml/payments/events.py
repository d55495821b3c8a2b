"""Integration events published by payments."""

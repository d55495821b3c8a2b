"""Integration events published by identity."""

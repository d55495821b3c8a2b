"""Integration events published by ordering."""

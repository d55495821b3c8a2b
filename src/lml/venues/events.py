"""Integration events published by venues."""

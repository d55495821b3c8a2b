"""Integration events published by seating."""

"""Integration events published by catalog."""

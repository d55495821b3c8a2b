"""What other contexts may call on identity."""

"""What other contexts may call on venues."""

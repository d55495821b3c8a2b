"""What other contexts may call on ordering."""

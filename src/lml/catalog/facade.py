"""What other contexts may call on catalog."""

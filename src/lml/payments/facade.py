"""What other contexts may call on payments."""

"""What other contexts may call on seating."""

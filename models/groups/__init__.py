"""Groups, their members and the waitlist (docs/rules.md section 11)."""

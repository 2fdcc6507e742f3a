"""Live seat events (the root Subscription) and the audit trail."""

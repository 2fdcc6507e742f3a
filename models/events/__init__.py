"""The audit trail, live seat events and their fan-out across processes."""

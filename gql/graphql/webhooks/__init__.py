"""The API of webhooks and the event log: events(after, first, types), endpoints, deliveries (docs/rules.md section 15)."""

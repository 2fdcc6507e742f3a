"""Data exports of an organization: JSON and CSV, stored in chunks, kept 30 days."""

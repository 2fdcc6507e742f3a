"""Data exports (the download itself is gql/http/downloads.py)."""

"""Seatwise: license-seat management over GraphQL. The code lives in `seatwise.gql` (the API, the app and the
command line) and `seatwise.models` (the tables and every domain rule); `seatwise.migrations` holds the schema's history."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seatwise")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

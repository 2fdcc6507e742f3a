"""Service requests and cancellation."""

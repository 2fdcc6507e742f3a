"""Groups and license waits."""

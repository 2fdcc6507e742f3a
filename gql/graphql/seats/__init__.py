"""Seat pools, licenses, assigning and revoking, `accessCheck`, license conflicts."""

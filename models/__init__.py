"""Seatwise domain: Tortoise models (tables.py) and one module of rules per area."""

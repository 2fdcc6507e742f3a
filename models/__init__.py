"""Seatwise's domain: the tables (`core/tables/`) and every rule, one package per area (docs/architecture.md)."""

"""The demo organization of `seatwise demo` and `make run`."""

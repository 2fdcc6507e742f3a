"""The `seatwise` command: one module per command, `main` builds the parser from them."""

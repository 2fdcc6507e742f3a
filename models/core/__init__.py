"""The ground every area stands on: database, settings, errors, the clock's arithmetic, the tables, input checks,
keyset pages, lookups by id and the one row lock (`locks.hold`). Imports no area."""

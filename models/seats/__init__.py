"""The seat ledger (every seat change is one `ledger.change`), pools, the conflict line, assigning, revoking,
`accessCheck` and conflicts with their remedies."""

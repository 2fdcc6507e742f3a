"""Previews and plans (docs/rules.md section 13): what a dry run of a seat change records, and the signed plan
token that applies exactly the change previewed. Below the seat ledger, which works previews out."""

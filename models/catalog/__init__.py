"""The product catalog and its prices (quotes, pro rata)."""

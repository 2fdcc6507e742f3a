"""Cards, purchases and reductions, subscriptions, charges, quotes and alerts."""

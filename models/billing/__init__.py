"""Purchases, cards, charges and the payment gateway, the renewal steps of subscriptions, and the dashboard's alerts."""

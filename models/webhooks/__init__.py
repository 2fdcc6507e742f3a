"""Webhooks: endpoints and their encrypted secrets, the URL rules (SSRF), Standard Webhooks signing, the delivery worker."""

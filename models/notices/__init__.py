"""Notices by email: which admins get which kinds (with their opt-outs), the messages, and sending them over SMTP."""

"""Append-only audit log of security-relevant, organizer and admin actions."""

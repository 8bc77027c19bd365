"""Tickets at the door: signing keys, codes, check-in."""

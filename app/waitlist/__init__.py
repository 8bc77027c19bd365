"""Waiting list after sell-out: returned seats offered to the next fan as a time-limited hold."""

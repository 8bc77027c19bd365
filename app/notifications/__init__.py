"""Notifications: the outbox dispatched to email, SMS, push and integrator webhooks."""

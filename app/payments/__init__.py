"""Stripe payments: the SDK client wrapper, webhook verification and the webhook endpoint."""

"""Checkout: a hold becomes a Stripe PaymentIntent and a pending order."""

"""Stripe (`stripe`): hosted Stripe Checkout through the official SDK, signed webhooks, refunds."""

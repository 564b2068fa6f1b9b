"""The mock payment provider: a hosted checkout page of this app and Stripe-style signed webhooks."""

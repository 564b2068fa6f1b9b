"""The references this store gives a provider as its idempotency keys — one function per kind,
used by every use case that calls a provider.

`storefront-<installation id>-payment-<payment id>` and `storefront-<installation id>-refund-<refund id>`:
the same payment or refund always has the same reference (a retry never opens a second one at the
provider), and the installation id (`application.ports.Installation`) keeps references of two
stores, or of one store before and after its database was reset, apart. At most 55 characters
(YooKassa takes up to 64, Stripe 255).
"""

from __future__ import annotations

from application.ports import Installation


def payment_reference(installation: Installation, payment_id: int) -> str:
    """The idempotency key of opening payment `payment_id` at its provider."""
    return f"storefront-{installation.id}-payment-{payment_id}"


def refund_reference(installation: Installation, refund_id: int) -> str:
    """The idempotency key of asking the provider for refund `refund_id`."""
    return f"storefront-{installation.id}-refund-{refund_id}"

"""The Stripe adapter's settings, read from the environment when `PAYMENT_PROVIDERS` enables it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from adapters.payments.registry_errors import GatewaySettingsError, required

DEFAULT_API_BASE = "https://api.stripe.com"


@dataclass(frozen=True, slots=True)
class StripeSettings:
    """`STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET` (both required), `STRIPE_API_BASE` (default
    Stripe's API; a test double in tests), `STRIPE_SUCCESS_URL` / `STRIPE_CANCEL_URL` (where the
    customer returns; default `PUBLIC_URL` + `/`)."""

    secret_key: str
    webhook_secret: str
    api_base: str
    success_url: str
    cancel_url: str

    @classmethod
    def from_values(cls, values: Mapping[str, str], public_url: str) -> StripeSettings:
        home = public_url.rstrip("/") + "/"
        settings = cls(
            secret_key=required(values, "STRIPE_SECRET_KEY", "stripe"),
            webhook_secret=required(values, "STRIPE_WEBHOOK_SECRET", "stripe"),
            api_base=(values.get("STRIPE_API_BASE", "").strip() or DEFAULT_API_BASE).rstrip("/"),
            success_url=values.get("STRIPE_SUCCESS_URL", "").strip() or home,
            cancel_url=values.get("STRIPE_CANCEL_URL", "").strip() or home,
        )
        for name, url in (
            ("STRIPE_API_BASE", settings.api_base),
            ("STRIPE_SUCCESS_URL", settings.success_url),
            ("STRIPE_CANCEL_URL", settings.cancel_url),
        ):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise GatewaySettingsError(f"{name} must be an http(s) URL, e.g. https://shop.example/")
        return settings

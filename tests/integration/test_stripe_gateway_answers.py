"""The Stripe gateway against the Stripe double: answers that are not a plain success or refusal.

- two requests under one idempotency key at once: Stripe answers the second 409
  `idempotency_key_in_use`, which means "the first one's answer is coming", so it is
  DependencyUnavailable (503, retry), not a refusal that would fail the payment;
- a 200 whose body is not Stripe's JSON (a proxy's page): unavailable, its text not passed on;
- an answer without the Checkout Session's URL: a Conflict naming it, not a crash;
- an egress proxy from `HTTP_PROXY` is used, as the httpx client did before (aiohttp's
  `trust_env`);
- a Stripe that accepts the connection and never answers: unavailable after the gateway's
  10 s, not the SDK's default 80 s.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from adapters.payments.registry import GatewayConfig, create_gateway
from adapters.payments.stripe.gateway import TIMEOUT_SECONDS, proxy_for
from application.ports import CheckoutRequest, PaymentGateway
from domain.errors import Conflict, DependencyUnavailable
from domain.money import Money
from tests.doubles.stripe import StripeDouble


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def double() -> Iterator[StripeDouble]:
    started = StripeDouble(secret_key="sk_test_answers", webhook_secret="whsec_answers").start()
    yield started
    started.stop()


def gateway(double: StripeDouble, api_base: str | None = None) -> PaymentGateway:
    values = {
        "STRIPE_SECRET_KEY": double.secret_key,
        "STRIPE_WEBHOOK_SECRET": double.webhook_secret,
        "STRIPE_API_BASE": api_base or double.url,
    }
    return create_gateway("stripe", GatewayConfig("unused", "https://shop.example", Clock(), values))


def checkout(payment_id: int = 7) -> CheckoutRequest:
    reference = f"storefront-test-payment-{payment_id}"
    return CheckoutRequest(reference, payment_id, 3, Money(19_990, "RUB"), "Order 3")


async def test_a_key_still_in_use_is_unavailable_not_a_refusal(double: StripeDouble) -> None:
    double.latency_seconds = 0.3
    stripe = gateway(double)
    try:
        first, second = await asyncio.gather(
            stripe.create_payment(checkout()), stripe.create_payment(checkout()), return_exceptions=True
        )
    finally:
        await stripe.aclose()  # type: ignore[attr-defined]
    outcomes = sorted([first, second], key=lambda outcome: isinstance(outcome, Exception))
    assert not isinstance(outcomes[0], Exception), outcomes
    assert isinstance(outcomes[1], DependencyUnavailable), outcomes
    assert len(double.sessions) == 1


async def test_a_page_that_is_not_stripes_is_unavailable_and_not_repeated(double: StripeDouble) -> None:
    double.foreign_page_next(1)
    stripe = gateway(double)
    try:
        with pytest.raises(DependencyUnavailable) as caught:
            await stripe.create_payment(checkout())
        assert len(caught.value.message) <= 350
        opened = await stripe.create_payment(checkout())
    finally:
        await stripe.aclose()  # type: ignore[attr-defined]
    assert opened.provider_payment_id in double.sessions


async def test_a_session_without_its_url_is_a_conflict(double: StripeDouble) -> None:
    double.sessions_without_url = True
    stripe = gateway(double)
    try:
        with pytest.raises(Conflict, match="without an id or a URL"):
            await stripe.create_payment(checkout())
    finally:
        await stripe.aclose()  # type: ignore[attr-defined]


async def test_an_egress_proxy_from_the_environment_is_used(
    double: StripeDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`stripe.invalid` resolves nowhere: the request reaches the double only through the proxy
    (which the double also serves: a plain-HTTP proxy gets the absolute URL and answers it)."""
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", double.url)
    stripe = gateway(double, api_base="http://stripe.invalid")
    try:
        opened = await stripe.create_payment(checkout())
    finally:
        await stripe.aclose()  # type: ignore[attr-defined]
    assert opened.provider_payment_id in double.sessions


async def test_a_stripe_that_never_answers_is_unavailable_after_the_timeout(double: StripeDouble) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)  # the kernel accepts; nobody reads or answers
    stripe = gateway(double, api_base=f"http://127.0.0.1:{listener.getsockname()[1]}")
    began = time.monotonic()
    try:
        with pytest.raises(DependencyUnavailable):
            await stripe.create_payment(checkout())
    finally:
        await stripe.aclose()  # type: ignore[attr-defined]
        listener.close()
    assert TIMEOUT_SECONDS - 1 < time.monotonic() - began < TIMEOUT_SECONDS + 5


def test_the_proxy_follows_the_scheme_and_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert proxy_for("https://api.stripe.com") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://egress.internal:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://plain.internal:3128")
    assert proxy_for("https://api.stripe.com") == "http://egress.internal:3128"
    assert proxy_for("http://stripe.invalid") == "http://plain.internal:3128"
    monkeypatch.setenv("NO_PROXY", ".stripe.com,localhost")
    assert proxy_for("https://api.stripe.com") is None

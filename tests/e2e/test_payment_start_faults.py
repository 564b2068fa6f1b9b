"""A payment start when a provider misbehaves, swept over every provider reached over the network
(Stripe and YooKassa, each against its in-process double; the mock provider lives inside the app).

- unreachable (5xx) without an Idempotency-Key: the payment was never opened, so it blocks
  nobody — the same provider resumes it (one payment at the provider), another retires it;
- an answer the store cannot keep (a checkout URL over 1000 characters): 503, logged at ERROR,
  and the payment not stuck;
- the shop's credentials refused (401): 503 with the generic message, the provider's text
  logged at ERROR, the payment not failed (it opens once the key is right again);
- two stores (their own databases, the same ids) on one provider account: each its own payment
  there (the installation id in every reference).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from entrypoints.migrations import upgrade
from tests.conftest import make_settings, off_loop
from tests.doubles.stripe import StripeDouble
from tests.doubles.yookassa import SHOP_ID, YooKassaDouble
from tests.e2e.conftest import Api
from tests.e2e.payment_flow import Headers, make_product, place_order


@dataclass
class Remote:
    """One provider the app reaches over the network, seen from its double."""

    name: str
    fail_next: Callable[[int, int], None]  # (count, HTTP status)
    opened: Callable[[], int]  # payments opened at the provider so far
    answer_checkout_url: Callable[[str | None], None]  # what the provider answers as its page
    set_key: Callable[[str], None]  # the secret key the provider accepts from now on
    key: str  # the one the app is configured with


@pytest.fixture
def stripe_api() -> Iterator[StripeDouble]:
    double = StripeDouble(secret_key="sk_test_faults", webhook_secret="whsec_test_faults").start()
    yield double
    double.stop()


@pytest.fixture
def yookassa_api() -> Iterator[YooKassaDouble]:
    with YooKassaDouble() as double:
        yield double


@pytest.fixture
def settings_overrides(stripe_api: StripeDouble, yookassa_api: YooKassaDouble) -> dict[str, object]:
    return {
        "payment_providers": "mock,stripe,yookassa",
        "provider_values": {
            "STRIPE_SECRET_KEY": stripe_api.secret_key,
            "STRIPE_WEBHOOK_SECRET": stripe_api.webhook_secret,
            "STRIPE_API_BASE": stripe_api.url,
            "YOOKASSA_SHOP_ID": SHOP_ID,
            "YOOKASSA_SECRET_KEY": yookassa_api.secret_key,
            "YOOKASSA_API_URL": yookassa_api.api_url,
        },
    }


@pytest.fixture(params=["stripe", "yookassa"])
def remote(request: pytest.FixtureRequest, stripe_api: StripeDouble, yookassa_api: YooKassaDouble) -> Remote:
    if request.param == "stripe":
        return Remote(
            "stripe",
            stripe_api.fail_next,
            lambda: len(stripe_api.sessions),
            lambda url: setattr(stripe_api, "checkout_url", url),
            lambda key: setattr(stripe_api, "secret_key", key),
            stripe_api.secret_key,
        )
    return Remote(
        "yookassa",
        yookassa_api.fail_next,
        lambda: len(yookassa_api.payments),
        lambda url: setattr(yookassa_api, "confirmation_url", url),
        lambda key: setattr(yookassa_api, "secret_key", key),
        yookassa_api.secret_key,
    )


async def start(api: Api, customer: Headers, order_id: int, provider: str) -> Any:
    headers = {**customer, "content-type": "application/json"}
    return await api.client.post(
        f"/api/v1/payments/orders/{order_id}", json={"provider": provider}, headers=headers
    )


async def payments_of(api: Api, customer: Headers, order_id: int) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = (
        await api.client.get(f"/api/v1/orders/{order_id}/payments", headers=customer)
    ).json()
    return listed


async def test_a_payment_never_opened_is_resumed_by_a_start_without_a_key(api: Api, remote: Remote) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    remote.fail_next(1, 500)
    down = await start(api, customer, order["id"], remote.name)
    assert down.status_code == 503, down.text
    again = await start(api, customer, order["id"], remote.name)
    assert again.status_code == 201, again.text
    (only,) = await payments_of(api, customer, order["id"])
    assert (only["id"], only["provider_payment_id"]) == (
        again.json()["id"],
        again.json()["provider_payment_id"],
    )
    assert remote.opened() == 1
    twice = await start(api, customer, order["id"], remote.name)
    assert twice.status_code == 409, twice.text  # opened now: it is the order's active payment


async def test_an_answer_broken_off_mid_body_is_503_and_the_retry_opens_the_same_session(
    api: Api, stripe_api: StripeDouble
) -> None:
    """Stripe's answer breaks off after its headers (the SDK's HTTP client reads the body outside
    its own error handling): 503, and the retry under the same idempotency key gets the session
    Stripe did open, so there is exactly one."""
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    stripe_api.break_next(1)
    broken = await start(api, customer, order["id"], "stripe")
    assert broken.status_code == 503, broken.text
    assert broken.headers["content-type"].startswith("application/problem+json")
    assert len(stripe_api.sessions) == 1  # Stripe did open it
    again = await start(api, customer, order["id"], "stripe")
    assert again.status_code == 201, again.text
    assert again.json()["provider_payment_id"] == next(iter(stripe_api.sessions))
    assert len(stripe_api.sessions) == 1


async def test_a_page_that_is_not_stripes_is_503_short_and_the_payment_stays_resumable(
    api: Api, stripe_api: StripeDouble
) -> None:
    """A 200 whose body is not Stripe's JSON (a proxy's or a captive portal's page): Stripe is
    unavailable, not refusing; the customer is not shown the page, and a retry opens the payment."""
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    stripe_api.foreign_page_next(1)
    foreign = await start(api, customer, order["id"], "stripe")
    assert foreign.status_code == 503, foreign.text
    assert len(foreign.content) < 500
    assert "<html" not in foreign.text
    (payment,) = await payments_of(api, customer, order["id"])
    assert payment["status"] == "created"
    again = await start(api, customer, order["id"], "stripe")
    assert again.status_code == 201, again.text
    assert len(stripe_api.sessions) == 1


async def test_a_payment_never_opened_is_retired_by_a_start_with_another_provider(
    api: Api, remote: Remote
) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    remote.fail_next(1, 503)
    down = await start(api, customer, order["id"], remote.name)
    assert down.status_code == 503, down.text
    other = await start(api, customer, order["id"], "mock")
    assert other.status_code == 201, other.text
    retired, current = await payments_of(api, customer, order["id"])
    assert (retired["provider"], retired["status"], retired["provider_payment_id"]) == (
        remote.name,
        "canceled",
        None,
    )
    assert "replaced before it was opened" in retired["fail_reason"]
    assert (current["id"], current["status"]) == (other.json()["id"], "created")
    assert remote.opened() == 0


@pytest.fixture
def other_store(tmp_path: Path, settings_overrides: dict[str, object]) -> Api:
    """A second store (its own database) on the same provider accounts, as staging beside production."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'other-store.db'}"
    off_loop(upgrade, url)
    return Api(AsyncTestClient(create_app(make_settings(url, **settings_overrides))))


@pytest.mark.parametrize("provider", ["mock", "stripe", "yookassa"])
async def test_two_stores_on_one_provider_account_never_share_a_payment(
    api: Api, other_store: Api, provider: str, stripe_api: StripeDouble, yookassa_api: YooKassaDouble
) -> None:
    opened = []
    async with other_store.client:
        for store in (api, other_store):
            customer = await store.customer()
            order = await place_order(store, customer, await make_product(store))
            started = await start(store, customer, order["id"], provider)
            assert started.status_code == 201, started.text
            opened.append((order["id"], started.json()["id"], started.json()["provider_payment_id"]))
    (order_a, payment_a, at_provider_a), (order_b, payment_b, at_provider_b) = opened
    assert (order_a, payment_a) == (order_b, payment_b)  # the same ids in both databases
    assert at_provider_a != at_provider_b
    if provider != "mock":
        assert len(stripe_api.sessions if provider == "stripe" else yookassa_api.payments) == 2


async def test_a_checkout_page_the_store_cannot_keep_is_503_logged_and_the_payment_not_stuck(
    api: Api, remote: Remote, caplog: pytest.LogCaptureFixture
) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    remote.answer_checkout_url("https://pay.example/" + "x" * 1000)
    with caplog.at_level(logging.ERROR, logger="storefront.payments"):
        answered = await start(api, customer, order["id"], remote.name)
    assert answered.status_code == 503, answered.text
    assert answered.json()["detail"] == "the payment provider is unavailable, retry shortly"
    assert any(r.levelno == logging.ERROR and "checkout_url" in r.getMessage() for r in caplog.records)
    (waiting,) = await payments_of(api, customer, order["id"])
    assert (waiting["status"], waiting["provider_payment_id"]) == ("created", None)
    # Not stuck: another provider replaces it at once.
    replaced = await start(api, customer, order["id"], "mock")
    assert replaced.status_code == 201, replaced.text


async def test_refused_credentials_are_503_logged_and_the_payment_not_failed(
    api: Api, remote: Remote, caplog: pytest.LogCaptureFixture
) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    remote.set_key("rotated-at-the-provider")
    with caplog.at_level(logging.ERROR, logger="storefront.payments"):
        refused = await start(api, customer, order["id"], remote.name)
    assert refused.status_code == 503, refused.text
    assert refused.json()["detail"] == "the payment provider is unavailable, retry shortly"
    assert any(
        r.levelno == logging.ERROR and "refused the shop's credentials (401)" in r.getMessage()
        for r in caplog.records
    ), caplog.text
    (waiting,) = await payments_of(api, customer, order["id"])
    assert (waiting["status"], waiting["fail_reason"]) == ("created", None)
    remote.set_key(remote.key)
    opened = await start(api, customer, order["id"], remote.name)
    assert (opened.status_code, opened.json()["id"]) == (201, waiting["id"]), opened.text

"""The YooKassa double speaks API v3's wire format: the official SDK's own calls work against it.

The SDK (a dev dependency only) is blocking and global; it is used here on a worker thread,
to prove the double, never by the app.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.doubles.yookassa import SECRET_KEY, SHOP_ID, YooKassaDouble


@pytest.fixture
def yookassa() -> Iterator[YooKassaDouble]:
    with YooKassaDouble() as double:
        yield double


def _off_thread(fn: Any, *args: Any) -> Any:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def _sdk_round_trip(api_url: str) -> dict[str, Any]:
    from yookassa import Configuration, Payment

    Configuration.configure(SHOP_ID, SECRET_KEY, api_url=api_url)
    created = Payment.create(
        {
            "amount": {"value": "149.90", "currency": "RUB"},
            "capture": True,
            "confirmation": {"type": "redirect", "return_url": "https://shop.example/"},
            "description": "Order 7",
            "metadata": {"order_id": "7", "payment_id": "3"},
        },
        "storefront-payment-3",
    )
    found = Payment.find_one(created.id)
    return {
        "id": created.id,
        "status": created.status,
        "value": str(created.amount.value),
        "currency": created.amount.currency,
        "url": created.confirmation.confirmation_url,
        "found": found.id,
        "metadata": dict(found.metadata),
    }


def test_the_official_sdk_creates_and_reads_a_payment_at_the_double(yookassa: YooKassaDouble) -> None:
    answer = _off_thread(_sdk_round_trip, yookassa.api_url)
    assert answer["status"] == "pending"
    assert (answer["value"], answer["currency"]) == ("149.90", "RUB")
    assert answer["url"].startswith("http://127.0.0.1:")
    assert answer["found"] == answer["id"]
    assert answer["metadata"]["payment_id"] == "3"
    sent = yookassa.posts("/v3/payments")[0]
    assert sent.headers["idempotence-key"] == "storefront-payment-3"
    assert sent.headers["authorization"].startswith("Basic ")


def _sdk_refund(api_url: str, payment_id: str) -> tuple[str, str, str]:
    from yookassa import Configuration, Refund

    Configuration.configure(SHOP_ID, SECRET_KEY, api_url=api_url)
    refund = Refund.create(
        {"payment_id": payment_id, "amount": {"value": "50.00", "currency": "RUB"}}, "storefront-refund-1"
    )
    again = Refund.find_one(refund.id)
    return refund.id, again.status, str(again.amount.value)


def test_the_official_sdk_refunds_at_the_double(yookassa: YooKassaDouble) -> None:
    payment = _create(yookassa, "k1", "149.90")
    yookassa.succeed(payment["id"])
    refund_id, status, value = _off_thread(_sdk_refund, yookassa.api_url, payment["id"])
    assert (status, value) == ("succeeded", "50.00")
    assert yookassa.refunds[refund_id]["payment_id"] == payment["id"]


def _sdk_error(api_url: str, key: str) -> str:
    from yookassa import Configuration, Payment
    from yookassa.domain.exceptions import ApiError

    Configuration.configure(SHOP_ID, key, api_url=api_url)
    try:
        Payment.find_one("2d8a4b5e-000f-5000-8000-1a2b3c4d5e6f")
    except ApiError as error:
        return type(error).__name__ + ":" + str(error.content.get("code"))
    return "no error"


@pytest.mark.parametrize(("key", "expected"), [("wrong-key", "UnauthorizedError:invalid_credentials"),
                                                (SECRET_KEY, "NotFoundError:not_found")])  # fmt: skip
def test_the_sdk_reads_the_doubles_errors(yookassa: YooKassaDouble, key: str, expected: str) -> None:
    assert _off_thread(_sdk_error, yookassa.api_url, key) == expected


# ---- the double's own rules, over plain HTTP ----------------------------------------------


def _post(
    double: YooKassaDouble, path: str, key: str | None, body: Any, auth: tuple[str, str] | None = None
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Idempotence-Key"] = key
    return httpx.post(
        double.api_url + path, content=json.dumps(body), headers=headers, auth=auth or (SHOP_ID, SECRET_KEY)
    )


def _payment_body(value: str) -> dict[str, Any]:
    return {
        "amount": {"value": value, "currency": "RUB"},
        "capture": True,
        "confirmation": {"type": "redirect", "return_url": "https://shop.example/"},
        "description": "Order 1",
    }


def _create(double: YooKassaDouble, key: str, value: str) -> dict[str, Any]:
    response = _post(double, "/payments", key, _payment_body(value))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_same_key_same_body_replays_and_another_body_is_refused(yookassa: YooKassaDouble) -> None:
    first = _create(yookassa, "key-1", "10.00")
    assert _create(yookassa, "key-1", "10.00") == first
    other = _post(yookassa, "/payments", "key-1", _payment_body("11.00"))
    assert other.status_code == 400
    assert other.json()["code"] == "invalid_request"
    assert len(yookassa.payments) == 1


def test_a_post_without_an_idempotence_key_is_refused(yookassa: YooKassaDouble) -> None:
    response = _post(yookassa, "/payments", None, _payment_body("10.00"))
    assert response.status_code == 400
    assert response.json()["parameter"] == "Idempotence-Key"


def test_bad_credentials_are_401_in_yookassas_words(yookassa: YooKassaDouble) -> None:
    response = _post(yookassa, "/payments", "k", _payment_body("10.00"), auth=(SHOP_ID, "nope"))
    assert response.status_code == 401
    assert response.json()["type"] == "error"
    assert response.json()["code"] == "invalid_credentials"


@pytest.mark.parametrize("value", ["1.001", "-1.00", "0", "1e3", "ten"])
def test_amounts_that_are_not_money_are_refused(yookassa: YooKassaDouble, value: str) -> None:
    response = _post(yookassa, "/payments", "k", _payment_body(value))
    assert response.status_code == 400
    assert response.json()["parameter"] == "amount.value"


def test_controls_fail_then_recover_and_move_payments(yookassa: YooKassaDouble) -> None:
    yookassa.fail_next(2)
    assert _post(yookassa, "/payments", "k", _payment_body("5.00")).status_code == 500
    assert _post(yookassa, "/payments", "k", _payment_body("5.00")).status_code == 500
    payment = _create(yookassa, "k", "5.00")
    yookassa.cancel(payment["id"], "insufficient_funds")
    read = httpx.get(f"{yookassa.api_url}/payments/{payment['id']}", auth=(SHOP_ID, SECRET_KEY)).json()
    assert read["status"] == "canceled"
    assert read["cancellation_details"]["reason"] == "insufficient_funds"
    body = json.loads(yookassa.notification("payment.canceled", payment["id"]))
    assert body["type"] == "notification" and body["object"]["status"] == "canceled"


def test_an_unreachable_double_drops_the_connection(yookassa: YooKassaDouble) -> None:
    yookassa.unreachable = True
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{yookassa.api_url}/payments/x", auth=(SHOP_ID, SECRET_KEY))

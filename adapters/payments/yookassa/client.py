"""A thin async client of YooKassa API v3 (httpx): payments and refunds, nothing else.

Why not the official `yookassa` SDK: see docs/decisions.md ("YooKassa: a thin client on
httpx"). Every call has a 10 s timeout; amounts travel as exact decimal strings. One HTTP client
per event loop carries every call, its connections kept alive between them.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, TypeVar

import httpx
import msgspec

from application.ports import ProviderCredentialsRefused
from domain.errors import Conflict, DependencyUnavailable, NotAuthenticated
from domain.money import Money, parse_amount

# YooKassa's object ids are 36-character UUID-like strings; anything that could change the
# request path (`/`, `.`, `?`, `%`) is refused before it reaches a URL.
OBJECT_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_DESCRIPTION_MAX = 200
T = TypeVar("T")


class Amount(msgspec.Struct, frozen=True):
    value: str
    currency: str

    def money(self) -> Money:
        """Exact: `"149.90"` is 14990 minor units; anything but a plain decimal string is refused."""
        if not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise ValueError(f"currency {self.currency!r}")
        return Money.of(parse_amount(self.value), self.currency)

    @classmethod
    def of(cls, money: Money) -> Amount:
        """From minor units, never through a float: 14990 RUB → `{"value": "149.90", "currency": "RUB"}`."""
        return cls(str(money.amount), money.currency)


class Confirmation(msgspec.Struct, frozen=True):
    type: str
    confirmation_url: str | None = None


class CancellationDetails(msgspec.Struct, frozen=True):
    party: str | None = None
    reason: str | None = None


class PaymentObject(msgspec.Struct, frozen=True):
    """A payment as YooKassa's API describes it (the fields used here; others are ignored)."""

    id: str
    status: str
    amount: Amount
    confirmation: Confirmation | None = None
    cancellation_details: CancellationDetails | None = None
    metadata: dict[str, str] | None = None


class RefundObject(msgspec.Struct, frozen=True):
    id: str
    payment_id: str
    status: str
    amount: Amount
    cancellation_details: CancellationDetails | None = None


class ErrorBody(msgspec.Struct, frozen=True):
    type: str | None = None
    code: str | None = None
    description: str | None = None
    parameter: str | None = None


class YooKassaClient:
    """Calls `{api_url}/payments` and `{api_url}/refunds` with HTTP Basic auth (shop id, secret key).

    Errors: `DependencyUnavailable` when YooKassa cannot be reached, times out, answers
    5xx or 429, or answers with a body that is not the object asked for;
    `ProviderCredentialsRefused` on 401/403 (the shop id or secret key refused); `Conflict` with
    YooKassa's `description` for any other 4xx; `NotAuthenticated` from the `get_*` calls
    when YooKassa does not know the object (404) — a notification naming it is not believed.
    """

    def __init__(
        self,
        shop_id: str,
        secret_key: str,
        api_url: str,
        timeout_seconds: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._auth = httpx.BasicAuth(shop_id, secret_key)
        self._api_url = api_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout_seconds)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _http(self) -> httpx.AsyncClient:
        """One client, its connections kept alive between calls, per event loop (an httpx
        client's connections belong to the loop that opened them); built on the first call."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = httpx.AsyncClient(
                auth=self._auth,
                timeout=self._timeout,
                transport=self._transport,
                follow_redirects=False,
            )
            self._loop = loop
        return self._client

    async def create_payment(self, body: dict[str, Any], idempotence_key: str) -> PaymentObject:
        return await self._call("POST", "/payments", PaymentObject, body, idempotence_key)

    async def get_payment(self, payment_id: str) -> PaymentObject:
        return await self._call("GET", f"/payments/{_checked_id(payment_id)}", PaymentObject)

    async def create_refund(self, body: dict[str, Any], idempotence_key: str) -> RefundObject:
        return await self._call("POST", "/refunds", RefundObject, body, idempotence_key)

    async def get_refund(self, refund_id: str) -> RefundObject:
        return await self._call("GET", f"/refunds/{_checked_id(refund_id)}", RefundObject)

    async def _call(
        self,
        method: str,
        path: str,
        kind: type[T],
        body: dict[str, Any] | None = None,
        idempotence_key: str | None = None,
    ) -> T:
        headers = {"Accept": "application/json"}
        if idempotence_key is not None:
            headers["Idempotence-Key"] = idempotence_key
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = msgspec.json.encode(body)
        try:
            response = await self._http().request(
                method, self._api_url + path, headers=headers, content=content
            )
        except httpx.TimeoutException:
            raise DependencyUnavailable("YooKassa did not answer in time") from None
        except httpx.HTTPError as error:
            raise DependencyUnavailable(f"YooKassa could not be reached ({type(error).__name__})") from None
        status = response.status_code
        if status >= 500 or status == 429:
            raise DependencyUnavailable(f"YooKassa answered {status}; try again later")
        if status in (401, 403):
            raise ProviderCredentialsRefused(
                f"YooKassa refused the shop's credentials ({status}): {_description(response.content)}"
            )
        if status == 404 and method == "GET":
            raise NotAuthenticated("YooKassa does not know the object the notification names")
        if status >= 400:
            raise Conflict(f"YooKassa refused the request ({status}): {_description(response.content)}")
        if status != 200:
            # 202 {"type": "processing", "retry_after": …}: the first request with this key is
            # still being processed; the caller retries with the same key.
            raise DependencyUnavailable(
                f"YooKassa is still processing the request ({status}); try again later"
            )
        try:
            return msgspec.json.decode(response.content, type=kind)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            raise DependencyUnavailable(f"YooKassa's answer could not be read: {error}") from None


def _checked_id(object_id: str) -> str:
    if not OBJECT_ID.fullmatch(object_id):
        raise ValueError("not a YooKassa object id")
    return object_id


def _description(content: bytes) -> str:
    try:
        error = msgspec.json.decode(content, type=ErrorBody)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return "no description"
    text = error.description or error.code or "no description"
    if error.parameter:
        text = f"{text} (parameter {error.parameter})"
    return text[:_DESCRIPTION_MAX]

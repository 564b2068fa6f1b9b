"""An in-process YooKassa: the parts of API v3 the adapter uses, in its wire format.

    with YooKassaDouble() as yookassa:
        gateway = YooKassaGateway(yookassa.settings())
        ...
        yookassa.succeed(payment_id)
        body = yookassa.notification("payment.succeeded", payment_id)

It follows YooKassa's public API reference: JSON bodies; HTTP Basic auth with the shop id
and secret key (else 401 `invalid_credentials`); an `Idempotence-Key` on every POST (at most
64 characters; the same key and body replay the first answer, the same key with another
body is 400 `invalid_request`, as "Idempotence key duplicated"); amounts as decimal strings
(`"149.90"`); errors as `{"type": "error", "id", "code", "description", "parameter"?}`.
Objects: payments (`POST /payments`, `GET /payments/{id}`) and refunds (`POST /refunds`,
`GET /refunds/{id}`). Notifications are `{"type": "notification", "event", "object"}`.

It serves on 127.0.0.1 at a port chosen when it starts, from a thread of its own (so sync
and async tests, and app processes, can all reach it). Controls: `succeed`, `cancel`,
`wait_for_capture` move a payment; `fail_next(n)` answers the next n requests with 500;
`unreachable = True` drops every connection without an answer; `delay` holds each answer;
`refund_status` is the status new refunds get. `requests` records what arrived.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SHOP_ID = "506751"
SECRET_KEY = "test_Fh8hUAVVBGUGbjmlzba6TB0iyUbos_lueTHE-axOwM0"
_AMOUNT = re.compile(r"^[0-9]{1,17}(\.[0-9]{1,2})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_IDEMPOTENCE_KEY = 64


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _Answer:
    status: int
    body: dict[str, Any]


class _ApiError(Exception):
    def __init__(self, status: int, code: str, description: str, parameter: str | None = None) -> None:
        super().__init__(description)
        self.answer = _Answer(status, _error_body(code, description, parameter))


def _error_body(code: str, description: str, parameter: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "error",
        "id": str(uuid.uuid4()),
        "code": code,
        "description": description,
    }
    if parameter is not None:
        body["parameter"] = parameter
    return body


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _object_id() -> str:
    """YooKassa's ids look like `2d8a4b5e-000f-5000-8000-1a2b3c4d5e6f`."""
    raw = uuid.uuid4().hex
    return f"{raw[:8]}-000f-5000-{'89ab'[int(raw[8], 16) % 4]}000-{raw[20:32]}"


@dataclass
class YooKassaDouble:
    shop_id: str = SHOP_ID
    secret_key: str = SECRET_KEY
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    unreachable: bool = False
    delay: float = 0.0
    refund_status: str = "succeeded"
    # When set, every payment opened from now on gets this `confirmation_url` (a misbehaving API).
    confirmation_url: str | None = None
    _failures: int = 0
    _failure_status: int = 500
    _keys: dict[tuple[str, str], tuple[Any, _Answer]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    # ---- life ---------------------------------------------------------------

    def start(self) -> YooKassaDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                double._handle(self, "GET")

            def do_POST(self) -> None:
                double._handle(self, "POST")

            def do_PUT(self) -> None:
                double._handle(self, "PUT")

            def do_DELETE(self) -> None:
                double._handle(self, "DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> YooKassaDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start the double first"
        return int(self._server.server_address[1])

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v3"

    # ---- controls -----------------------------------------------------------

    def fail_next(self, count: int, status: int = 500) -> None:
        """The next `count` requests get `status` with YooKassa's error body (nothing is done)."""
        with self._lock:
            self._failures = count
            self._failure_status = status

    def succeed(self, payment_id: str) -> dict[str, Any]:
        """The customer paid (capture: true): the payment is `succeeded`."""
        with self._lock:
            payment = self.payments[payment_id]
            payment.update(
                status="succeeded",
                paid=True,
                refundable=True,
                captured_at=_now(),
                income_amount=dict(payment["amount"]),
                refunded_amount={"value": "0.00", "currency": payment["amount"]["currency"]},
                payment_method={"type": "bank_card", "id": payment_id, "saved": False},
            )
            return dict(payment)

    def cancel(
        self, payment_id: str, reason: str = "expired_on_confirmation", party: str = "yoo_money"
    ) -> None:
        with self._lock:
            self.payments[payment_id].update(
                status="canceled", paid=False, cancellation_details={"party": party, "reason": reason}
            )

    def wait_for_capture(self, payment_id: str) -> None:
        with self._lock:
            self.payments[payment_id].update(status="waiting_for_capture", paid=True)

    def add_payment(
        self, payment_id: str, status: str, value: str, currency: str, reason: str | None = None
    ) -> dict[str, Any]:
        """A payment made elsewhere (another client of the shop), as the API would hold it."""
        with self._lock:
            payment: dict[str, Any] = {
                "id": payment_id,
                "status": "pending",
                "paid": False,
                "amount": {"value": value, "currency": currency},
                "created_at": _now(),
                "metadata": {},
                "recipient": {"account_id": self.shop_id, "gateway_id": "2269040"},
                "refundable": False,
                "test": True,
            }
            self.payments[payment_id] = payment
        if status == "succeeded":
            self.succeed(payment_id)
        elif status == "canceled":
            self.cancel(payment_id, reason or "expired_on_confirmation")
        elif status == "waiting_for_capture":
            self.wait_for_capture(payment_id)
        return dict(self.payments[payment_id])

    def set_refund(self, refund_id: str, status: str, reason: str | None = None) -> None:
        with self._lock:
            refund = self.refunds[refund_id]
            refund["status"] = status
            if reason is not None:
                refund["cancellation_details"] = {"party": "yoo_money", "reason": reason}

    def notification(self, event: str, object_id: str, **overrides: Any) -> bytes:
        """The body YooKassa posts for `event` about the object as it is now (`overrides` forge it)."""
        with self._lock:
            stored = (
                self.refunds.get(object_id) if event.startswith("refund.") else self.payments.get(object_id)
            )
            obj = dict(stored) if stored is not None else {"id": object_id}
        obj.update(overrides)
        return json.dumps({"type": "notification", "event": event, "object": obj}).encode()

    def posts(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == path]

    # ---- the API ------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in handler.headers.items()}
        with self._lock:
            self.requests.append(Recorded(method, handler.path, headers, body))
            unreachable = self.unreachable
            failing = self._failures > 0
            if failing:
                self._failures -= 1
        if self.delay:
            self._stop.wait(self.delay)
        if unreachable:
            handler.close_connection = True
            handler.connection.close()
            return
        if failing:
            answer = _Answer(
                self._failure_status, _error_body("internal_server_error", "Internal server error")
            )
        else:
            try:
                answer = self._route(method, handler.path, headers, body)
            except _ApiError as error:
                answer = error.answer
        payload = json.dumps(answer.body).encode()
        handler.send_response(answer.status)
        handler.send_header("Content-Type", "application/json;charset=UTF-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _route(self, method: str, path: str, headers: dict[str, str], body: bytes) -> _Answer:
        self._authenticate(headers.get("authorization", ""))
        parts = path.split("?")[0].strip("/").split("/")
        if len(parts) < 2 or parts[0] != "v3" or parts[1] not in ("payments", "refunds"):
            raise _ApiError(404, "not_found", "Incorrect URL. Check the request path")
        collection = parts[1]
        if method == "POST" and len(parts) == 2:
            return self._post(collection, headers, body)
        if method == "GET" and len(parts) == 3:
            with self._lock:
                found = (self.payments if collection == "payments" else self.refunds).get(parts[2])
                if found is None:
                    raise _ApiError(404, "not_found", f"The {collection[:-1]} with this id is not found")
                return _Answer(200, dict(found))
        if method not in ("GET", "POST"):
            return _Answer(405, {"type": "error", "description": "Method not allowed"})
        raise _ApiError(404, "not_found", "Incorrect URL. Check the request path")

    def _authenticate(self, header: str) -> None:
        scheme, _, token = header.partition(" ")
        try:
            user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except ValueError:
            user, password = "", ""
        good = hmac.compare_digest(user.encode(), self.shop_id.encode()) & hmac.compare_digest(
            password.encode(), self.secret_key.encode()
        )
        if scheme.lower() != "basic" or not good:
            raise _ApiError(
                401,
                "invalid_credentials",
                "Login and password are incorrect. Specify the shopId and the secret key",
                "Authorization",
            )

    def _post(self, collection: str, headers: dict[str, str], raw: bytes) -> _Answer:
        key = headers.get("idempotence-key", "")
        if not key:
            raise _ApiError(400, "invalid_request", "Idempotence key is missing", "Idempotence-Key")
        if len(key) > MAX_IDEMPOTENCE_KEY:
            raise _ApiError(
                400,
                "invalid_request",
                f"Idempotence key is longer than {MAX_IDEMPOTENCE_KEY}",
                "Idempotence-Key",
            )
        if not headers.get("content-type", "").lower().startswith("application/json"):
            return _Answer(415, {"type": "error", "description": "Unsupported media type"})
        try:
            body = json.loads(raw)
        except ValueError:
            raise _ApiError(400, "invalid_request", "The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise _ApiError(400, "invalid_request", "The request body must be a JSON object")
        with self._lock:
            seen = self._keys.get((collection, key))
            if seen is not None:
                if seen[0] != body:
                    raise _ApiError(400, "invalid_request", "Idempotence key duplicated", "Idempotence-Key")
                return seen[1]
            answer = self._create_payment(body) if collection == "payments" else self._create_refund(body)
            self._keys[(collection, key)] = (body, answer)
            return answer

    def _create_payment(self, body: dict[str, Any]) -> _Answer:
        amount = _amount(body.get("amount"), "amount")
        confirmation = body.get("confirmation")
        if not isinstance(confirmation, dict) or confirmation.get("type") != "redirect":
            raise _ApiError(400, "invalid_request", "Confirmation type is missing", "confirmation.type")
        return_url = confirmation.get("return_url")
        if not isinstance(return_url, str) or not return_url:
            raise _ApiError(400, "invalid_request", "Return URL is missing", "confirmation.return_url")
        description = body.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 128):
            raise _ApiError(400, "invalid_request", "Description is longer than 128", "description")
        metadata = body.get("metadata", {})
        if (
            not isinstance(metadata, dict)
            or len(metadata) > 16
            or not all(
                isinstance(k, str) and len(k) <= 32 and isinstance(v, str | int) and len(str(v)) <= 512
                for k, v in metadata.items()
            )
        ):
            raise _ApiError(400, "invalid_request", "Metadata is invalid", "metadata")
        payment_id = _object_id()
        payment: dict[str, Any] = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": amount,
            "confirmation": {
                "type": "redirect",
                "return_url": return_url,
                "confirmation_url": self.confirmation_url
                or f"http://127.0.0.1:{self.port}/checkout/payments/v2/contract?orderId={payment_id}",
            },
            "created_at": _now(),
            "metadata": {k: str(v) for k, v in metadata.items()},
            "recipient": {"account_id": self.shop_id, "gateway_id": "2269040"},
            "refundable": False,
            "test": True,
        }
        if description is not None:
            payment["description"] = description
        if body.get("capture") is not True:
            payment["capture"] = False
        self.payments[payment_id] = payment
        return _Answer(200, dict(payment))

    def _create_refund(self, body: dict[str, Any]) -> _Answer:
        amount = _amount(body.get("amount"), "amount")
        payment = self.payments.get(str(body.get("payment_id")))
        if payment is None:
            raise _ApiError(400, "invalid_request", "Payment with this id is not found", "payment_id")
        if payment["status"] != "succeeded":
            raise _ApiError(
                400, "invalid_request", "The payment cannot be refunded: it is not succeeded", "payment_id"
            )
        if amount["currency"] != payment["amount"]["currency"]:
            raise _ApiError(
                400, "invalid_request", "Refund currency differs from the payment's", "amount.currency"
            )
        refunded = Decimal(payment.get("refunded_amount", {}).get("value", "0"))
        left = Decimal(payment["amount"]["value"]) - refunded
        if Decimal(amount["value"]) > left:
            raise _ApiError(
                400, "invalid_request", f"The refund amount exceeds what is left ({left})", "amount.value"
            )
        refund_id = _object_id()
        refund: dict[str, Any] = {
            "id": refund_id,
            "payment_id": payment["id"],
            "status": self.refund_status,
            "amount": amount,
            "created_at": _now(),
        }
        if isinstance(body.get("description"), str):
            refund["description"] = body["description"]
        if self.refund_status == "canceled":
            refund["cancellation_details"] = {"party": "yoo_money", "reason": "rejected_by_payee"}
        elif self.refund_status == "succeeded":
            total = refunded + Decimal(amount["value"])
            payment["refunded_amount"] = {"value": f"{total:.2f}", "currency": amount["currency"]}
        self.refunds[refund_id] = refund
        return _Answer(200, dict(refund))


def _amount(raw: Any, name: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise _ApiError(400, "invalid_request", "Amount is missing", name)
    value, currency = raw.get("value"), raw.get("currency")
    if not isinstance(value, str | int | float) or not _AMOUNT.match(str(value)):
        raise _ApiError(400, "invalid_request", "Amount value is invalid", f"{name}.value")
    if Decimal(str(value)) <= 0:
        raise _ApiError(400, "invalid_request", "Amount value must be greater than 0", f"{name}.value")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise _ApiError(400, "invalid_request", "Currency is invalid", f"{name}.currency")
    return {"value": f"{Decimal(str(value)):.2f}", "currency": currency}

"""An in-process Stripe API double speaking Stripe's wire format (docs.stripe.com/api).

- form-encoded bodies with bracket notation (`line_items[0][price_data][unit_amount]=…`);
- `Authorization: Bearer <secret key>`; another key → 401 `invalid_request_error`;
- `Idempotency-Key`: the same key with the same parameters replays the first answer, with
  other parameters → 400 `idempotency_error`; while a request under a key is still being
  answered, another under it → 409 `idempotency_error` with the code `idempotency_key_in_use`;
- errors as `{"error": {"type", "message", "code"}}`;
- objects `checkout.session` (`cs_test_…`) and `refund` (`re_…`);
- signed webhook events (`Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "t.body")`);
- switches: fail the next N requests with a status, break the next N answers off mid-body (the
  headers promise more than is sent, then the connection ends), answer the next N with a page
  that is not Stripe's (200, HTML: a proxy's or a captive portal's), or be unreachable (the port
  closed);
- `latency_seconds`: how long each answer takes (default 0; the benchmark sets a fixed one).

It runs uvicorn in a thread on a port chosen at run time.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn

Scope = dict[str, Any]
_KEY = re.compile(r"([^\[\]]+)|\[([^\[\]]*)\]")


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`a[b][0][c]=1` → `{"a": {"b": [{"c": "1"}]}}` (Stripe's bracket notation)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = [m.group(1) if m.group(1) is not None else m.group(2) for m in _KEY.finditer(key)]
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            nxt = parts[index + 1] if not last else None
            child_kind: Any = list if nxt is not None and nxt.isdigit() else dict
            if isinstance(node, list):
                position = int(part)
                while len(node) <= position:
                    node.append(None)
                if last:
                    node[position] = value
                else:
                    if node[position] is None:
                        node[position] = child_kind()
                    node = node[position]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, child_kind())
    return root


@dataclass
class StripeDouble:
    secret_key: str = "sk_test_double"
    webhook_secret: str = "whsec_double"
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    refund_status: str = "succeeded"
    latency_seconds: float = 0.0
    # When set, every Checkout Session opened from now on gets this `url` (a misbehaving Stripe).
    checkout_url: str | None = None
    # A Checkout Session answered without its `url` (no such answer is documented): for the app's
    # handling of an answer it cannot use.
    sessions_without_url: bool = False
    _idempotent: dict[str, tuple[str, int, bytes]] = field(default_factory=dict)
    _failures: list[int] = field(default_factory=list)
    _broken: int = 0
    _foreign_pages: int = 0
    _in_flight: set[str] = field(default_factory=set)
    _port: int = 0
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    # ---- running -------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> StripeDouble:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Answers leave at once (the accepted connections inherit it): without it each chunked
        # answer's last write waited ~40 ms for the client's delayed ACK (Nagle).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", self._port))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", interface="asgi3")
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the Stripe double did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None

    def unreachable(self) -> _Unreachable:
        """`with double.unreachable(): …` — the port is closed meanwhile, then served again."""
        return _Unreachable(self)

    def fail_next(self, count: int, status: int = 500) -> None:
        self._failures.extend([status] * count)

    def foreign_page_next(self, count: int) -> None:
        """The next `count` requests get 200 with an HTML page instead of Stripe's JSON."""
        self._foreign_pages += count

    def break_next(self, count: int) -> None:
        """The next `count` requests are carried out, but their answers break off mid-body."""
        self._broken += count

    def recover(self) -> None:
        """The failures still queued by `fail_next` are dropped: every request is answered again."""
        self._failures.clear()

    def count(self, method: str, path: str) -> int:
        return sum(1 for each in self.requests if each == (method, path))

    # ---- the provider's side: what its servers send --------------------------------

    def complete(self, session_id: str, *, paid: bool = True) -> dict[str, Any]:
        """The customer finishes the Checkout Session; it gets a PaymentIntent."""
        session = self.sessions[session_id]
        session.update(
            status="complete",
            payment_status="paid" if paid else "unpaid",
            payment_intent=session["payment_intent"] or f"pi_test_{uuid.uuid4().hex[:24]}",
        )
        return session

    def event(self, kind: str, obj: dict[str, Any], *, event_id: str | None = None) -> bytes:
        return json.dumps(
            {
                "id": event_id or f"evt_test_{uuid.uuid4().hex[:24]}",
                "object": "event",
                "api_version": "2025-01-27.acacia",
                "created": int(time.time()),
                "type": kind,
                "livemode": False,
                "data": {"object": obj},
            }
        ).encode()

    def sign(self, body: bytes, *, at: int | None = None, secret: str | None = None) -> dict[str, str]:
        timestamp = int(time.time()) if at is None else at
        key = (secret or self.webhook_secret).encode()
        signature = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        return {"Stripe-Signature": f"t={timestamp},v1={signature}", "Content-Type": "application/json"}

    # ---- the API -------------------------------------------------------------------

    async def app(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        method, path = scope["method"], scope["path"]
        self.requests.append((method, path))
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        key = headers.get("idempotency-key")
        if self._foreign_pages:
            self._foreign_pages -= 1
            status, content_type = 200, b"text/html"
            payload = b"<html><body>" + b"Sign in to the network. " * 500 + b"</body></html>"
        elif key is not None and key in self._in_flight:
            status, content_type = 409, b"application/json"
            in_use = "There is currently another in-progress request using this Idempotency Key."
            payload = _error(409, "idempotency_error", in_use, "idempotency_key_in_use")[1]
        else:
            content_type = b"application/json"
            if key is not None:
                self._in_flight.add(key)
            try:
                status, payload = self._answer(method, path, headers, body)
                if self.latency_seconds:
                    await asyncio.sleep(self.latency_seconds)
            finally:
                self._in_flight.discard(key or "")
        headers_out = [(b"content-type", content_type)]
        if self._broken:
            self._broken -= 1
            # More is promised than sent: the server ends the connection after the short body.
            headers_out.append((b"content-length", str(len(payload) + 64).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers_out})
        await send({"type": "http.response.body", "body": payload})

    def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        if self._failures:
            status = self._failures.pop(0)
            return _error(status, "api_error", "the double was told to fail")
        if headers.get("authorization") != f"Bearer {self.secret_key}":
            return _error(401, "invalid_request_error", "Invalid API Key provided", "api_key_invalid")
        params = unflatten(parse_qsl(body.decode(), keep_blank_values=True))
        key = headers.get("idempotency-key")
        fingerprint = hashlib.sha256(
            f"{method} {path} {json.dumps(params, sort_keys=True)}".encode()
        ).hexdigest()
        if key is not None and key in self._idempotent:
            stored_print, status, payload = self._idempotent[key]
            if stored_print != fingerprint:
                return _error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                )
            return status, payload
        if method == "POST" and path == "/v1/checkout/sessions":
            status, payload = self._create_session(params)
        elif method == "POST" and path == "/v1/refunds":
            status, payload = self._create_refund(params)
        elif method == "GET" and path.startswith("/v1/checkout/sessions/") and path[22:] in self.sessions:
            status, payload = 200, json.dumps(self.sessions[path[22:]]).encode()
        else:
            return _error(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path})")
        if key is not None and status < 500:
            self._idempotent[key] = (fingerprint, status, payload)
        return status, payload

    def _create_session(self, params: dict[str, Any]) -> tuple[int, bytes]:
        try:
            (item,) = params["line_items"]
            price = item["price_data"]
            amount = int(price["unit_amount"]) * int(item.get("quantity", "1"))
            currency = price["currency"]
        except (KeyError, ValueError, TypeError):
            return _error(400, "invalid_request_error", "Missing or invalid line_items", "parameter_missing")
        if params.get("mode") != "payment" or currency != currency.lower():
            return _error(400, "invalid_request_error", "Invalid mode or currency", "parameter_invalid")
        session_id = f"cs_test_{uuid.uuid4().hex}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "url": self.checkout_url or f"https://checkout.stripe.com/c/pay/{session_id}",
            "mode": "payment",
            "amount_total": amount,
            "currency": currency,
            "status": "open",
            "payment_status": "unpaid",
            "payment_intent": None,
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "livemode": False,
        }
        if self.sessions_without_url:
            del session["url"]
        self.sessions[session_id] = session
        return 200, json.dumps(session).encode()

    def _create_refund(self, params: dict[str, Any]) -> tuple[int, bytes]:
        intent = params.get("payment_intent")
        session = next(
            (s for s in self.sessions.values() if s["payment_intent"] and s["payment_intent"] == intent), None
        )
        if session is None:
            return _error(
                400, "invalid_request_error", f"No such payment_intent: '{intent}'", "resource_missing"
            )
        amount = int(params.get("amount", session["amount_total"]))
        refund_id = f"re_test_{uuid.uuid4().hex[:24]}"
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "currency": session["currency"],
            "payment_intent": intent,
            "status": self.refund_status,
            "failure_reason": "lost_or_stolen_card" if self.refund_status == "failed" else None,
            "metadata": params.get("metadata", {}),
        }
        self.refunds[refund_id] = refund
        return 200, json.dumps(refund).encode()


class _Unreachable:
    def __init__(self, double: StripeDouble) -> None:
        self._double = double

    def __enter__(self) -> None:
        self._double.stop()

    def __exit__(self, *_: object) -> None:
        self._double.start()


def _error(status: int, kind: str, message: str, code: str | None = None) -> tuple[int, bytes]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    return status, json.dumps({"error": error}).encode()

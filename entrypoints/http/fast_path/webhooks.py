"""Providers' webhook deliveries answered in front of Litestar's router, plain requests only.

Measured (docs/performance.md, "Writes in front of the router"): like an order placement, a
settlement spent a large share of its CPU around its one use case (`SettleWebhook`) — routing,
Litestar's middleware and signature model, dishka's injection — on the same two cores the
database needs. So this layer, the innermost of `wrap_router` beside the catalog reads and the
order placements, answers `POST {prefix}/payments/webhook/{provider}` itself when:

- `provider` is one of the enabled providers' names (any other path goes to the router, which
  answers the unknown provider);
- there is no query string and no root path, and the headers are ones `common.plain_json_post`
  accepts (a JSON body of one stated length within `max_body`, no `Origin`, no
  `Idempotency-Key`, a plain `Host`);
- the body is a JSON document as the app's body gate (`entrypoints.http.bodies.parse_json`)
  reads it: a body the gate refuses goes to the router, which answers its 400 or 422.

Everything else reaches the router with the body it sent (`common.replaying`). A plain delivery
runs what the route runs: a `WebhookDelivery` of the raw body, the headers as the route reads
them (`lowercase_headers`) and the client's address (`client_ip`), settled by `SettleWebhook`
from a request scope of the same container, answered 200 with the route's `WebhookOut`. An
error is answered by the app's own exception handlers (`common.answer_error`).
`scope["path_template"]` is the route's. `tests/e2e/test_webhook_fast_path.py` holds the served
forms to Litestar's own answers, byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from dishka import AsyncContainer
from dishka import Scope as DIScope
from litestar import Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from application.payments.settle_webhook import SettleWebhook
from application.ports import WebhookDelivery
from domain.errors import InvalidInput
from entrypoints.http.bodies import parse_json
from entrypoints.http.fast_path.common import answer_error, plain_json_post, read_body, replaying, send_json
from entrypoints.http.payments import client_ip, deliver_webhook, lowercase_headers

_encoder = msgspec.json.Encoder()


def webhooks(
    container: AsyncContainer,
    prefix: str,
    providers: Iterable[str],
    exception_handlers: Mapping[type[Exception], Any],
    max_body: int,
) -> Any:
    """The layer for `wrap_router`: plain deliveries to `{prefix}/payments/webhook/{provider}` for
    each of `providers` (the enabled ones); errors are answered by `exception_handlers`."""
    paths = {f"{prefix}/payments/webhook/{name}": name for name in providers}
    template = f"{prefix}/payments/webhook/{{provider}}"

    def layer(router: ASGIApp) -> ASGIApp:
        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await router(scope, receive, send)
                return
            provider = paths.get(scope["path"])
            if (
                provider is None
                or scope["method"] != "POST"
                or scope["query_string"]
                or scope.get("root_path")
                or not plain_json_post(scope["headers"], max_body, bearer=False)
            ):
                await router(scope, receive, send)
                return
            body, connected = await read_body(receive)
            if not connected:
                return
            try:
                parse_json(body)
            except InvalidInput:  # malformed (400) or a number out of range (422): the router's
                await router(scope, replaying(body, receive), send)
                return
            scope["path_template"] = template
            request: Request[Any, Any, Any] = Request(scope, replaying(body, receive), send)
            try:
                delivery = WebhookDelivery(body, lowercase_headers(request), client_ip(request))
                async with container({Request: request}, scope=DIScope.REQUEST) as requested:
                    settle = await requested.get(SettleWebhook)
                    answered = await deliver_webhook(settle, provider, delivery)
            except Exception as error:  # noqa: BLE001 - answered by the app's own exception handlers
                await answer_error(exception_handlers, scope, replaying(body, receive), send, error)
                return
            await send_json(send, 200, _encoder.encode(answered))

        return answer

    return layer

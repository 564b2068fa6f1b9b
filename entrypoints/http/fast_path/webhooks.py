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
- the body is not empty. The app's body gate (`entrypoints.http.bodies.parse_json`) reads it
  as the route's would, and a body it refuses is answered with its 400 or 422, as the route
  answers it.

Everything else (a body not whole or empty included) reaches the router with what was read of
the body (`common.replaying`). A plain delivery runs what the route runs: a `WebhookDelivery` of
the raw body, the headers as the route reads them (`lowercase_headers`) and the client's address
(`client_ip`), settled by `SettleWebhook` from a request scope of the same container, answered
200 with the route's `WebhookOut`. An error is answered by the app's own exception handlers
(`common.answer_error`).
`scope["path_template"]` is the route's. `tests/e2e/test_webhook_fast_path.py` holds the served
forms to Litestar's own answers, byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from dishka import AsyncContainer

from application.payments.settle_webhook import SettleWebhook
from application.ports import WebhookDelivery
from entrypoints.http.bodies import parse_json
from entrypoints.http.fast_path.common import Call, Write, write_layer
from entrypoints.http.payments import client_ip, deliver_webhook, lowercase_headers

_encoder = msgspec.json.Encoder()


def _judged(body: bytes) -> bytes:
    """The raw body (the signature covers its bytes), once the app's body gate has read it as
    JSON; a body the gate refuses raises its InvalidInput, answered as the route answers it."""
    parse_json(body)
    return body


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

    async def settle(call: Call) -> bytes:
        delivery = WebhookDelivery(call.data, lowercase_headers(call.request), client_ip(call.request))
        settle_webhook = await call.requested.get(SettleWebhook)
        return _encoder.encode(await deliver_webhook(settle_webhook, call.parameter, delivery))

    write = Write(
        template=f"{prefix}/payments/webhook/{{provider}}",
        status=200,
        match=paths.get,
        caller=None,
        decode=_judged,
        run=settle,
    )
    return write_layer(container, exception_handlers, max_body, write)

"""The layers in front of the router stand for routes whose declarations they assume: the path,
the method, the guard (who may call), the body's type and the status. A route changed without its
layer fails here (the layers' own tests compare every served form with the route's answer; this
holds the declarations those comparisons rest on, so a guard added to a route, say, cannot go
unnoticed when no test of the layer happens to send that caller).
"""

from __future__ import annotations

from typing import Any

from litestar.handlers import HTTPRouteHandler

from entrypoints.http.app import API_PREFIX, create_app
from entrypoints.http.guards import admin_only, signed_in
from entrypoints.http.orders import OrderIn
from entrypoints.http.payments import RefundIn, StartPaymentIn
from tests.conftest import make_settings

# path template → (the guards the layer applies, the body type it decodes, the status it answers,
# the parameters Litestar gives the handler besides dishka's: a new one, a query parameter say, is
# something the layer does not read)
ASSUMED: dict[str, tuple[list[Any], Any, int, set[str]]] = {
    f"{API_PREFIX}/orders": ([signed_in], OrderIn, 201, {"data", "idempotency_key", "request"}),
    f"{API_PREFIX}/payments/{{payment_id}}/refunds": (
        [admin_only],
        RefundIn,
        201,
        {"data", "idempotency_key", "payment_id", "request"},
    ),
    f"{API_PREFIX}/payments/webhook/{{provider}}": ([], None, 200, {"provider", "request"}),
    f"{API_PREFIX}/payments/orders/{{order_id}}": (
        [signed_in],
        StartPaymentIn | None,
        201,
        {"data", "idempotency_key", "order_id", "request"},
    ),
}


def _post_handler(app: Any, template: str) -> HTTPRouteHandler:
    for route in app.routes:
        if route.path_format == template:
            for handler in route.route_handlers:
                if "POST" in handler.http_methods:
                    return handler  # type: ignore[no-any-return]
    raise AssertionError(f"no POST route at {template}")


def test_the_routes_the_write_layers_stand_for_declare_what_the_layers_assume(tmp_path: Any) -> None:
    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path}/routes.sqlite"))
    for template, (guards, body, status, parameters) in ASSUMED.items():
        handler = _post_handler(app, template)
        assert list(handler.resolve_guards()) == guards, template
        data = handler.parsed_fn_signature.parameters.get("data")
        assert (data.annotation if data else None) == body, template
        assert handler.status_code == status, template
        assert set(handler.parsed_fn_signature.parameters) == parameters, template

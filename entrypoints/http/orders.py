"""Orders over HTTP: place (idempotent), read, cancel, ship, deliver, and the timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from dishka.integrations.litestar import FromDishka
from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from msgspec import Meta

from application.orders.browse_orders import GetOrder, ListMyOrders, ListOrders
from application.orders.cancel_order import CancelOrder
from application.orders.deliver_order import DeliverOrder
from application.orders.order_events import ListOrderEvents
from application.orders.place_order import PlaceOrder
from application.orders.ship_order import ShipOrder
from application.paging import Page
from application.ports import OrderEventOut, OrderFilter, OrderOut
from domain.orders import MAX_LINES, MAX_QUANTITY, ItemRequest, OrderStatus
from domain.users import Actor
from entrypoints.http.guards import ADMIN, USER
from entrypoints.http.idempotency import idempotent
from entrypoints.http.openapi import BEARER
from entrypoints.http.paging import Limit, Offset
from entrypoints.http.schemas import Id, RequestBody

_encoder = msgspec.json.Encoder()

CreatedBound = Annotated[
    datetime | None,
    Parameter(
        description="ISO 8601 date and time, inclusive (`2026-01-31T23:59:59Z`); without an offset, UTC",
    ),
]


class OrderItemIn(RequestBody, kw_only=True):
    product_id: Id
    # The range is checked by the domain, so that every bad line is named at once; the
    # document still states it (`extra` goes into the schema only).
    quantity: Annotated[
        int,
        Meta(
            description=f"1–{MAX_QUANTITY}",
            examples=[1],
            extra_json_schema={"extra": {"minimum": 1, "maximum": MAX_QUANTITY}},
        ),
    ]


class OrderIn(RequestBody, kw_only=True):
    items: Annotated[
        list[OrderItemIn],
        Meta(
            description=f"1–{MAX_LINES} items, no product twice",
            extra_json_schema={"extra": {"min_items": 1, "max_items": MAX_LINES}},
        ),
    ]


class OrderController(Controller):
    path = "/orders"
    tags = ["orders"]
    security = BEARER

    @post(
        "/",
        status_code=201,
        summary="Place an order; its tracked stock is reserved",
        description=PlaceOrder.__doc__,
        responses={201: ResponseSpec(OrderOut, description="The order, pending payment")},
        guards=USER,
    )
    @idempotent
    async def place_order(
        self, data: OrderIn, actor: FromDishka[Actor], place: FromDishka[PlaceOrder]
    ) -> OrderOut:
        return OrderOut.of(await place(actor, [ItemRequest(i.product_id, i.quantity) for i in data.items]))

    @get(
        "/",
        summary="Every order, newest first (admin)",
        description=ListOrders.__doc__,
        guards=ADMIN,
    )
    async def all_orders(
        self,
        actor: FromDishka[Actor],
        list_orders: FromDishka[ListOrders],
        status: OrderStatus | None = None,
        user_id: Annotated[int | None, Parameter(description="The customer's id")] = None,
        created_from: CreatedBound = None,
        created_to: CreatedBound = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Response[list[OrderOut]]:
        criteria = OrderFilter(status, user_id, created_from, created_to)
        views = await list_orders(actor, criteria, Page(limit, offset))
        # Encoded here, as on `/me`.
        encoded: Response[Any] = Response(content=_encoder.encode(views), media_type="application/json")
        return encoded

    @get("/me", summary="My orders, newest first", guards=USER)
    async def my_orders(
        self,
        actor: FromDishka[Actor],
        list_orders: FromDishka[ListMyOrders],
        status: OrderStatus | None = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Response[list[OrderOut]]:
        views = await list_orders(actor, status, Page(limit, offset))
        # The page of views is encoded here, in one pass, as it is.
        encoded: Response[Any] = Response(content=_encoder.encode(views), media_type="application/json")
        return encoded

    # Deliberate twins: one declared route per action, each a single call to its use case
    # answered with the view; what differs lives in the use case. Alike: get, cancel, ship and
    # deliver here, payments.py's get and users.py's deactivate/activate.
    @get("/{order_id:int}", summary="One order (owner or admin)", guards=USER)
    async def get_order(
        self, order_id: int, actor: FromDishka[Actor], get_order: FromDishka[GetOrder]
    ) -> OrderOut:
        return OrderOut.of(await get_order(actor, order_id))

    @post(
        "/{order_id:int}/cancel",
        status_code=200,
        summary="Cancel a pending order (owner or admin)",
        guards=USER,
    )
    async def cancel_order(
        self, order_id: int, actor: FromDishka[Actor], cancel: FromDishka[CancelOrder]
    ) -> OrderOut:
        return OrderOut.of(await cancel(actor, order_id))

    @post("/{order_id:int}/ship", status_code=200, summary="Ship a paid order (admin)", guards=ADMIN)
    async def ship_order(
        self, order_id: int, actor: FromDishka[Actor], ship: FromDishka[ShipOrder]
    ) -> OrderOut:
        return OrderOut.of(await ship(actor, order_id))

    @post(
        "/{order_id:int}/deliver",
        status_code=200,
        summary="Mark a shipped order delivered (admin)",
        guards=ADMIN,
    )
    async def deliver_order(
        self, order_id: int, actor: FromDishka[Actor], deliver: FromDishka[DeliverOrder]
    ) -> OrderOut:
        return OrderOut.of(await deliver(actor, order_id))

    @get(
        "/{order_id:int}/events",
        summary="An order's timeline, oldest first (owner or admin)",
        description=ListOrderEvents.__doc__,
        guards=USER,
    )
    async def order_events(
        self,
        order_id: int,
        actor: FromDishka[Actor],
        list_events: FromDishka[ListOrderEvents],
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> list[OrderEventOut]:
        return [OrderEventOut.of(e) for e in await list_events(actor, order_id, Page(limit, offset))]

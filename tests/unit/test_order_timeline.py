"""The order timeline: which event each change records, by whom, and that nothing else adds one."""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.payments.mock.gateway import MockGateway
from adapters.payments.registry import Gateways
from application.orders.cancel_order import CancelOrder
from application.orders.deliver_order import DeliverOrder
from application.orders.expire_orders import ExpireOrders
from application.orders.order_events import ListOrderEvents
from application.orders.place_order import PlaceOrder
from application.orders.ship_order import ShipOrder
from application.paging import Page
from application.payments.settle_webhook import SettleWebhook
from application.payments.start_payment import StartPayment
from application.ports import CheckoutRequest, NewCategory, NewProduct, ProviderPayment, WebhookDelivery
from domain.errors import Conflict, DependencyUnavailable, DomainError, NotFound
from domain.money import Money
from domain.order_events import MOVE_EVENTS, EventActor, OrderEvent, OrderEventType
from domain.orders import ALLOWED_MOVES, ItemRequest, Order, OrderLine, OrderStatus
from domain.payments import Payment, PaymentStatus
from domain.users import Actor, Role
from tests.fakes import INSTALLATION, MemoryDatabase, MemoryUnitOfWork
from tests.unit.conftest import SteppingClock

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ANN = Actor(1, Role.CUSTOMER)
BOB = Actor(2, Role.CUSTOMER)
ADMIN = Actor(3, Role.ADMIN)
SECRET = "whsec-unit"

C, P = EventActor.CUSTOMER, EventActor.PROVIDER
PENDING, PAID, CANCELLED = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.CANCELLED
SHIPPED, DELIVERED = OrderStatus.SHIPPED, OrderStatus.DELIVERED


# ---- domain: the event of each change -----------------------------------------------


def an_order(status: OrderStatus = PENDING) -> Order:
    return Order(7, 1, status, (OrderLine(1, "Tea", 2, Money(14_990, "RUB")),), "RUB", NOW, NOW)


def a_payment(status: PaymentStatus, **changes: object) -> Payment:
    fields: dict[str, object] = {
        "id": 3,
        "order_id": 7,
        "user_id": 1,
        "amount": Money(29_980, "RUB"),
        "provider": "mock",
        "provider_payment_id": "mock_1",
        "checkout_url": None,
        "status": status,
        "fail_reason": None,
        "refund_required": False,
        "created_at": NOW,
        "updated_at": NOW + timedelta(seconds=5),
    }
    fields.update(changes)
    return Payment(**fields)  # type: ignore[arg-type]


def test_every_status_a_move_can_reach_has_its_event_type() -> None:
    targets = {target for moves in ALLOWED_MOVES.values() for target in moves}
    assert targets <= set(MOVE_EVENTS)
    assert {MOVE_EVENTS[t].value for t in targets} == {t.value for t in targets}


def test_a_move_records_both_statuses_the_actor_and_the_time_of_the_move() -> None:
    before = an_order()
    after = before.mark_paid(NOW + timedelta(minutes=1))
    event = OrderEvent.moved(before, after, P)
    assert event == OrderEvent(7, OrderEventType.PAID, P, NOW + timedelta(minutes=1), PENDING, PAID)
    expired = OrderEvent.moved(before, before.cancel(NOW), EventActor.SYSTEM, OrderEventType.EXPIRED)
    assert (expired.type, expired.from_status, expired.to_status) == (
        OrderEventType.EXPIRED,
        PENDING,
        CANCELLED,
    )
    with pytest.raises(ValueError, match="did not move"):
        OrderEvent.moved(before, before, P)


def test_placing_enters_the_timeline_as_pending_from_nothing() -> None:
    event = OrderEvent.placed(an_order(), C)
    assert (event.type, event.from_status, event.to_status, event.actor) == (
        OrderEventType.PLACED,
        None,
        PENDING,
        C,
    )


@pytest.mark.parametrize(
    ("payment", "expected_type", "expected_detail"),
    [
        (a_payment(PaymentStatus.CREATED), OrderEventType.PAYMENT_STARTED, "via mock"),
        (a_payment(PaymentStatus.PENDING), OrderEventType.PAYMENT_PENDING, None),
        (a_payment(PaymentStatus.SUCCEEDED), OrderEventType.PAYMENT_SUCCEEDED, None),
        (
            a_payment(PaymentStatus.SUCCEEDED, refund_required=True),
            OrderEventType.PAYMENT_SUCCEEDED,
            "refund required: the order no longer takes a payment",
        ),
        (
            a_payment(PaymentStatus.FAILED, fail_reason="card declined"),
            OrderEventType.PAYMENT_FAILED,
            "card declined",
        ),
        (
            a_payment(PaymentStatus.CANCELED, fail_reason="canceled"),
            OrderEventType.PAYMENT_CANCELED,
            "canceled",
        ),
        (a_payment(PaymentStatus.FAILED, fail_reason="x" * 600), OrderEventType.PAYMENT_FAILED, "x" * 500),
    ],
)
def test_a_payment_event_names_its_status_with_no_order_move(
    payment: Payment, expected_type: OrderEventType, expected_detail: str | None
) -> None:
    event = OrderEvent.of_payment(payment, P)
    assert event == OrderEvent(7, expected_type, P, payment.updated_at, None, None, expected_detail)


def test_the_actor_of_a_request_is_named_by_role() -> None:
    assert EventActor.of(ANN) is EventActor.CUSTOMER
    assert EventActor.of(ADMIN) is EventActor.ADMIN


# ---- use cases on the fakes -----------------------------------------------------------


class RefusingGateway(MockGateway):
    async def create_payment(self, request: CheckoutRequest) -> ProviderPayment:
        raise Conflict("the card network refused")


class UnreachableGateway(MockGateway):
    async def create_payment(self, request: CheckoutRequest) -> ProviderPayment:
        raise DependencyUnavailable("provider down")


@dataclass
class Shop:
    """The order and payment use cases over one in-memory database, with one product in stock."""

    clock: SteppingClock = field(default_factory=SteppingClock)
    memory: MemoryDatabase = field(default_factory=MemoryDatabase)
    product_id: int = 0

    def __post_init__(self) -> None:
        self.uow = MemoryUnitOfWork(self.memory)
        self.gateway = MockGateway(SECRET, "https://shop.example", self.clock)
        self.gateways = Gateways([self.gateway])

    async def stock_up(self) -> Shop:
        async with self.uow as uow:
            category = await uow.categories.add(NewCategory("Tea", "tea"), self.clock.now())
            product = await uow.products.add(
                NewProduct("Green", "", 14_990, "RUB", category.id, 1000), self.clock.now()
            )
            await uow.commit()
        self.product_id = product.id
        return self

    async def place(self, actor: Actor = ANN) -> Order:
        return await PlaceOrder(self.uow, self.clock, "RUB")(actor, [ItemRequest(self.product_id, 2)])

    async def start(self, order: Order, actor: Actor = ANN) -> Payment:
        return await StartPayment(self.uow, self.gateways, self.clock, INSTALLATION)(actor, order.id)

    async def webhook(self, payment: Payment, status: PaymentStatus, **kw: object) -> str:
        assert payment.provider_payment_id is not None
        amount = kw.pop("amount", payment.amount)
        assert isinstance(amount, Money)
        body, headers = self.gateway.signed_event(payment.provider_payment_id, status, amount, **kw)  # type: ignore[arg-type]
        return (
            await SettleWebhook(self.uow, self.gateways, self.clock)(
                "mock", WebhookDelivery(body, headers, None)
            )
        ).result

    async def cancel(self, order: Order, actor: Actor = ANN) -> Order:
        return await CancelOrder(self.uow, self.clock)(actor, order.id)

    async def ship(self, order: Order) -> Order:
        return await ShipOrder(self.uow, self.clock)(ADMIN, order.id)

    async def deliver(self, order: Order) -> Order:
        return await DeliverOrder(self.uow, self.clock)(ADMIN, order.id)

    async def expire(self) -> int:
        return await ExpireOrders(self.uow, self.clock, timedelta(0))()

    async def events(self, order: Order, actor: Actor = ADMIN, page: Page | None = None) -> list[OrderEvent]:
        return await ListOrderEvents(self.uow)(actor, order.id, page or Page(100))

    async def timeline(self, order: Order) -> list[tuple[str, str | None, str | None, str]]:
        return [
            (
                e.type.value,
                e.from_status and e.from_status.value,
                e.to_status and e.to_status.value,
                e.actor.value,
            )
            for e in await self.events(order)
        ]

    async def status(self, order: Order) -> OrderStatus:
        async with self.uow as uow:
            found = await uow.orders.get(order.id)
        assert found is not None
        return found.status


@pytest.fixture
async def shop() -> Shop:
    return await Shop().stock_up()


async def test_place_pay_ship_deliver_records_each_step_by_its_actor(shop: Shop) -> None:
    order = await shop.place()
    payment = await shop.start(order)
    assert await shop.webhook(payment, PaymentStatus.PENDING) == "applied"
    assert await shop.webhook(payment, PaymentStatus.SUCCEEDED) == "applied"
    await shop.ship(order)
    await shop.deliver(order)
    assert await shop.timeline(order) == [
        ("placed", None, "pending", "customer"),
        ("payment_started", None, None, "customer"),
        ("payment_pending", None, None, "provider"),
        ("payment_succeeded", None, None, "provider"),
        ("paid", "pending", "paid", "provider"),
        ("shipped", "paid", "shipped", "admin"),
        ("delivered", "shipped", "delivered", "admin"),
    ]
    events = await shop.events(order)
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert [e.created_at for e in events] == sorted(e.created_at for e in events)
    assert {e.order_id for e in events} == {order.id}
    assert events[1].detail == "via mock"


@pytest.mark.parametrize(("actor", "named"), [(ANN, "customer"), (ADMIN, "admin")])
async def test_a_cancel_is_recorded_by_the_role_of_who_cancelled(
    shop: Shop, actor: Actor, named: str
) -> None:
    order = await shop.place()
    await shop.cancel(order, actor)
    assert (await shop.timeline(order))[-1] == ("cancelled", "pending", "cancelled", named)


async def test_an_expiry_is_recorded_by_the_system(shop: Shop) -> None:
    order = await shop.place()
    assert await shop.expire() == 1
    assert await shop.timeline(order) == [
        ("placed", None, "pending", "customer"),
        ("expired", "pending", "cancelled", "system"),
    ]


async def test_a_failed_payment_names_its_reason_and_leaves_the_order_where_it_was(shop: Shop) -> None:
    order = await shop.place()
    payment = await shop.start(order)
    await shop.webhook(payment, PaymentStatus.FAILED, fail_reason="card declined")
    canceled = await shop.start(order)
    await shop.webhook(canceled, PaymentStatus.CANCELED)
    events = await shop.events(order)
    assert [(e.type.value, e.detail) for e in events[-3:]] == [
        ("payment_failed", "card declined"),
        ("payment_started", "via mock"),
        ("payment_canceled", "canceled"),
    ]
    assert all(e.from_status is None and e.to_status is None for e in events[1:])


async def test_an_amount_mismatch_is_a_failed_payment_naming_it_and_no_order_move(shop: Shop) -> None:
    order = await shop.place()
    payment = await shop.start(order)
    with pytest.raises(DomainError, match="amount mismatch"):
        await shop.webhook(payment, PaymentStatus.SUCCEEDED, amount=Money(1, "RUB"))
    last = (await shop.events(order))[-1]
    assert last.type is OrderEventType.PAYMENT_FAILED and last.detail is not None
    assert "amount mismatch" in last.detail and last.to_status is None
    assert await shop.status(order) is PENDING


async def test_a_success_after_a_cancel_is_recorded_as_owed_back_and_moves_nothing(shop: Shop) -> None:
    order = await shop.place()
    payment = await shop.start(order)
    await shop.cancel(order)
    await shop.webhook(payment, PaymentStatus.SUCCEEDED)
    events = await shop.events(order)
    # The settlement also requests the full refund, in its own transaction, as the app's doing.
    assert [(e.type.value, e.actor.value, e.to_status) for e in events[-3:]] == [
        ("cancelled", "customer", CANCELLED),
        ("payment_succeeded", "provider", None),
        ("refund_requested", "system", None),
    ]
    assert events[-2].detail == "refund required: the order no longer takes a payment"
    assert events[-1].detail == "299.80 RUB: order cancelled before payment"


async def test_duplicate_and_ignored_webhooks_add_nothing(shop: Shop) -> None:
    order = await shop.place()
    payment = await shop.start(order)
    assert payment.provider_payment_id is not None
    body, headers = shop.gateway.signed_event(
        payment.provider_payment_id, PaymentStatus.SUCCEEDED, payment.amount
    )
    settle = SettleWebhook(shop.uow, shop.gateways, shop.clock)
    assert (await settle("mock", WebhookDelivery(body, headers, None))).result == "applied"
    before = await shop.timeline(order)
    assert (await settle("mock", WebhookDelivery(body, headers, None))).result == "duplicate"
    assert await shop.webhook(payment, PaymentStatus.PENDING) == "ignored"
    assert await shop.webhook(payment, PaymentStatus.FAILED) == "ignored"
    assert await shop.timeline(order) == before


async def test_a_refused_move_records_nothing(shop: Shop) -> None:
    order = await shop.place()
    with pytest.raises(DomainError, match="is pending"):
        await shop.ship(order)
    await shop.cancel(order)
    with pytest.raises(DomainError, match="is cancelled"):
        await shop.cancel(order, ADMIN)
    assert await shop.expire() == 0
    assert [t for t, *_ in await shop.timeline(order)] == ["placed", "cancelled"]


async def test_a_provider_that_refuses_the_payment_leaves_it_failed_by_the_system(shop: Shop) -> None:
    order = await shop.place()
    refusing = RefusingGateway(SECRET, "https://shop.example", shop.clock)
    with pytest.raises(Conflict):
        await StartPayment(shop.uow, Gateways([refusing]), shop.clock, INSTALLATION)(ANN, order.id)
    events = await shop.events(order)
    assert [(e.type.value, e.actor.value) for e in events] == [
        ("placed", "customer"),
        ("payment_started", "customer"),
        ("payment_failed", "system"),
    ]
    assert events[-1].detail == "the payment provider refused the payment: the card network refused"


async def test_a_provider_that_cannot_be_reached_leaves_the_payment_created_and_records_no_failure(
    shop: Shop,
) -> None:
    order = await shop.place()
    unreachable = UnreachableGateway(SECRET, "https://shop.example", shop.clock)
    with pytest.raises(DependencyUnavailable):
        await StartPayment(shop.uow, Gateways([unreachable]), shop.clock, INSTALLATION)(ANN, order.id)
    assert [(e.type.value, e.actor.value) for e in await shop.events(order)] == [
        ("placed", "customer"),
        ("payment_started", "customer"),
    ]


async def test_a_rolled_back_change_leaves_no_event(shop: Shop) -> None:
    order = await shop.place()
    async with shop.uow as uow:
        await uow.order_events.append(OrderEvent.moved(order, order.cancel(shop.clock.now()), C))
    assert [t for t, *_ in await shop.timeline(order)] == ["placed"]


async def test_the_owner_and_admins_read_the_timeline_others_learn_nothing(shop: Shop) -> None:
    order = await shop.place()
    await shop.cancel(order)
    assert [e.type for e in await shop.events(order, ANN)] == [
        OrderEventType.PLACED,
        OrderEventType.CANCELLED,
    ]
    assert len(await shop.events(order, ADMIN)) == 2
    with pytest.raises(NotFound, match=f"order {order.id} not found"):
        await shop.events(order, BOB)
    with pytest.raises(NotFound):
        await ListOrderEvents(shop.uow)(ANN, 2**63, Page())
    assert [e.type for e in await shop.events(order, ANN, Page(1, 1))] == [OrderEventType.CANCELLED]
    assert await shop.events(order, ANN, Page(5, 2)) == []


async def test_an_admin_placing_an_order_is_recorded_as_admin(shop: Shop) -> None:
    order = await shop.place(ADMIN)
    assert await shop.timeline(order) == [("placed", None, "pending", "admin")]


# ---- property: the timeline's moves always chain to the order's status ---------------

ACTIONS = ["start", "pending", "succeed", "fail", "cancel", "cancel_admin", "expire", "ship", "deliver"]


async def act(shop: Shop, order: Order, action: str) -> None:
    async with shop.uow as uow:
        active = await uow.payments.active_for_order(order.id)
    if action == "start":
        await shop.start(order)
    elif action in ("pending", "succeed", "fail") and active is not None:
        status = {"pending": PaymentStatus.PENDING, "succeed": PaymentStatus.SUCCEEDED}.get(
            action, PaymentStatus.FAILED
        )
        await shop.webhook(active, status)
    elif action == "cancel":
        await shop.cancel(order)
    elif action == "cancel_admin":
        await shop.cancel(order, ADMIN)
    elif action == "expire":
        await shop.expire()
    elif action == "ship":
        await shop.ship(order)
    elif action == "deliver":
        await shop.deliver(order)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(ACTIONS), max_size=12))
async def test_the_timeline_chains_from_placing_to_the_orders_status(actions: list[str]) -> None:
    shop = await Shop().stock_up()
    order = await shop.place()
    for action in actions:
        with contextlib.suppress(DomainError):  # refused: the timeline must not show it
            await act(shop, order, action)
    events = await shop.events(order)
    moves = [e for e in events if e.to_status is not None]
    assert moves[0].type is OrderEventType.PLACED and moves[0].from_status is None
    for previous, move in itertools.pairwise(moves):
        assert move.from_status is previous.to_status
    assert moves[-1].to_status is await shop.status(order)
    assert [e for e in events if e.type is OrderEventType.PLACED] == [events[0]]
    for event in events[1:]:
        if event.to_status is None:
            assert event.from_status is None
            assert event.type.value.startswith(("payment_", "refund_")), event.type
        elif event.type is OrderEventType.EXPIRED:
            assert (event.to_status, event.actor) == (CANCELLED, EventActor.SYSTEM)
        else:
            assert event.type is MOVE_EVENTS[event.to_status]
    async with shop.uow as uow:
        payments = await uow.payments.list_for_order(order.id, 100, 0)
    # Each payment shows once per status it went through; no payment status change is missing.
    started = [e for e in events if e.type is OrderEventType.PAYMENT_STARTED]
    assert len(started) == len(payments)
    endings = [
        e
        for e in events
        if e.type.value.startswith("payment_")
        and e.type is not OrderEventType.PAYMENT_STARTED
        and e.type is not OrderEventType.PAYMENT_PENDING
    ]
    assert len(endings) == sum(1 for p in payments if p.status.is_final)

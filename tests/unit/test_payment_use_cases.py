"""Payment use cases on the in-memory adapters and the mock gateway."""

from __future__ import annotations

import pytest

from adapters.payments.mock.gateway import MockGateway
from adapters.payments.registry import Gateways
from application.paging import Page
from application.payments.read_payments import GetPayment, ListOrderPayments
from application.payments.settle_webhook import SettleWebhook
from application.payments.start_payment import StartPayment
from application.ports import CheckoutRequest, ProviderPayment, RefundRequest, WebhookDelivery
from domain.errors import (
    Conflict,
    DependencyUnavailable,
    InvalidInput,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
)
from domain.money import Money
from domain.orders import Order, OrderLine, OrderStatus
from domain.payments import IgnoredEvent, Payment, PaymentEvent, PaymentRejected, PaymentStatus, ProviderEvent
from domain.refunds import RefundEvent, RefundStatus
from domain.users import Actor, Role
from tests.fakes import INSTALLATION, MemoryDatabase, MemoryUnitOfWork
from tests.unit.conftest import ADMIN, CUSTOMER, SteppingClock

SECRET = "whsec-unit"
OTHER = Actor(user_id=9, role=Role.CUSTOMER)


@pytest.fixture
def gateway(clock: SteppingClock) -> MockGateway:
    return MockGateway(SECRET, "https://shop.example", clock)


@pytest.fixture
async def order(uow: MemoryUnitOfWork, clock: SteppingClock) -> Order:
    line = OrderLine(product_id=1, product_name="Green tea", quantity=2, unit_price=Money(14_990, "RUB"))
    async with uow:
        placed = await uow.orders.add(Order.place(CUSTOMER.user_id, [line], "RUB", clock.now()))
        await uow.commit()
    return placed


@pytest.fixture
def start(uow: MemoryUnitOfWork, gateway: MockGateway, clock: SteppingClock) -> StartPayment:
    return StartPayment(uow, Gateways([gateway]), clock, INSTALLATION)


@pytest.fixture
def settle(uow: MemoryUnitOfWork, gateway: MockGateway, clock: SteppingClock) -> SettleWebhook:
    return SettleWebhook(uow, Gateways([gateway]), clock)


async def order_status(uow: MemoryUnitOfWork, order_id: int) -> OrderStatus:
    async with uow:
        found = await uow.orders.get(order_id)
    assert found is not None
    return found.status


def delivery(gateway: MockGateway, payment: Payment, status: PaymentStatus, **kw: object) -> WebhookDelivery:
    assert payment.provider_payment_id is not None
    amount = kw.pop("amount", payment.amount)
    assert isinstance(amount, Money)
    body, headers = gateway.signed_event(payment.provider_payment_id, status, amount, **kw)  # type: ignore[arg-type]
    return WebhookDelivery(body, headers, None)


async def test_starting_a_payment_opens_it_at_the_provider_for_the_order_total(
    start: StartPayment, order: Order
) -> None:
    payment = await start(CUSTOMER, order.id)
    assert payment.status is PaymentStatus.CREATED
    assert payment.amount == Money(29_980, "RUB")
    assert payment.provider == "mock"
    assert payment.checkout_url == f"https://shop.example/mock-checkout/{payment.provider_payment_id}"


@pytest.mark.parametrize("actor", [ADMIN, OTHER])
async def test_only_the_owner_may_start_a_payment(start: StartPayment, order: Order, actor: Actor) -> None:
    with pytest.raises(NotFound):
        await start(actor, order.id)


async def test_a_second_active_payment_is_refused(start: StartPayment, order: Order) -> None:
    await start(CUSTOMER, order.id)
    with pytest.raises(InvalidTransition, match="active payment"):
        await start(CUSTOMER, order.id)


class BrokenGateway(MockGateway):
    async def create_payment(self, request: CheckoutRequest) -> ProviderPayment:
        raise DependencyUnavailable("provider down")


async def test_a_provider_that_cannot_be_reached_leaves_the_payment_created_for_a_retry(
    uow: MemoryUnitOfWork, clock: SteppingClock, order: Order, gateway: MockGateway
) -> None:
    with pytest.raises(DependencyUnavailable):
        await StartPayment(
            uow, Gateways([BrokenGateway(SECRET, "https://shop.example", clock)]), clock, INSTALLATION
        )(CUSTOMER, order.id)
    async with uow:
        (waiting,) = await uow.payments.list_for_order(order.id, 10, 0)
    assert (waiting.status, waiting.provider_payment_id) == (PaymentStatus.CREATED, None)
    resumed = await StartPayment(uow, Gateways([gateway]), clock, INSTALLATION).resume(CUSTOMER, waiting.id)
    assert resumed.id == waiting.id and resumed.provider_payment_id is not None


class RefusingGateway(MockGateway):
    async def create_payment(self, request: CheckoutRequest) -> ProviderPayment:
        raise Conflict("Stripe refused: Invalid currency")


async def test_a_provider_that_refuses_leaves_the_payment_failed_and_the_order_payable(
    uow: MemoryUnitOfWork, clock: SteppingClock, order: Order, gateway: MockGateway
) -> None:
    with pytest.raises(Conflict, match="Invalid currency"):
        await StartPayment(
            uow, Gateways([RefusingGateway(SECRET, "https://shop.example", clock)]), clock, INSTALLATION
        )(CUSTOMER, order.id)
    async with uow:
        (failed,) = await uow.payments.list_for_order(order.id, 10, 0)
    assert failed.status is PaymentStatus.FAILED
    assert failed.fail_reason and "Invalid currency" in failed.fail_reason
    assert (
        await StartPayment(uow, Gateways([gateway]), clock, INSTALLATION)(CUSTOMER, order.id)
    ).status is PaymentStatus.CREATED


async def test_a_matching_success_pays_the_order(
    start: StartPayment, settle: SettleWebhook, gateway: MockGateway, uow: MemoryUnitOfWork, order: Order
) -> None:
    payment = await start(CUSTOMER, order.id)
    receipt = await settle("mock", delivery(gateway, payment, PaymentStatus.SUCCEEDED))
    assert receipt.payment is not None
    assert (receipt.result, receipt.payment.status) == ("applied", PaymentStatus.SUCCEEDED)
    assert await order_status(uow, order.id) is OrderStatus.PAID


async def test_a_repeated_event_is_a_duplicate(
    start: StartPayment, settle: SettleWebhook, gateway: MockGateway, order: Order
) -> None:
    payment = await start(CUSTOMER, order.id)
    sent = delivery(gateway, payment, PaymentStatus.PENDING)
    assert (await settle("mock", sent)).result == "applied"
    assert (await settle("mock", sent)).result == "duplicate"


async def test_a_mismatch_is_committed_before_it_is_refused(
    start: StartPayment, settle: SettleWebhook, gateway: MockGateway, uow: MemoryUnitOfWork, order: Order
) -> None:
    payment = await start(CUSTOMER, order.id)
    with pytest.raises(PaymentRejected, match="amount mismatch"):
        await settle("mock", delivery(gateway, payment, PaymentStatus.SUCCEEDED, amount=Money(1, "RUB")))
    async with uow:
        stored = await uow.payments.get(payment.id)
    assert stored is not None and stored.status is PaymentStatus.FAILED
    assert await order_status(uow, order.id) is OrderStatus.PENDING


async def test_a_bad_signature_or_another_provider_changes_nothing(
    start: StartPayment, settle: SettleWebhook, gateway: MockGateway, uow: MemoryUnitOfWork, order: Order
) -> None:
    payment = await start(CUSTOMER, order.id)
    sent = delivery(gateway, payment, PaymentStatus.SUCCEEDED)
    with pytest.raises(NotAuthenticated):
        await settle("mock", WebhookDelivery(sent.body + b" ", sent.headers, None))
    with pytest.raises(NotFound):
        await settle("stripe", sent)
    assert await order_status(uow, order.id) is OrderStatus.PENDING


async def test_reads_are_for_the_owner_and_admins(
    start: StartPayment, uow: MemoryUnitOfWork, order: Order
) -> None:
    payment = await start(CUSTOMER, order.id)
    assert (await GetPayment(uow)(ADMIN, payment.id)).id == payment.id
    assert [p.id for p in await ListOrderPayments(uow)(CUSTOMER, order.id, Page())] == [payment.id]
    with pytest.raises(NotFound):
        await GetPayment(uow)(OTHER, payment.id)
    with pytest.raises(NotFound):
        await ListOrderPayments(uow)(OTHER, order.id, Page())


class ExplodingUnitOfWork(MemoryUnitOfWork):
    """Fails the order update, after the payment update, inside the same unit of work."""

    async def __aenter__(self) -> ExplodingUnitOfWork:
        await super().__aenter__()

        async def explode(order: Order, expected: OrderStatus) -> bool:
            raise RuntimeError("crash between the payment and the order update")

        self.orders.save_status = explode  # type: ignore[method-assign]
        return self


async def test_a_crash_between_the_payment_and_the_order_update_leaves_both_unchanged(
    memory: MemoryDatabase, start: StartPayment, settle: SettleWebhook, gateway: MockGateway,
    uow: MemoryUnitOfWork, clock: SteppingClock, order: Order,
) -> None:  # fmt: skip
    payment = await start(CUSTOMER, order.id)
    sent = delivery(gateway, payment, PaymentStatus.SUCCEEDED)
    with pytest.raises(RuntimeError):
        await SettleWebhook(ExplodingUnitOfWork(memory), Gateways([gateway]), clock)("mock", sent)
    async with uow:
        stored = await uow.payments.get(payment.id)
    assert stored is not None and stored.status is PaymentStatus.CREATED
    assert await order_status(uow, order.id) is OrderStatus.PENDING
    assert (await settle("mock", sent)).result == "applied"
    assert await order_status(uow, order.id) is OrderStatus.PAID


async def test_a_checkout_carries_its_order_status_and_can_be_paid_only_while_both_are_open(
    uow: MemoryUnitOfWork, start: StartPayment, order: Order, gateway: MockGateway, clock: SteppingClock
) -> None:
    from application.orders.moves import store_move
    from application.payments.read_payments import GetCheckout
    from domain.order_events import EventActor

    payment = await start(CUSTOMER, order.id)
    assert payment.provider_payment_id is not None
    get = GetCheckout(uow)
    opened = await get(gateway.name, payment.provider_payment_id)
    assert (opened.payment.id, opened.order_status, opened.can_pay) == (payment.id, OrderStatus.PENDING, True)
    async with uow:
        await store_move(uow, order, order.move_to(OrderStatus.CANCELLED, clock.now()), EventActor.CUSTOMER)
        await uow.commit()
    closed = await get(gateway.name, payment.provider_payment_id)
    assert (closed.order_status, closed.can_pay) == (OrderStatus.CANCELLED, False)
    with pytest.raises(NotFound):
        await get(gateway.name, "mock_unknown")


class ScriptedGateway(MockGateway):
    """The mock gateway whose verified deliveries say whatever the test scripts."""

    def __init__(self, clock: SteppingClock, event: ProviderEvent) -> None:
        super().__init__(SECRET, "https://shop.example", clock)
        self.event = event

    async def verify_webhook(self, delivery: WebhookDelivery) -> ProviderEvent:
        return self.event


async def test_an_event_type_the_app_does_not_act_on_is_ignored_and_not_recorded(
    memory: MemoryDatabase, uow: MemoryUnitOfWork, clock: SteppingClock, start: StartPayment, order: Order
) -> None:
    payment = await start(CUSTOMER, order.id)
    gateway = ScriptedGateway(clock, IgnoredEvent("evt_other", "customer.created"))
    receipt = await SettleWebhook(uow, Gateways([gateway]), clock)("mock", WebhookDelivery(b"{}", {}, None))
    assert (receipt.result, receipt.payment) == ("ignored", None)
    assert "customer.created" in receipt.note
    assert memory.state.payment_events == {}
    async with uow:
        stored = await uow.payments.get(payment.id)
    assert stored == payment


async def test_a_refund_event_for_an_unknown_refund_is_not_found(
    uow: MemoryUnitOfWork, clock: SteppingClock
) -> None:
    gateway = ScriptedGateway(clock, RefundEvent("evt_r", "re_123", RefundStatus.SUCCEEDED))
    with pytest.raises(NotFound, match="refund re_123 not found"):
        await SettleWebhook(uow, Gateways([gateway]), clock)("mock", WebhookDelivery(b"{}", {}, None))


async def test_a_success_keeps_the_capture_reference_it_carries(
    uow: MemoryUnitOfWork, clock: SteppingClock, start: StartPayment, order: Order
) -> None:
    payment = await start(CUSTOMER, order.id)
    assert payment.provider_payment_id is not None
    event = PaymentEvent(
        "evt_paid", payment.provider_payment_id, PaymentStatus.SUCCEEDED, payment.amount, None, "pi_1"
    )
    gateway = ScriptedGateway(clock, event)
    await SettleWebhook(uow, Gateways([gateway]), clock)("mock", WebhookDelivery(b"{}", {}, None))
    async with uow:
        stored = await uow.payments.get(payment.id)
    assert stored is not None and (stored.status, stored.capture_reference) == (
        PaymentStatus.SUCCEEDED,
        "pi_1",
    )


async def test_a_provider_that_is_not_enabled_cannot_be_chosen(start: StartPayment, order: Order) -> None:
    with pytest.raises(InvalidInput, match="'stripe' is not enabled; enabled providers: mock"):
        await start(CUSTOMER, order.id, "stripe")


@pytest.mark.parametrize(
    ("reason", "status"), [(None, RefundStatus.SUCCEEDED), ("mock-decline", RefundStatus.FAILED)]
)
async def test_the_mock_provider_refunds_at_once_unless_told_to_decline(
    gateway: MockGateway, reason: str | None, status: RefundStatus
) -> None:
    request = RefundRequest("storefront-refund-3", 3, "mock_x", None, Money(100, "RUB"), reason)
    refund = await gateway.refund(request)
    assert refund.status is status
    assert (refund.failure_reason is not None) is (status is RefundStatus.FAILED)
    assert (await gateway.refund(request)).provider_refund_id == refund.provider_refund_id


class SecondGateway(MockGateway):
    """Another provider; while it is asked to open a payment, `meanwhile` runs (a start for
    another provider racing with this one)."""

    meanwhile: object = None

    @property
    def name(self) -> str:
        return "second"

    async def create_payment(self, request: CheckoutRequest) -> ProviderPayment:
        if callable(self.meanwhile):
            await self.meanwhile()
        return await super().create_payment(request)


async def test_a_payment_never_opened_blocks_no_start_resumed_or_retired(
    uow: MemoryUnitOfWork, clock: SteppingClock, order: Order, gateway: MockGateway
) -> None:
    broken = BrokenGateway(SECRET, "https://shop.example", clock)
    with pytest.raises(DependencyUnavailable):
        await StartPayment(uow, Gateways([broken]), clock, INSTALLATION)(CUSTOMER, order.id)
    resumed = await StartPayment(uow, Gateways([gateway]), clock, INSTALLATION)(CUSTOMER, order.id)
    assert resumed.provider_payment_id is not None and resumed.status is PaymentStatus.CREATED
    async with uow:
        assert [p.id for p in await uow.payments.list_for_order(order.id, 10, 0)] == [resumed.id]

    second = SecondGateway(SECRET, "https://shop.example", clock)
    with pytest.raises(InvalidTransition, match="active payment"):
        await StartPayment(uow, Gateways([gateway, second]), clock, INSTALLATION)(
            CUSTOMER, order.id, "second"
        )


async def test_a_payment_retired_while_it_was_being_opened_shows_no_checkout_page(
    uow: MemoryUnitOfWork, clock: SteppingClock, order: Order, gateway: MockGateway
) -> None:
    broken = BrokenGateway(SECRET, "https://shop.example", clock)
    with pytest.raises(DependencyUnavailable):
        await StartPayment(uow, Gateways([broken]), clock, INSTALLATION)(CUSTOMER, order.id)
    second = SecondGateway(SECRET, "https://shop.example", clock)
    both = Gateways([gateway, second])

    async def the_mock_one_starts_meanwhile() -> None:
        await StartPayment(uow, both, clock, INSTALLATION)(CUSTOMER, order.id, "mock")

    second.meanwhile = the_mock_one_starts_meanwhile
    # The stuck payment is the mock's: a start with `second` retires it and opens its own,
    # during which another start (the mock again) retires that one in turn.
    with pytest.raises(InvalidTransition, match="canceled while it was opened"):
        await StartPayment(uow, both, clock, INSTALLATION)(CUSTOMER, order.id, "second")
    async with uow:
        first, retired, current = await uow.payments.list_for_order(order.id, 10, 0)
    assert (first.status, first.fail_reason) == (
        PaymentStatus.CANCELED,
        "replaced before it was opened at the provider",
    )
    assert (retired.provider, retired.status, retired.provider_payment_id) == (
        "second",
        PaymentStatus.CANCELED,
        None,
    )
    assert (current.provider, current.status) == ("mock", PaymentStatus.CREATED)
    assert current.provider_payment_id is not None

"""Random sequences of place / cancel / pay / ship / deliver / expire / restock / deactivate
on the in-memory adapters, checked against a simple model after every step.

Invariants: only the allowed transitions happen; stock never goes below zero;
for every tracked product, stock on hand + units held by orders that are not
cancelled is conserved except by explicit restocks; every total is the sum of
its lines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

from application.catalog.update_product import ProductChanges, UpdateProduct
from application.orders.cancel_order import CancelOrder
from application.orders.deliver_order import DeliverOrder
from application.orders.expire_orders import ExpireOrders
from application.orders.place_order import PlaceOrder
from application.orders.ship_order import ShipOrder
from application.ports import Clock, NewCategory, NewProduct
from domain.errors import Conflict, InvalidTransition, NotFound
from domain.money import Money
from domain.orders import ALLOWED_MOVES, ItemRequest, Order, OrderStatus, OutOfStock
from domain.users import Actor, Role
from tests.fakes import MemoryDatabase, MemoryUnitOfWork

T = TypeVar("T")

TIMEOUT = timedelta(minutes=30)
PRICES = [1, 14990, 9_999_999_999, 250]  # minor units
PRODUCTS = len(PRICES)
CUSTOMERS = [Actor(1, Role.CUSTOMER), Actor(2, Role.CUSTOMER)]
ADMIN = Actor(3, Role.ADMIN)

# Documented in docs/decisions.md (Orders): examples × steps and the measured run time.
MAX_EXAMPLES = 300
STEPS = 40


class ManualClock(Clock):
    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


class OrderLifecycle(RuleBasedStateMachine):
    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.db = MemoryDatabase()
        self.uow = MemoryUnitOfWork(self.db)
        self.clock = ManualClock()
        self.status: dict[int, OrderStatus] = {}
        self.placed_at: dict[int, datetime] = {}
        self.initial: dict[int, int | None] = {}
        self.restocked: dict[int, int] = {}

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.loop.close()

    # ---- state ------------------------------------------------------------------

    def stock(self) -> dict[int, int | None]:
        return {pid: p.stock for pid, p in self.db.state.products.items()}

    def stored_orders(self) -> dict[int, Order]:
        return self.db.state.orders

    def expect_move(self, order_id: int, target: OrderStatus) -> bool:
        allowed = target in ALLOWED_MOVES[self.status[order_id]]
        if allowed:
            self.status[order_id] = target
        return allowed

    # ---- rules ------------------------------------------------------------------

    @initialize(
        stocks=st.lists(st.one_of(st.none(), st.integers(0, 30)), min_size=PRODUCTS, max_size=PRODUCTS)
    )
    def open_the_shop(self, stocks: list[int | None]) -> None:
        async def setup() -> None:
            async with self.uow as uow:
                category = await uow.categories.add(NewCategory("Tea", "tea"), self.clock.now())
                for n, (price, stock) in enumerate(zip(PRICES, stocks, strict=True)):
                    new = NewProduct(f"Product {n}", "", price, "RUB", category.id, stock)
                    product = await uow.products.add(new, self.clock.now())
                    self.initial[product.id] = stock
                    self.restocked[product.id] = 0
                await uow.commit()

        self.run(setup())

    @rule(
        target=orders,
        customer=st.sampled_from(CUSTOMERS),
        items=st.lists(
            st.tuples(st.integers(1, PRODUCTS), st.integers(1, 12)),
            min_size=1,
            max_size=PRODUCTS,
            unique_by=lambda item: item[0],
        ),
    )
    def place(self, customer: Actor, items: list[tuple[int, int]]) -> Any:
        before = self.stock()
        products = self.db.state.products
        place = PlaceOrder(self.uow, self.clock, "RUB")
        try:
            order = self.run(place(customer, [ItemRequest(pid, q) for pid, q in items]))
        except OutOfStock as error:
            assert all(products[pid].is_active for pid, _ in items)
            short = {s.product_id for s in error.shortages}
            assert short == {pid for pid, q in items if before[pid] is not None and before[pid] < q}  # type: ignore[operator]
            assert self.stock() == before
            return multiple()
        except Conflict:
            assert any(not products[pid].is_active for pid, _ in items)
            assert self.stock() == before
            return multiple()
        assert all(products[pid].is_active for pid, _ in items)
        for pid, quantity in items:
            expected = before[pid]
            assert self.stock()[pid] == (None if expected is None else expected - quantity)
        assert order.status is OrderStatus.PENDING
        assert [(line.product_id, line.quantity) for line in order.lines] == items
        assert all(line.unit_price == Money(PRICES[line.product_id - 1], "RUB") for line in order.lines)
        self.status[order.id] = OrderStatus.PENDING
        self.placed_at[order.id] = order.created_at
        return order.id

    @rule(order_id=orders, who=st.sampled_from([*CUSTOMERS, ADMIN]))
    def cancel(self, order_id: int, who: Actor) -> None:
        owner = self.stored_orders()[order_id].user_id
        try:
            self.run(CancelOrder(self.uow, self.clock)(who, order_id))
        except NotFound:
            assert who.user_id != owner and not who.is_admin
            return
        except InvalidTransition as error:
            named = self.status[order_id].value in error.message
            assert named  # the refusal names the current status
            assert not self.expect_move(order_id, OrderStatus.CANCELLED)
            return
        assert who.user_id == owner or who.is_admin
        assert self.expect_move(order_id, OrderStatus.CANCELLED)

    @rule(order_id=orders)
    def pay(self, order_id: int) -> None:
        async def settle() -> bool:
            async with self.uow as uow:
                order = await uow.orders.get(order_id, for_update=True)
                assert order is not None
                assert order.is_payable == (order.status is OrderStatus.PENDING)
                try:
                    paid = order.mark_paid(self.clock.now())
                except InvalidTransition:
                    return False
                assert await uow.orders.save_status(paid, expected=order.status)
                await uow.commit()
                return True

        assert self.run(settle()) == self.expect_move(order_id, OrderStatus.PAID)

    @rule(order_id=orders)
    def ship(self, order_id: int) -> None:
        try:
            self.run(ShipOrder(self.uow, self.clock)(ADMIN, order_id))
        except InvalidTransition:
            assert not self.expect_move(order_id, OrderStatus.SHIPPED)
            return
        assert self.expect_move(order_id, OrderStatus.SHIPPED)

    @rule(order_id=orders)
    def deliver(self, order_id: int) -> None:
        try:
            self.run(DeliverOrder(self.uow, self.clock)(ADMIN, order_id))
        except InvalidTransition:
            assert not self.expect_move(order_id, OrderStatus.DELIVERED)
            return
        assert self.expect_move(order_id, OrderStatus.DELIVERED)

    @rule(minutes=st.integers(0, 45))
    def time_passes(self, minutes: int) -> None:
        self.clock.moment += timedelta(minutes=minutes)

    @rule()
    def expire(self) -> None:
        cutoff = self.clock.now() - TIMEOUT
        due = {
            oid
            for oid, status in self.status.items()
            if status is OrderStatus.PENDING and self.placed_at[oid] < cutoff
        }
        expired = self.run(ExpireOrders(self.uow, self.clock, TIMEOUT, batch_size=3)())
        assert expired == len(due)
        for order_id in due:
            assert self.expect_move(order_id, OrderStatus.CANCELLED)

    @rule(product_id=st.integers(1, PRODUCTS), amount=st.integers(1, 10))
    def restock(self, product_id: int, amount: int) -> None:
        current = self.db.state.products[product_id].stock
        if current is None:
            return
        update = UpdateProduct(self.uow, self.clock)
        self.run(update(ADMIN, product_id, ProductChanges(stock=current + amount)))
        self.restocked[product_id] += amount

    @rule(product_id=st.integers(1, PRODUCTS))
    def toggle_active(self, product_id: int) -> None:
        product = self.db.state.products[product_id]
        self.db.state.products[product_id] = replace(product, is_active=not product.is_active)

    # ---- invariants -------------------------------------------------------------

    @invariant()
    def only_allowed_moves_happened(self) -> None:
        stored = self.stored_orders()
        assert {oid: o.status for oid, o in stored.items()} == self.status

    @invariant()
    def stock_never_goes_below_zero(self) -> None:
        assert all(stock is None or stock >= 0 for stock in self.stock().values())

    @invariant()
    def stock_on_hand_plus_units_held_is_conserved(self) -> None:
        held = dict.fromkeys(self.initial, 0)
        for order in self.stored_orders().values():
            if order.holds_stock:
                for line in order.lines:
                    held[line.product_id] += line.quantity
        for product_id, initial in self.initial.items():
            stock = self.stock()[product_id]
            if initial is None:
                assert stock is None
            else:
                assert stock is not None
                assert stock + held[product_id] == initial + self.restocked[product_id]

    @invariant()
    def every_total_is_the_sum_of_its_lines(self) -> None:
        for order in self.stored_orders().values():
            expected = sum(line.unit_price.minor * line.quantity for line in order.lines)
            assert order.total == Money(expected, "RUB")


OrderLifecycle.TestCase.settings = settings(
    max_examples=MAX_EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestOrderLifecycle = OrderLifecycle.TestCase

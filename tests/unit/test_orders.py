"""The order aggregate and the order use cases on the in-memory adapters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.orders.browse_orders import GetOrder, ListMyOrders
from application.orders.cancel_order import CancelOrder
from application.orders.expire_orders import ExpireOrders
from application.orders.place_order import PlaceOrder
from application.orders.read_model import RepositoryOrderReadModel
from application.orders.ship_order import ShipOrder
from application.paging import Page
from application.ports import (
    LEASE,
    RETENTION,
    ClaimOutcome,
    IdempotencyScope,
    NewCategory,
    NewProduct,
    StoredResponse,
)
from domain.errors import AccessDenied, Conflict, InvalidInput, InvalidTransition, NotFound
from domain.money import Money
from domain.orders import ALLOWED_MOVES, ItemRequest, Order, OrderLine, OrderStatus, OutOfStock, check_items
from domain.users import Actor, Role
from entrypoints.settings import Settings, SettingsError
from tests.fakes import MemoryIdempotencyStore, MemoryUnitOfWork
from tests.unit.conftest import SteppingClock

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ANN = Actor(1, Role.CUSTOMER)
BOB = Actor(2, Role.CUSTOMER)
ADMIN = Actor(3, Role.ADMIN)


def order(status: OrderStatus = OrderStatus.PENDING) -> Order:
    line = OrderLine(1, "Tea", 2, Money(14990, "RUB"))
    return Order(7, 1, status, (line,), "RUB", NOW, NOW)


# ---- domain -----------------------------------------------------------------------


@pytest.mark.parametrize("status", list(OrderStatus))
@pytest.mark.parametrize("target", list(OrderStatus))
def test_only_the_moves_of_the_state_machine_are_allowed(status: OrderStatus, target: OrderStatus) -> None:
    allowed = {
        (OrderStatus.PENDING, OrderStatus.PAID),
        (OrderStatus.PENDING, OrderStatus.CANCELLED),
        (OrderStatus.PAID, OrderStatus.SHIPPED),
        (OrderStatus.SHIPPED, OrderStatus.DELIVERED),
        (OrderStatus.PAID, OrderStatus.REFUNDED),
        (OrderStatus.SHIPPED, OrderStatus.REFUNDED),
        (OrderStatus.DELIVERED, OrderStatus.REFUNDED),
    }
    if (status, target) in allowed:
        assert order(status).move_to(target, NOW).status is target
    else:
        with pytest.raises(InvalidTransition, match=status.value):
            order(status).move_to(target, NOW)
    assert ((status, target) in allowed) == (target in ALLOWED_MOVES[status])


def test_only_a_pending_order_is_payable_and_mark_paid_makes_it_paid() -> None:
    assert order().is_payable
    paid = order().mark_paid(NOW + timedelta(seconds=1))
    assert paid.status is OrderStatus.PAID and not paid.is_payable
    assert paid.updated_at == NOW + timedelta(seconds=1)
    with pytest.raises(InvalidTransition, match="is paid"):
        paid.mark_paid(NOW)


@given(st.lists(st.tuples(st.integers(1, 9_999_999_999), st.integers(1, 1000)), min_size=1, max_size=100))
def test_a_total_is_the_exact_sum_of_its_lines(lines: list[tuple[int, int]]) -> None:
    placed = Order.place(
        1, [OrderLine(n, f"P{n}", q, Money(price, "RUB")) for n, (price, q) in enumerate(lines)], "RUB", NOW
    )
    assert placed.total == Money(sum(price * q for price, q in lines), "RUB")


@pytest.mark.parametrize(
    ("items", "fields"),
    [
        ([], ["items"]),
        ([ItemRequest(1, 0), ItemRequest(2, 1001)], ["items[0].quantity", "items[1].quantity"]),
        ([ItemRequest(1, 1), ItemRequest(1, 1)], ["items[1].product_id"]),
        ([ItemRequest(n, 1) for n in range(101)], ["items"]),
    ],
)
def test_item_lists_breaking_a_rule_name_every_broken_field(
    items: list[ItemRequest], fields: list[str]
) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_items(items)
    assert [e.field for e in raised.value.errors] == fields


# ---- use cases ----------------------------------------------------------------------


@pytest.fixture
async def products(uow: MemoryUnitOfWork, clock: SteppingClock) -> list[int]:
    async with uow:
        category = await uow.categories.add(NewCategory("Tea", "tea"), clock.now())
        ids = []
        for name, stock in (("Green", 5), ("Black", 2), ("Mug", None)):
            new = NewProduct(name, "", 1000, "RUB", category.id, stock)
            ids.append((await uow.products.add(new, clock.now())).id)
        await uow.commit()
    return ids


async def test_placing_reserves_tracked_stock_and_copies_names_and_prices(
    uow: MemoryUnitOfWork, clock: SteppingClock, products: list[int]
) -> None:
    placed = await PlaceOrder(uow, clock, "RUB")(
        ANN, [ItemRequest(products[0], 3), ItemRequest(products[2], 9)]
    )
    assert placed.total == Money(12000, "RUB")
    assert [line.product_name for line in placed.lines] == ["Green", "Mug"]
    async with uow:
        assert (await uow.products.get(products[0])).stock == 2  # type: ignore[union-attr]
        assert (await uow.products.get(products[2])).stock is None  # type: ignore[union-attr]


async def test_short_stock_names_every_short_product_and_reserves_nothing(
    uow: MemoryUnitOfWork, clock: SteppingClock, products: list[int]
) -> None:
    place = PlaceOrder(uow, clock, "RUB")
    with pytest.raises(OutOfStock) as raised:
        await place(
            ANN, [ItemRequest(products[0], 6), ItemRequest(products[1], 2), ItemRequest(products[2], 1)]
        )
    assert [(s.product_id, s.available) for s in raised.value.shortages] == [(products[0], 5)]
    async with uow:
        assert (await uow.products.get(products[1])).stock == 2  # type: ignore[union-attr]


async def test_unknown_products_are_not_found_and_inactive_ones_conflict(
    uow: MemoryUnitOfWork, clock: SteppingClock, products: list[int]
) -> None:
    place = PlaceOrder(uow, clock, "RUB")
    with pytest.raises(NotFound, match="98, 99"):
        await place(ANN, [ItemRequest(98, 1), ItemRequest(products[0], 1), ItemRequest(99, 1)])
    with pytest.raises(NotFound, match=str(2**63)):
        await place(ANN, [ItemRequest(2**63, 1)])
    async with uow:
        category = await uow.categories.get(1)
        assert category is not None
        await uow.categories.save(category.deactivated(clock.now()))
        await uow.commit()
    with pytest.raises(Conflict, match="inactive"):
        await place(ANN, [ItemRequest(products[0], 1)])


async def test_a_customer_holds_at_most_the_limit_of_pending_orders(
    uow: MemoryUnitOfWork, clock: SteppingClock, products: list[int]
) -> None:
    place = PlaceOrder(uow, clock, "RUB", pending_limit=2)
    first = await place(ANN, [ItemRequest(products[2], 1)])
    await place(ANN, [ItemRequest(products[2], 1)])
    with pytest.raises(Conflict, match="at most 2 pending orders"):
        await place(ANN, [ItemRequest(products[0], 1)])
    async with uow:
        assert (await uow.products.get(products[0])).stock == 5  # type: ignore[union-attr]  # nothing taken
    await place(BOB, [ItemRequest(products[2], 1)])  # the limit is per customer
    await CancelOrder(uow, clock)(ANN, first.id)  # a cancelled order no longer counts
    await place(ANN, [ItemRequest(products[2], 1)])
    with pytest.raises(Conflict, match="at most 2"):
        await place(ANN, [ItemRequest(products[2], 1)])


async def test_a_pending_limit_of_zero_is_no_limit(
    uow: MemoryUnitOfWork, clock: SteppingClock, products: list[int]
) -> None:
    place = PlaceOrder(uow, clock, "RUB", pending_limit=0)
    for _ in range(12):
        await place(ANN, [ItemRequest(products[2], 1)])
    async with uow:
        assert await uow.orders.pending_of_placing_user(ANN.user_id, 100) == 12
        assert await uow.orders.pending_of_placing_user(ANN.user_id, 5) == 5  # counted up to the bound


async def test_others_see_nothing_and_admins_see_everything(
    uow: MemoryUnitOfWork, clock: SteppingClock, products: list[int]
) -> None:
    placed = await PlaceOrder(uow, clock, "RUB")(ANN, [ItemRequest(products[0], 1)])
    with pytest.raises(NotFound):
        await GetOrder(uow)(BOB, placed.id)
    with pytest.raises(NotFound):
        await CancelOrder(uow, clock)(BOB, placed.id)
    assert (await GetOrder(uow)(ADMIN, placed.id)).id == placed.id
    assert await ListMyOrders(RepositoryOrderReadModel(uow))(BOB, None, Page()) == []
    with pytest.raises(AccessDenied):
        await ShipOrder(uow, clock)(ANN, placed.id)


async def test_expiry_cancels_only_overdue_pending_orders_once_and_returns_their_stock(
    uow: MemoryUnitOfWork, clock: SteppingClock, products: list[int]
) -> None:
    place = PlaceOrder(uow, clock, "RUB")
    old = await place(ANN, [ItemRequest(products[0], 2)])
    fresh_clock = SteppingClock()
    fresh_clock._now = clock.now() + timedelta(hours=2)
    expire = ExpireOrders(uow, fresh_clock, timedelta(hours=1), batch_size=1)
    young = await PlaceOrder(uow, fresh_clock, "RUB")(ANN, [ItemRequest(products[0], 1)])
    assert await expire() == 1
    assert await expire() == 0
    assert (await GetOrder(uow)(ANN, old.id)).status is OrderStatus.CANCELLED
    assert (await GetOrder(uow)(ANN, young.id)).status is OrderStatus.PENDING
    async with uow:
        assert (await uow.products.get(products[0])).stock == 4  # type: ignore[union-attr]


# ---- idempotency store (the memory twin; the SQL one is in tests/integration) ---------


async def test_the_idempotency_store_decides_start_replay_mismatch_and_in_progress() -> None:
    store = MemoryIdempotencyStore()
    scope = IdempotencyScope(1, "POST /api/v1/orders", "k")
    assert (await store.claim(scope, "a", NOW)).outcome is ClaimOutcome.STARTED
    assert (await store.claim(scope, "a", NOW)).outcome is ClaimOutcome.IN_PROGRESS
    assert (await store.claim(scope, "b", NOW)).outcome is ClaimOutcome.MISMATCH
    taken = await store.claim(scope, "a", NOW + LEASE)
    assert taken.outcome is ClaimOutcome.STARTED and taken.lease is not None
    await store.complete(taken.lease, StoredResponse(201, b"{}", "application/json"))
    replay = await store.claim(scope, "a", NOW + LEASE)
    assert replay.outcome is ClaimOutcome.REPLAY and replay.response == StoredResponse(
        201, b"{}", "application/json"
    )
    assert (await store.claim(scope, "b", NOW + RETENTION)).outcome is ClaimOutcome.STARTED
    assert (await store.claim(IdempotencyScope(2, scope.path, "k"), "z", NOW)).outcome is ClaimOutcome.STARTED


def test_the_pending_limit_setting_is_5_by_default_0_for_none_and_never_negative() -> None:
    assert Settings.from_mapping({}).order_pending_limit == 5
    assert Settings.from_mapping({"ORDER_PENDING_LIMIT": "0"}).order_pending_limit == 0
    assert Settings.from_mapping({"ORDER_PENDING_LIMIT": "50"}).order_pending_limit == 50
    with pytest.raises(SettingsError, match="ORDER_PENDING_LIMIT"):
        Settings.from_mapping({"ORDER_PENDING_LIMIT": "-1"})

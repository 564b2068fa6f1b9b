"""Where a fake could quietly differ from SQL: exact error messages, what `save` writes, unknown
ids, ties in every list, bounds, and the idempotency records' lease rules. The contract."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from application.ports import (
    LEASE,
    RETENTION,
    ClaimOutcome,
    IdempotencyScope,
    Lease,
    NewCategory,
    NewPayment,
    NewProduct,
    OrderFilter,
    PaymentFilter,
    StoredResponse,
    UnitOfWork,
)
from domain.catalog import Category, Product
from domain.errors import AlreadyExists
from domain.money import Money
from domain.orders import Order, OrderLine, OrderStatus
from domain.payments import PaymentStatus
from domain.users import Role, User
from tests.contracts.repositories.storage import Storage

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


async def shop(storage: Storage) -> tuple[User, Category, Product]:
    async with storage.unit_of_work() as uow:
        user = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
        category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
        product = await uow.products.add(NewProduct("Green", "", 1_000, "RUB", category.id, 5), NOW)
        await uow.commit()
    return user, category, product


# ---- errors: the same message from every implementation ----------------------------


async def test_every_taken_unique_value_is_already_exists_with_the_same_message(storage: Storage) -> None:
    user, category, product = await shop(storage)
    async with storage.unit_of_work() as uow:
        await uow.categories.add(NewCategory("Coffee", "coffee"), NOW)
        await uow.products.add(NewProduct("Black", "", 1_000, "RUB", category.id, None), NOW)
        bob = await uow.users.add("bob@example.com", "hash", Role.CUSTOMER, NOW)
        await uow.commit()
    attempts: list[tuple[str, Callable[[UnitOfWork], Awaitable[object]]]] = [
        ("email is already registered", lambda uow: uow.users.add(user.email, "h", Role.ADMIN, NOW)),
        ("email is already registered", lambda uow: uow.users.save(replace(bob, email=user.email))),
        ("category name is taken", lambda uow: uow.categories.add(NewCategory("Tea", "other"), NOW)),
        ("category slug is taken", lambda uow: uow.categories.add(NewCategory("Other", "tea"), NOW)),
        ("category name is taken", lambda uow: uow.categories.save(replace(category, name="Coffee"))),
        ("category slug is taken", lambda uow: uow.categories.save(replace(category, slug="coffee"))),
        ("product name is taken", lambda uow: uow.products.add(replace_name(product, "Black"), NOW)),
        ("product name is taken", lambda uow: uow.products.save(replace(product, name="Black"))),
    ]
    for message, attempt in attempts:
        async with storage.unit_of_work() as uow:
            with pytest.raises(AlreadyExists) as raised:
                await attempt(uow)
        assert raised.value.message == message


def replace_name(product: Product, name: str) -> NewProduct:
    return NewProduct(name, "", product.price.minor, "RUB", product.category_id, None)


async def test_a_payment_moved_back_to_active_beside_an_active_one_is_already_exists(
    storage: Storage,
) -> None:
    user, _, product = await shop(storage)
    line = OrderLine(product.id, "Green", 1, Money(1_000, "RUB"))
    async with storage.unit_of_work() as uow:
        order = await uow.orders.add(Order.place(user.id, [line], "RUB", NOW))
        first = await uow.payments.add(NewPayment(order.id, user.id, order.total, "mock"), NOW)
        await uow.payments.save(first.moved_to(PaymentStatus.FAILED, NOW, fail_reason="declined"))
        await uow.payments.add(NewPayment(order.id, user.id, order.total, "mock"), NOW)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        with pytest.raises(AlreadyExists) as raised:
            await uow.payments.save(replace(first, status=PaymentStatus.PENDING))
    assert raised.value.message == "the order already has an active payment"


# ---- save: what it writes, and unknown ids ------------------------------------------


async def test_save_keeps_the_creation_time_and_writes_the_rest(storage: Storage) -> None:
    user, category, product = await shop(storage)
    async with storage.unit_of_work() as uow:
        await uow.users.save(replace(user, role=Role.ADMIN, created_at=LATER))
        await uow.categories.save(replace(category, name="Teas", created_at=LATER, updated_at=LATER))
        await uow.products.save(replace(product, stock=None, created_at=LATER, updated_at=LATER))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.users.get(user.id) == replace(user, role=Role.ADMIN)
        assert await uow.categories.get(category.id) == replace(category, name="Teas", updated_at=LATER)
        assert await uow.products.get(product.id) == replace(product, stock=None, updated_at=LATER)


async def test_saving_an_unknown_id_stores_nothing(storage: Storage) -> None:
    user, category, product = await shop(storage)
    async with storage.unit_of_work() as uow:
        await uow.users.save(replace(user, id=user.id + 100, email="ghost@example.com"))
        await uow.categories.save(replace(category, id=category.id + 100, name="Ghost", slug="ghost"))
        await uow.products.save(replace(product, id=product.id + 100, name="Ghost"))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.users.get(user.id + 100) is None
        assert await uow.users.get_by_email("ghost@example.com") is None
        assert await uow.categories.get(category.id + 100) is None
        assert await uow.categories.get_by_slug("ghost") is None
        assert await uow.products.get(product.id + 100) is None
        assert [u.id for u in await uow.users.list(None, 10, 0)] == [user.id]


async def test_emails_and_slugs_are_found_only_exactly(storage: Storage) -> None:
    await shop(storage)
    async with storage.unit_of_work() as uow:
        assert await uow.users.get_by_email("Ann@example.com") is None
        assert await uow.users.get_by_email("ann@example.com\x00") is None
        assert await uow.users.list("ANN@example.com", 10, 0) == []
        assert await uow.categories.get_by_slug("Tea") is None
        assert await uow.categories.get_by_slug("tea\x00") is None


# ---- stock -----------------------------------------------------------------------------


async def test_orderable_products_carry_their_categorys_activity_and_unknown_ids_are_left_out(
    storage: Storage,
) -> None:
    _, category, product = await shop(storage)
    async with storage.unit_of_work() as uow:
        await uow.categories.save(category.deactivated(LATER))
        assert await uow.stock.orderable([]) == {}
        found = await uow.stock.orderable([product.id, product.id + 100])
    assert list(found) == [product.id]
    assert found[product.id].product == product and not found[product.id].category_active


async def test_reserving_or_releasing_an_unknown_product_changes_nothing(storage: Storage) -> None:
    _, _, product = await shop(storage)
    async with storage.unit_of_work() as uow:
        assert await uow.stock.reserve({product.id + 100: 1, product.id: 6}) == {product.id: 5}
        await uow.stock.release({product.id + 100: 1})
        assert await uow.stock.reserve({product.id: 5}) == {}
        assert await uow.stock.reserve({product.id: 1}) == {product.id: 0}
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert (await uow.products.get(product.id)) == replace(product, stock=0)


# ---- orders: newest first, ties by id, bounds --------------------------------------------


async def placed(storage: Storage) -> tuple[list[int], list[int]]:
    """Six orders of two users, two to a timestamp; every third one paid. Returns (users, orders)."""
    user, _, product = await shop(storage)
    line = OrderLine(product.id, "Green", 1, Money(1_000, "RUB"))
    ids = []
    async with storage.unit_of_work() as uow:
        bob = await uow.users.add("bob@example.com", "hash", Role.CUSTOMER, NOW)
        for n in range(6):
            when = NOW + timedelta(minutes=n // 2)
            order = await uow.orders.add(Order.place((user.id, bob.id)[n % 2], [line], "RUB", when))
            if n % 3 == 2:
                assert await uow.orders.save_status(order.mark_paid(when), OrderStatus.PENDING)
            ids.append(order.id)
        await uow.commit()
    return [user.id, bob.id], ids


async def test_order_lists_are_newest_first_with_ties_broken_by_the_higher_id(storage: Storage) -> None:
    (ann, bob), ids = await placed(storage)
    async with storage.unit_of_work() as uow:
        every = [o.id for o in await uow.orders.list_all(OrderFilter(), 10, 0)]
        paged = [o.id for n in range(6) for o in await uow.orders.list_all(OrderFilter(), 1, n)]
        anns = [o.id for o in await uow.orders.list_for_user(ann, None, 10, 0)]
        bobs_pending = [o.id for o in await uow.orders.list_for_user(bob, OrderStatus.PENDING, 10, 0)]
        paid = [o.id for o in await uow.orders.list_all(OrderFilter(status=OrderStatus.PAID), 10, 0)]
        window = OrderFilter(created_from=NOW + timedelta(minutes=1), created_to=NOW + timedelta(minutes=1))
        inside = [o.id for o in await uow.orders.list_all(window, 10, 0)]
        beyond = await uow.orders.list_all(OrderFilter(user_id=2**62), 10, 0)
    assert every == paged == ids[::-1]
    assert anns == [ids[4], ids[2], ids[0]]
    assert bobs_pending == [ids[3], ids[1]]
    assert paid == [ids[5], ids[2]]
    assert inside == [ids[3], ids[2]]
    assert beyond == []


async def test_pending_orders_since_a_moment_are_oldest_first_strictly_before_it(storage: Storage) -> None:
    _, ids = await placed(storage)
    async with storage.unit_of_work() as uow:
        assert await uow.orders.pending_since(NOW + timedelta(minutes=2), 10) == [ids[0], ids[1], ids[3]]
        assert await uow.orders.pending_since(NOW + timedelta(minutes=2), 2) == [ids[0], ids[1]]
        assert await uow.orders.pending_since(NOW, 10) == []


async def test_a_status_write_to_an_unknown_order_is_refused(storage: Storage) -> None:
    user, _, product = await shop(storage)
    line = OrderLine(product.id, "Green", 1, Money(1_000, "RUB"))
    ghost = replace(Order.place(user.id, [line], "RUB", NOW), id=999)
    async with storage.unit_of_work() as uow:
        assert not await uow.orders.save_status(ghost.mark_paid(NOW), OrderStatus.PENDING)
        assert await uow.orders.get(999) is None


# ---- payments: newest first, ties by the higher id -------------------------------------


async def test_payment_lists_break_ties_by_id_and_filter(storage: Storage) -> None:
    (ann, _), orders = await placed(storage)
    ids = []
    async with storage.unit_of_work() as uow:
        for n, order_id in enumerate(orders):
            provider = "other" if n % 2 else "mock"
            new = NewPayment(order_id, ann, Money(1_000, "RUB"), provider)
            payment = await uow.payments.add(new, NOW + timedelta(minutes=n // 3))
            await uow.payments.save(replace(payment, refund_required=n == 0))
            ids.append(payment.id)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        every = [p.id for p in await uow.payments.list_all(PaymentFilter(), 10, 0)]
        others = [p.id for p in await uow.payments.list_all(PaymentFilter(provider="other"), 10, 0)]
        owed = [p.id for p in await uow.payments.list_all(PaymentFilter(refund_required=True), 10, 0)]
        created = PaymentFilter(status=PaymentStatus.CREATED, refund_required=False)
        page = [p.id for p in await uow.payments.list_all(created, 2, 1)]
        of_order = await uow.payments.list_for_order(orders[0], 10, 0)
    assert every == ids[::-1]
    assert others == [ids[5], ids[3], ids[1]]
    assert owed == [ids[0]]
    assert page == [ids[4], ids[3]]
    assert [p.id for p in of_order] == [ids[0]] and of_order[0].refund_required


# ---- idempotency records: only the holder of the lease writes ---------------------------


async def test_only_the_current_lease_records_or_forgets_the_work(storage: Storage) -> None:
    user, _, _ = await shop(storage)
    store = storage.idempotency
    scope = IdempotencyScope(user.id, "POST /api/v1/orders", "k")
    first = (await store.claim(scope, "a", NOW)).lease
    assert first is not None
    retry = (await store.claim(scope, "a", NOW + LEASE)).lease
    assert retry is not None
    async with storage.unit_of_work() as uow:
        assert not await uow.idempotency.record(first, 7)  # taken over
        assert not await uow.idempotency.record(Lease(IdempotencyScope(user.id, "POST /x", "k"), "t"), 7)
        assert await uow.idempotency.record(retry, 8)
        await uow.commit()
    again = await store.claim(scope, "a", NOW + 2 * LEASE)
    assert again.outcome is ClaimOutcome.RESUME and again.resource_id == 8 and again.lease is not None
    async with storage.unit_of_work() as uow:
        await uow.idempotency.forget(retry)  # no longer the holder: nothing happens
        await uow.idempotency.forget(again.lease)
        await uow.commit()
    fresh = await store.claim(scope, "a", NOW + 3 * LEASE)
    assert fresh.outcome is ClaimOutcome.STARTED and fresh.lease is not None
    await store.complete(fresh.lease, StoredResponse(201, b"{}", "application/json"))
    async with storage.unit_of_work() as uow:
        assert not await uow.idempotency.record(fresh.lease, 9)  # answered: the record is closed
    replay = await store.claim(scope, "a", NOW + 3 * LEASE)
    assert replay.outcome is ClaimOutcome.REPLAY and replay.response is not None
    assert replay.response.body == b"{}"


async def test_purge_removes_records_created_strictly_before_the_moment(storage: Storage) -> None:
    user, _, _ = await shop(storage)
    store = storage.idempotency
    for n in range(3):
        await store.claim(IdempotencyScope(user.id, "POST /api/v1/orders", f"k{n}"), "a", NOW + n * LEASE)
    assert await store.purge(NOW + LEASE) == 1
    assert await store.purge(NOW + LEASE) == 0
    kept = await store.claim(IdempotencyScope(user.id, "POST /api/v1/orders", "k1"), "b", NOW + LEASE)
    assert kept.outcome is ClaimOutcome.MISMATCH
    expired = await store.claim(
        IdempotencyScope(user.id, "POST /api/v1/orders", "k2"), "b", NOW + RETENTION * 2
    )
    assert expired.outcome is ClaimOutcome.STARTED

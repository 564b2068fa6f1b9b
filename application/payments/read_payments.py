from __future__ import annotations

from dataclasses import dataclass

from application.ids import is_storable_id
from application.orders.find_order import find_order
from application.paging import Page
from application.ports import PaymentFilter, UnitOfWork
from domain.errors import NotFound
from domain.orders import OrderStatus
from domain.payments import Payment
from domain.users import Actor


class GetPayment:
    """One payment, for the owner of its order or an admin; anyone else gets NotFound."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, actor: Actor, payment_id: int) -> Payment:
        async with self._uow as uow:
            payment = await uow.payments.get(payment_id) if is_storable_id(payment_id) else None
        if payment is None or (payment.user_id != actor.user_id and not actor.is_admin):
            raise NotFound(f"payment {payment_id} not found")
        return payment


# Deliberate twin of ListOrderEvents: a page of an order's children, the order found (and
# its owner checked) first.
class ListOrderPayments:
    """An order's payments, oldest first, for its owner or an admin."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, actor: Actor, order_id: int, page: Page) -> list[Payment]:
        async with self._uow as uow:
            order = await find_order(uow, actor, order_id)
            return await uow.payments.list_for_order(order.id, page.limit, page.offset)


# Alike by shape only with ports' OrderableProduct: a value with the state it is judged by.
@dataclass(frozen=True, slots=True)
class Checkout:
    """A payment as its hosted checkout page shows it: with the state of its order."""

    payment: Payment
    order_status: OrderStatus

    @property
    def can_pay(self) -> bool:
        """Only an undecided payment of a pending order may still be paid (or declined)."""
        return self.payment.status.is_active and self.order_status is OrderStatus.PENDING


class ListPayments:
    """Every payment, newest first (ties by id, newest first), for administrators; filters
    combine: `status`, `provider`, `refund_required` (the ones owed a refund not yet made)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, actor: Actor, criteria: PaymentFilter, page: Page) -> list[Payment]:
        actor.ensure_admin()
        async with self._uow as uow:
            return await uow.payments.list_all(criteria, page.limit, page.offset)


class GetCheckout:
    """A payment of the configured provider by the provider's id, with its order's status,
    for a hosted checkout page."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, provider: str, provider_payment_id: str) -> Checkout:
        async with self._uow as uow:
            payment = await uow.payments.find_by_provider_id(provider, provider_payment_id)
            order = await uow.orders.get(payment.order_id) if payment is not None else None
        if payment is None or order is None:
            raise NotFound(f"payment {provider_payment_id} not found")
        return Checkout(payment, order.status)

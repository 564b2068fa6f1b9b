from __future__ import annotations

import logging

from application.ids import is_storable_id
from application.payments.references import payment_reference
from application.ports import (
    CheckoutRequest,
    Clock,
    Installation,
    NewPayment,
    PaymentGateway,
    PaymentGateways,
    ProviderFault,
    UnitOfWork,
    resumable,
)
from domain.errors import (
    Conflict,
    DependencyUnavailable,
    DomainError,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from domain.order_events import EventActor, OrderEvent
from domain.payments import Payment, PaymentStatus
from domain.users import Actor

log = logging.getLogger("storefront.payments")
REPLACED = "replaced before it was opened at the provider"
UNAVAILABLE = "the payment provider is unavailable, retry shortly"
"""What the customer is told whenever the provider cannot open a payment (its own text is logged)."""


class StartPayment:
    """The owner of a pending order starts paying it through one of the enabled providers.

    - `provider` names an enabled provider (`PaymentGateways.names`); None means the default
      (`PAYMENT_PROVIDER`); another name is InvalidInput naming the enabled ones;
    - only the order's owner: anyone else, admins included, is told the order does not exist;
    - only a pending order (InvalidTransition naming its status otherwise);
    - one active (`created` or `pending`) payment per order: another is a Conflict,
      also enforced by a partial unique index, so two concurrent starts cannot both win
      (the order row is locked first, so they queue);
    - except a payment never opened at the provider (`created`, no provider id: the provider was
      unreachable when it started): it blocks nobody. A start for the same provider resumes it
      (opened under its own reference: one payment at the provider), a start for another
      provider retires it (`canceled`, fail reason `REPLACED`) and starts a new one
      (docs/decisions.md, "A payment never opened blocks nobody");
    - the payment is stored first, then opened at the provider under a reference
      derived from its id and this installation (`payment_reference`: a retry never opens a
      second one, another store's payment is never answered), then given the
      provider's id and checkout page. A provider that cannot be reached, times out or answers
      5xx is DependencyUnavailable (503) and leaves the payment `created`: a retry under the same
      Idempotency-Key resumes it (docs/payments.md); so do refused credentials and an answer the
      store cannot keep (ProviderFault: the shop's misconfiguration, logged at ERROR with the
      provider's text; the customer gets the generic message); a provider that refuses (4xx) leaves it
      `failed` (Conflict, with the provider's message), so the customer can start again.
      The order's timeline records `payment_started`, and `payment_failed` by `system` on a refusal.

    Under an idempotency key the payment is recorded on the key in the transaction
    that stores it (and forgotten again if it fails to open), so a retry after a crash
    resumes that payment (`resume`) instead of starting another; a key lost to such
    a retry meanwhile → Conflict, and nothing is started.
    """

    # Deliberate twin of ExecuteRefund's constructor: both call a provider through its gateway
    # and name this store to it (the installation id).
    def __init__(
        self, uow: UnitOfWork, gateways: PaymentGateways, clock: Clock, installation: Installation
    ) -> None:
        self._uow = uow
        self._gateways = gateways
        self._clock = clock
        self._installation = installation

    @resumable
    async def __call__(self, actor: Actor, order_id: int, provider: str | None = None) -> Payment:
        gateway = self._gateway(provider if provider is not None else self._gateways.default)
        if not is_storable_id(order_id):
            raise NotFound(f"order {order_id} not found")
        async with self._uow as uow:
            # The usual case (the caller's pending order, no active payment) in one step where
            # the storage has one; anything else is decided by the steps below, from the start.
            now = self._clock.now()
            one_step = await uow.payments.start_for_order(
                order_id, actor.user_id, gateway.name, now, EventActor.of(actor)
            )
            if one_step is not None and one_step.payment is not None:
                payment = one_step.payment
            else:
                payment = await self._in_steps(uow, actor, order_id, gateway.name)
            await uow.idempotency.record_created(payment.id)
            await uow.commit()
        return await self._open(payment)

    async def _in_steps(self, uow: UnitOfWork, actor: Actor, order_id: int, provider: str) -> Payment:
        """The order locked, judged, and its payment inserted (or an active one dealt with)."""
        order = await uow.orders.lock_to_pay(order_id)
        if order is None or order.user_id != actor.user_id:
            raise NotFound(f"order {order_id} not found")
        if not order.is_payable:
            raise InvalidTransition(
                f"order {order_id} is {order.status.value}; only a pending order can be paid"
            )
        new = NewPayment(order.id, actor.user_id, order.total, provider)
        # No active payment: one statement where the storage can, the constraint deciding.
        started = await uow.payments.add_unless_active(new, self._clock.now())
        if started is None:
            return await self._instead_of_active(uow, actor, new)
        await uow.order_events.append(OrderEvent.of_payment(started, EventActor.of(actor)))
        return started

    async def _instead_of_active(self, uow: UnitOfWork, actor: Actor, new: NewPayment) -> Payment:
        """The order already has an active payment (the order's row is locked: no start races
        this one; a start that is opening that payment right now still can, since saving what
        the provider opened takes no order lock: hence the payment read again under its own)."""
        active = await uow.payments.active_for_order(new.order_id)
        if active is not None:
            active = await uow.payments.lock(active.id)
            if active is not None and not active.status.is_active:
                active = None  # ended meanwhile (it failed to open)
        if active is not None and not active.is_unopened:
            raise InvalidTransition(f"order {new.order_id} already has an active payment")
        if active is not None and active.provider == new.provider:
            # Never opened at the provider (it was unreachable): resumed under its own
            # reference, so the provider opens one payment however often this is retried.
            return active
        if active is not None:
            # Never opened, for another provider: retired, so that the new one may start.
            retired = active.moved_to(PaymentStatus.CANCELED, self._clock.now(), fail_reason=REPLACED)
            await uow.payments.save(retired)
            await uow.order_events.append(OrderEvent.of_payment(retired, EventActor.of(actor)))
        # (None: it stopped being active since the insert looked, e.g. it expired meanwhile.)
        payment = await uow.payments.add(new, self._clock.now())
        await uow.order_events.append(OrderEvent.of_payment(payment, EventActor.of(actor)))
        return payment

    async def resume(self, actor: Actor, payment_id: int) -> Payment:
        """The payment an earlier request (under the same idempotency key) created, as it is now;
        opened at the provider first if that request died before opening it (the reference
        derived from its id means the provider never opens two). One that was never opened and
        has ended since (retired by a start with another provider) has no checkout page to give:
        InvalidTransition (409) naming its status, as the request that was opening it is told."""
        async with self._uow as uow:
            payment = await uow.payments.get(payment_id) if is_storable_id(payment_id) else None
        if payment is None or payment.user_id != actor.user_id:
            raise NotFound(f"payment {payment_id} not found")
        if payment.provider_payment_id is None:
            if payment.status is PaymentStatus.CREATED:
                return await self._open(payment)
            if payment.status.is_final:
                raise InvalidTransition(
                    f"payment {payment.id} was {payment.status} before it was opened at the provider"
                )
        return payment

    def _gateway(self, name: str) -> PaymentGateway:
        gateway = self._gateways.get(name)
        if gateway is None:
            enabled = ", ".join(self._gateways.names)
            raise InvalidInput.for_field("provider", f"{name!r} is not enabled; enabled providers: {enabled}")
        return gateway

    async def _open(self, payment: Payment) -> Payment:
        gateway = self._gateways.get(payment.provider)
        if gateway is None:
            # The payment's provider was disabled since it was created: it cannot be opened.
            await self._fail(payment, f"the payment provider {payment.provider} is no longer enabled")
            raise InvalidTransition(f"payment provider {payment.provider} is not enabled")
        request = CheckoutRequest(
            reference=payment_reference(self._installation, payment.id),
            payment_id=payment.id,
            order_id=payment.order_id,
            amount=payment.amount,
            description=f"Order {payment.order_id}",
        )
        try:
            opened = await gateway.create_payment(request)
        except ProviderFault as error:
            # Refused credentials, or an answer the store cannot keep: the shop's problem to look
            # into, not the customer's; the payment stays `created` (resumable, or retired by a
            # start with another provider).
            log.error("payment provider %s cannot open payment %s: %s", gateway.name, payment.id, error)
            raise DependencyUnavailable(UNAVAILABLE) from None
        except (DependencyUnavailable, OSError, TimeoutError) as error:
            # Unreachable, timed out or 5xx: the payment stays `created`, so that a retry under
            # the same Idempotency-Key resumes it (the same reference: one payment at the provider).
            log.warning("payment provider unavailable for payment %s: %s", payment.id, error)
            raise DependencyUnavailable(UNAVAILABLE) from None
        except DomainError as error:
            log.warning("payment provider refused payment %s: %s", payment.id, error)
            await self._fail(payment, f"the payment provider refused the payment: {error.message}")
            raise Conflict(f"the payment provider refused the payment: {error.message}") from None

        async with self._uow as uow:
            # One conditional statement (PostgreSQL: in autocommit, no lock held around it).
            current = await uow.payments.save_opened(
                payment.opened(opened.provider_payment_id, opened.checkout_url, self._clock.now())
            )
            if current is None:
                current = await uow.payments.get(payment.id)
                assert current is not None
                if current.status is not PaymentStatus.CREATED:
                    # Retired by a start for another provider while the provider was being asked:
                    # its checkout page is never shown, so nobody can pay it.
                    raise InvalidTransition(f"payment {payment.id} was {current.status} while it was opened")
                # Opened meanwhile by a concurrent resume under the same reference: that one stands.
            await uow.commit()
        return current

    async def _fail(self, payment: Payment, reason: str) -> None:
        async with self._uow as uow:
            current = await uow.payments.lock(payment.id)
            if current is not None and current.status.can_move_to(PaymentStatus.FAILED):
                failed = current.moved_to(PaymentStatus.FAILED, self._clock.now(), fail_reason=reason)
                await uow.payments.save(failed)
                await uow.order_events.append(OrderEvent.of_payment(failed, EventActor.SYSTEM))
                # A failed payment is no answer to replay: a retry under the key starts afresh.
                await uow.idempotency.forget_created()
                await uow.commit()

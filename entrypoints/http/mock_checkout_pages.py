"""The mock provider's hosted checkout page: plain HTML, no scripts, no build step."""

from __future__ import annotations

from html import escape

from application.payments.read_payments import Checkout
from domain.orders import OrderStatus
from domain.payments import Payment, PaymentStatus

# Where the mock provider's pages live; its gateway links customers here (a test pins the two).
CHECKOUT_PATH = "/mock-checkout"

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem; }
.card { border: 1px solid #ccc; border-radius: 8px; padding: 1.5rem; }
.amount { font-size: 2rem; margin: 0.5rem 0 1.5rem; }
form { display: inline; }
button { font-size: 1rem; padding: 0.6rem 1.4rem; margin-right: 0.5rem; border-radius: 6px; cursor: pointer; }
.pay { background: #1a7f37; color: white; border: none; }
.decline { background: white; color: #b42318; border: 1px solid #b42318; }
.note { color: #555; font-size: 0.9rem; }
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f'<style>{_STYLE}</style></head><body><div class="card">{body}</div></body></html>\n'
    )


def checkout_page(checkout: Checkout) -> str:
    """Order, amount, the order's and the payment's state, and Pay / Decline only while it can be paid."""
    payment = checkout.payment
    head = _head(payment) + _state_lines(checkout)
    if not checkout.can_pay:
        return _page(f"Order #{payment.order_id}", head)
    ppid = escape(payment.provider_payment_id or "")
    buttons = (
        f'<form method="post" action="{CHECKOUT_PATH}/{ppid}/pay">'
        '<button class="pay" type="submit" name="action" value="pay">Pay</button></form>'
        f'<form method="post" action="{CHECKOUT_PATH}/{ppid}/decline">'
        '<button class="decline" type="submit" name="action" value="decline">Decline</button></form>'
        '<p class="note">Pressing a button makes the mock provider send its signed webhook to the store.</p>'
    )
    return _page(f"Pay for order #{payment.order_id}", head + buttons)


def result_page(checkout: Checkout, store_answer: int, detail: str) -> str:
    """What the provider shows after delivering its webhook: the store's answer and the states after it."""
    body = (
        _head(checkout.payment)
        + _state_lines(checkout)
        + f'<p class="note">The store answered the webhook with HTTP {store_answer}: {escape(detail)}</p>'
    )
    return _page(f"Order #{checkout.payment.order_id}", body)


def refused_page(checkout: Checkout) -> str:
    """A button pressed on a page that is out of date: nothing is charged, no webhook is sent."""
    body = (
        _head(checkout.payment)
        + _state_lines(checkout)
        + '<p class="note" id="refused">This order can no longer be paid here: the mock provider '
        "took no payment and sent no webhook.</p>"
    )
    return _page(f"Order #{checkout.payment.order_id}", body)


def not_found_page(provider_payment_id: str) -> str:
    return _page("Payment not found", f"<h1>Payment not found</h1><p>{escape(provider_payment_id)}</p>")


_ORDER_WORDS = {
    OrderStatus.PENDING: "Order awaiting payment",
    OrderStatus.PAID: "Order paid",
    OrderStatus.SHIPPED: "Order paid and shipped",
    OrderStatus.DELIVERED: "Order paid and delivered",
    OrderStatus.CANCELLED: "Order cancelled: it can no longer be paid",
}
_PAYMENT_WORDS = {
    PaymentStatus.SUCCEEDED: "Paid",
    PaymentStatus.FAILED: "Payment failed",
    PaymentStatus.CANCELED: "Payment canceled",
    PaymentStatus.PENDING: "Payment pending",
    PaymentStatus.CREATED: "Awaiting payment",
}


def _head(payment: Payment) -> str:
    return (
        '<p class="note">Mock payment provider · test mode</p>'
        f"<h1>Order #{payment.order_id}</h1>"
        f'<p class="amount" id="amount">{_amount(payment)}</p>'
    )


def _state_lines(checkout: Checkout) -> str:
    """The order's state, then the payment's: never "Awaiting payment" for an order that cannot be paid."""
    order = checkout.order_status
    order_words = _ORDER_WORDS.get(order, f"Order {order.value}")
    payment = checkout.payment
    if payment.status.is_active and not checkout.can_pay:
        payment_words = "Not paid"
    else:
        payment_words = _PAYMENT_WORDS[payment.status]
    notes = [escape(payment.fail_reason)] if payment.fail_reason else []
    if payment.refund_required:
        notes.append("the order was cancelled before the payment arrived: a refund is due")
    elif payment.refunded_minor:
        notes.append(f"{_refunded(payment)} refunded")
    reason = "".join(f" — {note}" for note in notes)
    return (
        f'<p id="order-status" data-status="{escape(order.value)}"><strong>{escape(order_words)}</strong></p>'
        f'<p id="status" data-status="{payment.status.value}"><strong>{payment_words}</strong>{reason}</p>'
    )


def _refunded(payment: Payment) -> str:
    return f"{escape(str(payment.refunded_amount.amount))} {escape(payment.amount.currency)}"


def _amount(payment: Payment) -> str:
    return f"{escape(str(payment.amount.amount))} {escape(payment.amount.currency)}"

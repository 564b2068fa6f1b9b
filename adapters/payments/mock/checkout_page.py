"""The mock provider's hosted checkout page: plain HTML, no scripts, no build step."""

from __future__ import annotations

from html import escape

from adapters.payments.mock.gateway import CHECKOUT_PATH
from domain.payments import Payment, PaymentStatus

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


def checkout_page(payment: Payment) -> str:
    """Order, amount and the two buttons; a payment already decided shows its status instead."""
    ppid = escape(payment.provider_payment_id or "")
    head = (
        '<p class="note">Mock payment provider · test mode</p>'
        f"<h1>Order #{payment.order_id}</h1>"
        f'<p class="amount" id="amount">{_amount(payment)}</p>'
    )
    if payment.status.is_final:
        return _page(f"Order #{payment.order_id}", head + _status_line(payment))
    buttons = (
        f'<form method="post" action="{CHECKOUT_PATH}/{ppid}/pay">'
        '<button class="pay" type="submit" name="action" value="pay">Pay</button></form>'
        f'<form method="post" action="{CHECKOUT_PATH}/{ppid}/decline">'
        '<button class="decline" type="submit" name="action" value="decline">Decline</button></form>'
        '<p class="note">Pressing a button makes the mock provider send its signed webhook to the store.</p>'
    )
    return _page(f"Pay for order #{payment.order_id}", head + buttons)


def result_page(payment: Payment, store_answer: int, detail: str) -> str:
    """What the provider shows after delivering its webhook: the store's answer and the payment's status."""
    body = (
        '<p class="note">Mock payment provider · test mode</p>'
        f"<h1>Order #{payment.order_id}</h1>"
        f'<p class="amount">{_amount(payment)}</p>'
        f"{_status_line(payment)}"
        f'<p class="note">The store answered the webhook with HTTP {store_answer}: {escape(detail)}</p>'
    )
    return _page(f"Order #{payment.order_id}", body)


def not_found_page(provider_payment_id: str) -> str:
    return _page("Payment not found", f"<h1>Payment not found</h1><p>{escape(provider_payment_id)}</p>")


def _status_line(payment: Payment) -> str:
    words = {
        PaymentStatus.SUCCEEDED: "Paid",
        PaymentStatus.FAILED: "Declined",
        PaymentStatus.CANCELED: "Canceled",
        PaymentStatus.PENDING: "Pending",
        PaymentStatus.CREATED: "Awaiting payment",
    }
    reason = f" — {escape(payment.fail_reason)}" if payment.fail_reason else ""
    status = payment.status.value
    return f'<p id="status" data-status="{status}"><strong>{words[payment.status]}</strong>{reason}</p>'


def _amount(payment: Payment) -> str:
    return f"{escape(str(payment.amount.amount))} {escape(payment.amount.currency)}"

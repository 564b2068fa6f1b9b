"""What a payment provider tells the store must fit what the store keeps.

A provider's event and answer (its ids, our amounts, its checkout page) arrive from outside
like any input: signed or read back from the provider's API means it came from the provider,
not that it fits. Each value is checked once, where it becomes the domain's or the ports'
object (the constructors of `PaymentEvent`, `RefundEvent`, `ProviderPayment`,
`ProviderRefund`), against the columns that keep it:

- an event id, a provider's payment or refund id, a capture reference: 1–255 characters of
  plain text (`domain.text`: no control character — PostgreSQL cannot store NUL — and no bidi
  control);
- a checkout URL: an http(s) URL of at most 1000 characters, plain text;
- an amount: from 0 to the most an order can come to (`domain.orders.MAX_TOTAL_MINOR`), in a
  currency of three ASCII capitals;
- a reason: text with no control character but tab and line breaks (it is clipped to its
  column's length where it is stored).
"""

from __future__ import annotations

import re

from domain.errors import FieldError
from domain.money import Money
from domain.orders import MAX_TOTAL_MINOR
from domain.text import has_bidi_control, has_control

REFERENCE_MAX = 255
URL_MAX = 1000
CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)


def reference_errors(field: str, value: str | None, *, optional: bool = False) -> list[FieldError]:
    if value is None and optional:
        return []
    if not isinstance(value, str) or not 1 <= len(value) <= REFERENCE_MAX:
        return [FieldError(field, f"must be 1 to {REFERENCE_MAX} characters")]
    if has_control(value) or has_bidi_control(value):
        return [FieldError(field, "must hold no control characters")]
    return []


def amount_errors(field: str, amount: Money) -> list[FieldError]:
    errors = []
    if not isinstance(amount.minor, int) or not 0 <= amount.minor <= MAX_TOTAL_MINOR:
        most = Money(MAX_TOTAL_MINOR, "").amount
        errors.append(FieldError(field, f"must be from 0 to {most}"))
    if not isinstance(amount.currency, str) or not CURRENCY.fullmatch(amount.currency):
        errors.append(FieldError(f"{field}.currency", "must be three capital letters A-Z (ISO 4217)"))
    return errors


def url_errors(field: str, value: str) -> list[FieldError]:
    if not isinstance(value, str) or not 1 <= len(value) <= URL_MAX:
        return [FieldError(field, f"must be 1 to {URL_MAX} characters")]
    if not value.startswith(("https://", "http://")) or has_control(value) or has_bidi_control(value):
        return [FieldError(field, "must be an http(s) URL of plain text")]
    return []


def reason_errors(field: str, value: str | None) -> list[FieldError]:
    if value is None:
        return []
    if not isinstance(value, str) or has_control(value, allowed="\t\n\r"):
        return [FieldError(field, "must hold no control characters")]
    return []


def describe(errors: list[FieldError]) -> str:
    return "; ".join(f"{error.field}: {error.message}" for error in errors)

"""Money: an exact decimal amount with two places and its currency. Never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.errors import InvalidInput

CENT = Decimal("0.01")
MAX_PRICE = Decimal("99999999.99")
# A money string: ASCII digits, then optionally a point and one or two decimals. No sign,
# `_`, exponent, spaces or other digit scripts (all of which `Decimal()` would accept).
MONEY_STRING = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?", re.ASCII)
_MAX_STRING_LENGTH = 32
# Any amount the store reads is below 10^21 (its prices and totals are far smaller still).
_MAX_WHOLE_DIGITS = 21
_TOO_LARGE = f"must have at most {_MAX_WHOLE_DIGITS} digits before the decimal point"

ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        # ISO 4217 currencies with no minor unit (exponent 0)…
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
        "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
        # …and one that payment providers charge in whole units (Stripe: docs.stripe.com/currencies).
        "MGA",
    }
)  # fmt: skip
"""Currencies with no minor unit: an amount in one is whole (`price_of`). Payment adapters that
count amounts in the currency's smallest unit use this list too (Stripe)."""


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in minor units (kopecks, cents) of one currency.

    Minor units keep arithmetic exact and let every database store the
    value as a plain integer.
    """

    minor: int
    currency: str

    @classmethod
    def of(cls, amount: Decimal | str | int, currency: str) -> Money:
        value = parse_amount(amount)
        return cls(int(value * 100), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @property
    def amount(self) -> Decimal:
        return (Decimal(self.minor) / 100).quantize(CENT)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __mul__(self, quantity: int) -> Money:
        return Money(self.minor * quantity, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def parse_amount(raw: Decimal | str | int | float, field: str = "amount") -> Decimal:
    """Parse an amount with at most two decimals; anything else is InvalidInput.

    A string must be written as `MONEY_STRING` says (`"12"`, `"12.5"`, `"12.50"`).
    A number is taken at its exact value: a JSON number arrives as a Decimal (or an
    int), so `0.1` is exactly `0.10`. Floats are read through their shortest repr.
    """
    if isinstance(raw, bool):
        raise InvalidInput.for_field(field, "must be a decimal number")
    if isinstance(raw, str):
        return _parse_string(raw, field)
    try:
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput.for_field(field, "must be a decimal number") from None
    if not value.is_finite():
        raise InvalidInput.for_field(field, "must be a finite number")
    if value.adjusted() > _MAX_WHOLE_DIGITS - 1:
        raise InvalidInput.for_field(field, _TOO_LARGE)
    quantized = value.quantize(CENT)
    if quantized != value:
        raise InvalidInput.for_field(field, "must have at most two decimal places")
    return quantized


def _parse_string(raw: str, field: str) -> Decimal:
    if len(raw) > _MAX_STRING_LENGTH:
        raise InvalidInput.for_field(field, f"must be at most {_MAX_STRING_LENGTH} characters long")
    if not MONEY_STRING.fullmatch(raw):
        raise InvalidInput.for_field(
            field, 'must be written as digits with at most two decimals, like "12" or "12.50"'
        )
    value = Decimal(raw)
    if value.adjusted() > _MAX_WHOLE_DIGITS - 1:
        raise InvalidInput.for_field(field, _TOO_LARGE)
    return value.quantize(CENT)


def price_of(raw: Decimal | str | int | float, currency: str, field: str = "price") -> Money:
    """A product price in `currency`: `parse_price`'s rules, and a whole amount in a currency
    with no minor unit (`ZERO_DECIMAL_CURRENCIES`: `"1500.50"` JPY is refused — no provider could
    charge it)."""
    value = parse_price(raw, field)
    if currency in ZERO_DECIMAL_CURRENCIES and value != value.to_integral_value():
        raise InvalidInput.for_field(field, f"must be a whole amount: {currency} has no minor unit")
    return Money.of(value, currency)


def parse_price(raw: Decimal | str | int | float, field: str = "price") -> Decimal:
    """A product price: positive, two decimals, at most 99 999 999.99."""
    value = parse_amount(raw, field)
    if value <= 0:
        raise InvalidInput.for_field(field, "must be greater than 0")
    if value > MAX_PRICE:
        raise InvalidInput.for_field(field, f"must be at most {MAX_PRICE}")
    return value

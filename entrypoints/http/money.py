"""The one money type of the wire: every amount in a body or a query is an `Amount`.

`Amount` is a `Decimal` the decoders do not know, so msgspec hands every value meant
for one to `decode_amount` (through Litestar's `type_decoders` for bodies and queries,
through `bodies.decode_value` for the bodies decoded by hand). That is the only place
a money value is read: `domain.money.parse_amount`'s rules (a string of ASCII digits
with at most two decimals; a number at its exact value, at most two decimals, within
range) and never `Decimal()`'s own, which takes `"1_000"`, `"+5"`, `" 5"`, `"5e2"` or
`"٥"`. Its OpenAPI schema, titled `Money`, is written once here as well.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar.openapi.spec import OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from domain.errors import InvalidInput
from domain.money import MAX_PRICE, MONEY_STRING, parse_amount, parse_price

MONEY_SCHEMA_TITLE = "Money"


class Amount(Decimal):
    """An amount of money as the API reads it: at most two decimals, never negative."""

    __slots__ = ()


class PositiveAmount(Amount):
    """An amount greater than 0 (a refund's)."""

    __slots__ = ()


class PriceAmount(Amount):
    """A product's price: greater than 0, at most `MAX_PRICE` (`domain.money.parse_price`)."""

    __slots__ = ()


def is_amount(kind: Any) -> bool:
    return kind is Amount or kind is PriceAmount or kind is PositiveAmount


def decode_amount(kind: Any, raw: Any) -> Amount:
    """msgspec's hook: a ValueError becomes a validation error naming the field."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise ValueError("must be a decimal string or a number")
    try:
        value = parse_price(raw) if kind is PriceAmount else parse_amount(raw)
    except InvalidInput as error:
        raise ValueError(error.errors[0].message if error.errors else error.message) from None
    if value < 0:
        raise ValueError("must not be negative")
    if kind is PositiveAmount:
        if value == 0:
            raise ValueError("must be greater than 0")
        return PositiveAmount(value)
    return PriceAmount(value) if kind is PriceAmount else Amount(value)


TYPE_DECODERS = [(is_amount, decode_amount)]


class MoneySchemaPlugin(OpenAPISchemaPlugin):
    """Documents `Amount` as what it accepts: a money string or a JSON number."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return is_amount(value)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        description = (
            'A decimal string of ASCII digits with at most two decimals ("12", "12.5", "12.50"), '
            "or a JSON number with at most two decimals"
        )
        if field_definition.annotation is PriceAmount:
            # The bounds in JSON Schema's own terms: `exclusiveMinimum` and `maximum` for a
            # number, and a pattern that no string of zeros matches.
            return _money_schema(
                POSITIVE_MONEY_PATTERN,
                f"{description}; greater than 0, at most {MAX_PRICE}",
                exclusive_minimum=0,
                maximum=float(MAX_PRICE),
            )
        if field_definition.annotation is PositiveAmount:
            return _money_schema(
                POSITIVE_MONEY_PATTERN, f"{description}; greater than 0", exclusive_minimum=0
            )
        return _money_schema(f"^{MONEY_STRING.pattern}$", description, minimum=0)


def _money_schema(pattern: str, description: str, **bounds: float) -> Schema:
    """A money field's schema: a string of `pattern` or a number within `bounds`."""
    return Schema(
        title=MONEY_SCHEMA_TITLE,
        type=[OpenAPIType.STRING, OpenAPIType.NUMBER],
        pattern=pattern,
        description=description,
        examples=["149.90"],
        **bounds,  # type: ignore[arg-type]
    )


# A money string with a digit other than 0 in it: digits before the point, or after it.
POSITIVE_MONEY_PATTERN = r"^(?:[0-9]*[1-9][0-9]*(?:\.[0-9]{1,2})?|[0-9]+\.(?:0[1-9]|[1-9][0-9]?))$"

"""One shape per resource: each read view is its table's columns, minus documented exceptions,
and an order's fields are written down in a fixed, short list of places.

Adding a field to an order (or a payment, an account) is three edits: the domain entity, the
migration and the table, the view (`application/ports/*_reads.py`, filled in its `of`). The SQL
readers select the view's fields by name, and the routes answer with the view as it is; these
tests fail when a field is added in one of those places and not the others, or when a new
place starts declaring an order's fields.
"""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import Table

from adapters.sql.order_reads import ITEM_COMPUTED, ORDER_COMPUTED
from adapters.sql.tables import order_lines, orders, payments, users
from application.ports import OrderItemOut, OrderOut, PaymentOut, UserOut

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ("domain", "application", "adapters", "entrypoints")

# (view, table, the view's fields that are no column of that name, the columns it does not show)
SHAPES = [
    # total_price, refunded_total: total_minor, refunded_minor as text; items: the order_lines rows.
    (OrderOut, orders, {"total_price", "refunded_total", "items"}, {"total_minor", "refunded_minor"}),
    # price: unit_price_minor as text; order_id: the order the item is listed under.
    (OrderItemOut, order_lines, {"price"}, {"unit_price_minor", "order_id"}),
    # amount, refunded_amount: amount_minor, refunded_minor as text;
    # user_id: the payment's order names its owner already;
    # capture_reference: the provider's id refunds are made against, the provider's business.
    (
        PaymentOut,
        payments,
        {"amount", "refunded_amount"},
        {"amount_minor", "refunded_minor", "user_id", "capture_reference"},
    ),
    # password_hash: never shown.
    (UserOut, users, set(), {"password_hash"}),
]


def _fields(view: type[msgspec.Struct]) -> set[str]:
    return {field.name for field in msgspec.structs.fields(view)}


@pytest.mark.parametrize(("view", "table", "computed", "hidden"), SHAPES, ids=[s[1].name for s in SHAPES])
def test_a_view_is_its_table_minus_documented_exceptions(
    view: type[msgspec.Struct], table: Table, computed: set[str], hidden: set[str]
) -> None:
    columns = set(table.columns.keys())
    assert hidden <= columns, f"{table.name} has no column {hidden - columns}: update this test"
    assert _fields(view) - computed == columns - hidden


def test_the_sql_reader_computes_exactly_the_documented_fields() -> None:
    assert set(ORDER_COMPUTED) == SHAPES[0][2]
    assert set(ITEM_COMPUTED) == SHAPES[1][2]


# Where an order's own field names may appear in production code, and why. A new module
# here means the order's shape is being written down again: read it from the view instead.
ORDER_FIELD_PLACES = {
    # Computed for the API only.
    "total_price": {
        "application/ports/order_reads.py",  # the view
        "adapters/sql/order_reads.py",  # the SQL reader's one computed column
    },
    # A stored field of an order line, end to end.
    "product_name": {
        "domain/orders.py",  # the entity
        "adapters/sql/tables.py",  # the table
        "adapters/sql/orders.py",  # the repository: rows to entities and back
        "adapters/sql/hot_path.py",  # the same writes as prepared statements on PostgreSQL (speed)
        "application/ports/order_reads.py",  # the view (and its `of`)
        "application/orders/place_order.py",  # the rule: the name is copied at placing time
        "entrypoints/demo.py",  # a local variable of the demo catalog (a product's name)
    },
}


@pytest.mark.parametrize("field", sorted(ORDER_FIELD_PLACES))
def test_an_order_field_appears_in_a_fixed_list_of_places(field: str) -> None:
    word = re.compile(rf"\b{field}\b")
    places = {
        path.relative_to(ROOT).as_posix()
        for top in PRODUCTION
        for path in (ROOT / top).rglob("*.py")
        if word.search(path.read_text(encoding="utf-8"))
    }
    assert places == ORDER_FIELD_PLACES[field]

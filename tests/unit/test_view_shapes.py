"""One shape per resource: each read view is its table's columns, minus documented exceptions,
and an order's fields are written down in a fixed, short list of places.

Adding a field to an order or a product (or a payment, an account) is three edits: the domain
entity, the migration and the table, the view (`application/ports/*_reads.py`, filled in its
`of`). The repositories (`adapters/sql/entity_rows.py`, and through it the prepared statements
of `adapters/sql/hot_path.py`) read and write an entity by its field names, the SQL readers
select the view's fields by name, and the routes answer with the view as it is; these tests
fail when a field is added in one of those places and not the others, when a new place starts
naming an order's or a product's fields, or when the repositories stop mapping a new field by
its name alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text

from adapters.sql.entity_rows import EntityRows
from adapters.sql.order_reads import ITEM_COMPUTED, ORDER_COMPUTED
from adapters.sql.orders import ORDERS
from adapters.sql.repositories import PRODUCTS
from adapters.sql.tables import order_lines, orders, payments, products, users
from application.ports import OrderItemOut, OrderOut, PaymentOut, UserOut
from domain.catalog import Product
from domain.money import Money
from domain.orders import Order, OrderStatus

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
    # A stored field of an order line, end to end. The repositories (and the prepared statements
    # on PostgreSQL) read and write it by the entity's field name (`adapters/sql/entity_rows.py`).
    "product_name": {
        "domain/orders.py",  # the entity
        "adapters/sql/tables.py",  # the table
        "application/ports/order_reads.py",  # the view (and its `of`)
        "application/orders/place_order.py",  # the rule: the name is copied at placing time
        "entrypoints/demo.py",  # a local variable of the demo catalog (a product's name)
    },
    # A `Money` field's column (`unit_price` as `unit_price_minor`): the conversion is declared
    # once, in `EntityRows`, by the field's type.
    "unit_price_minor": {
        "adapters/sql/tables.py",  # the table
        "adapters/sql/order_reads.py",  # the SQL reader's computed `price`
    },
    # A column computed from the entity (`Order.total`), declared once by the repository.
    "total_minor": {
        "adapters/sql/tables.py",  # the table
        "adapters/sql/orders.py",  # the repository's one declared computed column
        "adapters/sql/order_reads.py",  # the SQL reader's computed `total_price`
        "adapters/sql/hot_path.py",  # starting a payment reads the stored total, not the lines
    },
}

# The same for a product.
PRODUCT_FIELD_PLACES = {
    # `Product.price` as stored (its currency in `currency`).
    "price_minor": {
        "adapters/sql/tables.py",  # the table
        "adapters/sql/catalog_reads.py",  # the SQL reader's computed `price`
        "adapters/sql/product_filter.py",  # the price filter and sorts
        "application/ports/catalog.py",  # `NewProduct`: a new product, named as its row
        "application/catalog/create_product.py",  # the rule: the price given, in minor units
        "entrypoints/demo.py",  # the demo catalog's prices
    },
    # A column computed from the entity (the name lower-cased for `q`).
    "search_name": {
        "adapters/sql/tables.py",  # the table
        "adapters/sql/repositories.py",  # the repository's one declared computed column
        "adapters/sql/product_filter.py",  # the `q` filter
    },
}


def _places(field: str) -> set[str]:
    word = re.compile(rf"\b{field}\b")
    return {
        path.relative_to(ROOT).as_posix()
        for top in PRODUCTION
        for path in (ROOT / top).rglob("*.py")
        if word.search(path.read_text(encoding="utf-8"))
    }


@pytest.mark.parametrize("field", sorted(ORDER_FIELD_PLACES))
def test_an_order_field_appears_in_a_fixed_list_of_places(field: str) -> None:
    assert _places(field) == ORDER_FIELD_PLACES[field]


@pytest.mark.parametrize("field", sorted(PRODUCT_FIELD_PLACES))
def test_a_product_field_appears_in_a_fixed_list_of_places(field: str) -> None:
    assert _places(field) == PRODUCT_FIELD_PLACES[field]


# ---- a new stored field: the entity's field and the table's column, nothing else ----------


@dataclass(frozen=True, slots=True)
class _GiftOrder(Order):
    gift_note: str | None = None


@dataclass(frozen=True, slots=True)
class _WeighedProduct(Product):
    weight_grams: int | None = None


def _with_column(table: Table, column: Column[Any]) -> Table:
    copy = table.to_metadata(MetaData())
    copy.append_column(column)
    return copy


def _declared_like(rows: EntityRows[Any], entity: type[Any], table: Table) -> EntityRows[Any]:
    """The repository's declaration, over the grown entity and table."""
    return EntityRows(
        entity,
        table,
        read_args=rows.read_args,
        computed=rows.computed,
        write_args=rows.write_args,
        kept_apart=rows.kept_apart,
    )


NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_a_new_order_field_is_read_and_written_by_its_name_alone() -> None:
    table = _with_column(orders, Column("gift_note", Text, nullable=True))
    rows = _declared_like(ORDERS, _GiftOrder, table)
    order = _GiftOrder(7, 3, OrderStatus.PAID, (), "RUB", NOW, NOW, gift_note="for Ann")

    values = rows.values(order)
    assert values["gift_note"] == "for Ann"
    assert list(values) == [*ORDERS.written, "gift_note"]
    stored = {**values, "id": 7, "refunded_minor": 0}
    assert rows.from_row(stored, lines=()) == order


def test_a_new_product_field_is_read_and_written_by_its_name_alone() -> None:
    table = _with_column(products, Column("weight_grams", Integer, nullable=True))
    rows = _declared_like(PRODUCTS, _WeighedProduct, table)
    product = _WeighedProduct(5, "Tea", "", Money(1_000, "RUB"), 2, None, True, NOW, NOW, weight_grams=250)

    values = rows.values(product)
    assert values["weight_grams"] == 250
    assert rows.columns == (*PRODUCTS.columns, "weight_grams")
    assert rows.from_row({**values, "id": 5}) == product
    assert rows.from_values([product.id, *(values[c] for c in rows.columns[1:])]) == product


def test_a_column_without_its_field_fails_at_declaration() -> None:
    table = _with_column(products, Column("weight_grams", Integer, nullable=True))
    with pytest.raises(TypeError, match="weight_grams"):
        _declared_like(PRODUCTS, Product, table)


def test_a_field_without_its_column_fails_at_declaration() -> None:
    with pytest.raises(TypeError, match="gift_note"):
        _declared_like(ORDERS, _GiftOrder, orders)

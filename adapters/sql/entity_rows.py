"""Domain entities to table rows and back, by the dataclass's field names.

A repository declares one `EntityRows` per entity and table; the readers and writers are
generated once, at import, from the entity's fields and the table's columns, so a plain new
stored field is the entity's field and the table's column of the same name: no repository
(and no prepared statement of `hot_path.py`) lists it. The few conversions are declared here,
once, by the field's type:

- an `Enum` field (or an optional one) is stored as its value in the column of its name;
- a `Money` field `x` is stored as `x_minor`, its currency in the table's `currency` column
  (or, for a table without one, passed in by the caller: an order line's is its order's).

What is not a column of a field's name is declared by the repository: the fields a reader is
given (an order's lines), the columns a writer computes (a product's lower-cased name, an
order's total) or is given (an order line's order), the columns kept by statements of their own
(an order's refunded sum), and the columns the database keeps (`version`). Every column of the table
must be one of these or a field's, or the declaration fails at import: a column added to a
table without its field is an error, not a value silently dropped.

The generated functions are what a hand-written mapping would be (one call building the
entity, one dict or tuple out), so the hot path pays nothing for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from enum import Enum
from types import NoneType, UnionType
from typing import Any, Generic, TypeVar, get_args, get_type_hints

from sqlalchemy import Table
from sqlalchemy.engine import Row

from domain.money import Money

E = TypeVar("E")

DATABASE_KEPT = frozenset({"version"})
"""Columns no writer sets and no entity shows: the row version (bumped by a trigger)."""

WRITTEN_ONCE = frozenset({"created_at"})
"""Columns written when the row is made and never changed by saving the entity again."""


def _enum(kind: Any) -> type[Enum] | None:
    """The enum of a field typed `SomeEnum` or `SomeEnum | None`."""
    if isinstance(kind, type):
        return kind if issubclass(kind, Enum) else None
    if isinstance(kind, UnionType):
        members = [member for member in get_args(kind) if member is not NoneType]
        if len(members) == 1 and isinstance(members[0], type) and issubclass(members[0], Enum):
            return members[0]
    return None


def _value(member: Enum | None) -> Any:
    return None if member is None else member.value


def _optional(enum: type[Enum], value: Any) -> Enum | None:
    return None if value is None else enum(value)


class EntityRows(Generic[E]):
    """How `entity` is stored in `table` (see the module's docstring)."""

    def __init__(
        self,
        entity: type[E],
        table: Table,
        *,
        read_args: Iterable[str] = (),
        computed: Mapping[str, Callable[[E], Any]] | None = None,
        write_args: Iterable[str] = (),
        kept_apart: Iterable[str] = (),
    ) -> None:
        """`read_args`: names `from_row` takes as keywords (fields that are no column, or the
        currency of a table without one); `computed`: columns written from the entity by a
        function; `write_args`: columns `values` takes as keywords; `kept_apart`: columns read
        into a field but written only by statements of their own."""
        self.entity = entity
        self.table = table
        self.read_args = tuple(read_args)
        self.computed = computed = dict(computed or {})
        self.write_args = write_args = tuple(write_args)
        self.kept_apart = kept_apart = frozenset(kept_apart)
        columns = list(table.columns.keys())
        hints = get_type_hints(entity)
        names: dict[str, Any] = {
            "entity": entity,
            "Money": Money,
            "computed": computed,
            "_value": _value,
            "_optional": _optional,
        }

        reads: dict[str, tuple[str, ...]] = {}  # field -> the columns it is read from
        writes: dict[str, str] = {}  # column -> the expression of its value, of `e`
        for field in fields(entity):  # type: ignore[arg-type]
            name = field.name
            kind = hints[name]
            if name in self.read_args:
                continue
            if kind is Money:
                minor = f"{name}_minor"
                reads[name] = (minor, "currency") if "currency" in columns else (minor,)
                writes[minor] = f"e.{name}.minor"
                if "currency" in columns and "currency" not in self.read_args:
                    writes["currency"] = f"e.{name}.currency"
            elif enum := _enum(kind):
                names[enum.__name__] = enum
                reads[name] = (name,)
                writes[name] = f"e.{name}.value" if enum is kind else f"_value(e.{name})"
            else:
                reads[name] = (name,)
                writes[name] = f"e.{name}"
        for column in computed:
            writes[column] = f"computed[{column!r}](e)"
        for column in write_args:
            writes[column] = column

        for name, used in reads.items():
            if missing := [column for column in used if column not in columns]:
                raise TypeError(f"{entity.__name__}.{name}: {table.name} has no column {', '.join(missing)}")
        accounted = {c for used in reads.values() for c in used} | set(writes) | DATABASE_KEPT
        if unaccounted := [column for column in columns if column not in accounted]:
            raise TypeError(
                f"{table.name}.{', '.join(unaccounted)}: no field of {entity.__name__} and not declared"
            )
        if unknown := set(writes) - set(columns):
            raise TypeError(f"{table.name} has no column {', '.join(sorted(unknown))}")

        self.columns: tuple[str, ...] = tuple(
            column for column in columns if any(column in used for used in reads.values())
        )
        """The columns the entity is read from, in the table's order."""
        primary = {column.name for column in table.primary_key.columns}
        self.written: tuple[str, ...] = tuple(
            column for column in columns if column in writes and column not in primary | kept_apart
        )
        """The columns a whole entity is written to, in the table's order."""
        self.updated: tuple[str, ...] = tuple(column for column in self.written if column not in WRITTEN_ONCE)
        """The columns saving an entity again writes: `written` but the creation time."""

        def reader(value_of: Callable[[str], str]) -> str:
            def read(name: str) -> str:
                if hints[name] is Money:
                    used = reads[name]
                    currency = value_of(used[1]) if len(used) > 1 else "currency"
                    return f"Money({value_of(used[0])}, {currency})"
                kind = hints[name]
                if enum := _enum(kind):
                    if enum is kind:
                        return f"{enum.__name__}({value_of(name)})"
                    return f"_optional({enum.__name__}, {value_of(name)})"
                return value_of(name)

            arguments = ", ".join(
                f"{name}={name if name in self.read_args else read(name)}"
                for name in (field.name for field in fields(entity))  # type: ignore[arg-type]
                if name in reads or name in self.read_args
            )
            keywords = "".join(f", {name}" for name in self.read_args)
            return f"lambda row{keywords}: entity({arguments})"

        position = {column: i for i, column in enumerate(self.columns)}
        keywords = "".join(f", {name}" for name in write_args)
        items = ", ".join(f"{column!r}: {writes[column]}" for column in self.written)
        changes = ", ".join(f"{column!r}: {writes[column]}" for column in self.updated)
        values = "".join(f"{writes[column]}, " for column in self.written)
        # Generated from the entity's own field names and the table's column names only, and
        # called directly (no method in between): the hot path reads and writes through these.
        self.from_row: Callable[..., E] = eval(reader(lambda c: f"row[{c!r}]"), names)  # noqa: S307
        """The entity from a row read by column name (a SQLAlchemy row's `_mapping`, an asyncpg
        record, a dict); the `read_args` as keywords."""
        self.from_values: Callable[..., E] = eval(reader(lambda c: f"row[{position[c]}]"), names)  # noqa: S307
        """The entity from a row whose first values are `columns`, in that order."""
        self.values: Callable[..., dict[str, Any]] = eval(f"lambda e{keywords}: {{{items}}}", names)  # noqa: S307
        """The `written` columns' values of an entity, by name; the `write_args` as keywords."""
        self.row: Callable[..., tuple[Any, ...]] = eval(f"lambda e{keywords}: ({values})", names)  # noqa: S307
        """The same values as a tuple in `written` order."""
        self.changes: Callable[..., dict[str, Any]] = eval(f"lambda e{keywords}: {{{changes}}}", names)  # noqa: S307
        """The `updated` columns' values of an entity (for saving it again)."""

    def from_sql(self, row: Row[Any], **given: Any) -> E:
        """The entity from a SQLAlchemy row (by column name)."""
        return self.from_row(row._mapping, **given)

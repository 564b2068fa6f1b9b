"""SELECT lists derived from a read view's fields, so that no column list has to be kept in
the view's field order by hand."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec


def view_columns(view: type[msgspec.Struct], computed: Mapping[str, str], table: str = "") -> str:
    """SQL for `view`'s fields in their order: a field is the column of its name (`table.name`
    with a `table` alias), or the expression `computed` gives for it.

    A reader then builds the view positionally from each row (`View(*row)`). Every key of
    `computed` must name a field: a stale exception is an error, not a silent extra column.
    """
    names = [field.name for field in msgspec.structs.fields(view)]
    if unknown := set(computed) - set(names):
        raise ValueError(f"{view.__name__} has no field {', '.join(sorted(unknown))}")
    prefix = f"{table}." if table else ""
    return ", ".join(computed.get(name, f"{prefix}{name}") for name in names)

"""Walking the app's own OpenAPI document: its operations, parameters and money fields.

Sweeps built on it cover every route the app has, including routes added later.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "put", "post", "patch", "delete")
MONEY_TITLE = "Money"
_PLACEHOLDER = "\u0000money\u0000"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any] = field(repr=False, hash=False, compare=False)

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def parameters(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p.get("in") == where]

    def body_schemas(self) -> dict[str, Any]:
        """Content type → schema of the request body (empty when it takes none)."""
        content = self.spec.get("requestBody", {}).get("content", {})
        return {media: entry.get("schema", {}) for media, entry in content.items()}

    def concrete_path(self, **values: str) -> str:
        """The path with every parameter filled: `values` by name, else a value of its type."""

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return values[name]
            schema: dict[str, Any] = next(
                (p.get("schema", {}) for p in self.parameters("path") if p["name"] == name), {}
            )
            return "1" if _is_type(schema, "integer") else "mock"

        return re.sub(r"\{([^}]+)\}", fill, self.path)


def operations(document: dict[str, Any]) -> list[Operation]:
    return [
        Operation(method, path, spec)
        for path, item in document["paths"].items()
        for method, spec in item.items()
        if method in METHODS
    ]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _members(document: dict[str, Any], schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    schema = resolve(document, schema)
    yield schema
    for key in ("oneOf", "anyOf", "allOf"):
        for member in schema.get(key, []):
            yield from _members(document, member)


def _is_type(schema: dict[str, Any], kind: str) -> bool:
    declared = schema.get("type")
    if declared == kind or (isinstance(declared, list) and kind in declared):
        return True
    return any(_is_type(member, kind) for member in schema.get("oneOf", []) + schema.get("anyOf", []))


def is_integer(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    return any(_is_type(member, "integer") for member in _members(document, schema))


def is_money(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    return any(member.get("title") == MONEY_TITLE for member in _members(document, schema))


Step = str | int


def money_fields(
    document: dict[str, Any], schema: dict[str, Any], at: tuple[Step, ...] = ()
) -> list[tuple[Step, ...]]:
    """Where in a body the money values go: a path of property names and array positions."""
    if is_money(document, schema):
        return [at]
    found: list[tuple[Step, ...]] = []
    for member in _members(document, schema):
        for name, prop in member.get("properties", {}).items():
            found += money_fields(document, prop, (*at, name))
        if "items" in member:
            found += money_fields(document, member["items"], (*at, 0))
    return found


def body_with(at: tuple[Step, ...], raw_json: str) -> bytes:
    """A JSON body holding `raw_json` (verbatim, so `1e400` stays as written) at `at`."""
    value: Any = _PLACEHOLDER
    for step in reversed(at):
        value = [value] if isinstance(step, int) else {step: value}
    return json.dumps(value).replace(json.dumps(_PLACEHOLDER), raw_json).encode()


def field_name(at: tuple[Step, ...]) -> str:
    """The name a problem's `errors` gives the field at `at`, e.g. `items[0].amount`."""
    name = ""
    for step in at:
        name += f"[{step}]" if isinstance(step, int) else (f".{step}" if name else step)
    return name


def scalar_fields(
    document: dict[str, Any], schema: dict[str, Any], kind: str, at: tuple[Step, ...] = ()
) -> list[tuple[Step, ...]]:
    """Where in a body the values of JSON type `kind` (`integer`, `boolean`) go, money aside."""
    if is_money(document, schema):
        return []
    if any(_is_type(member, kind) for member in _members(document, schema)):
        return [at]
    found: list[tuple[Step, ...]] = []
    for member in _members(document, schema):
        for name, prop in member.get("properties", {}).items():
            found += scalar_fields(document, prop, kind, (*at, name))
        if "items" in member:
            found += scalar_fields(document, member["items"], kind, (*at, 0))
    return found

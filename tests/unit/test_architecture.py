"""The layout the import contracts and the composition root promise."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import TypeVar

import application.ports as ports
from adapters.payments.mock.gateway import CHECKOUT_PATH as LINKED_PATH
from entrypoints.http.mock_checkout import MockCheckoutController
from entrypoints.http.mock_checkout_pages import CHECKOUT_PATH

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_ROUTES = ("adapters", "sqlalchemy", "asyncpg", "redis", "aiosqlite")


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_route_module_imports_an_adapter_or_a_driver() -> None:
    offenders = {
        f"{path.name}: {module}"
        for path in (ROOT / "entrypoints" / "http").rglob("*.py")
        for module in _imported_modules(path)
        if module.split(".")[0] in FORBIDDEN_IN_ROUTES
    }
    assert offenders == set()


def test_ports_import_only_the_domain_the_standard_library_and_each_other() -> None:
    for path in (ROOT / "application" / "ports").glob("*.py"):
        for module in _imported_modules(path):
            top = module.split(".")[0]
            if top in ("application", "domain"):
                assert module.startswith(("application.ports", "domain")), f"{path.name} imports {module}"


def test_every_port_module_is_re_exported_from_the_package() -> None:
    for path in (ROOT / "application" / "ports").glob("*.py"):
        if path.stem == "__init__":
            continue
        module = importlib.import_module(f"application.ports.{path.stem}")
        public = {
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and getattr(value, "__module__", module.__name__) == module.__name__
            and (isinstance(value, type) or callable(value) or name.isupper())
            and not isinstance(value, TypeVar)
        }
        missing = public - set(ports.__all__)
        assert not missing, f"application.ports.{path.stem}: {sorted(missing)} not re-exported"
    assert all(hasattr(ports, name) for name in ports.__all__)


def test_the_mock_gateway_links_customers_to_the_checkout_route() -> None:
    assert LINKED_PATH == CHECKOUT_PATH == MockCheckoutController.path

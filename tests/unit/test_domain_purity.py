"""The domain imports nothing but the standard library (import-linter checks the same in CI)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
MODULES = sorted(DOMAIN.rglob("*.py"))


def imported_roots(source: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_domain_has_modules_to_check() -> None:
    assert len(MODULES) >= 4


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(DOMAIN)))
def test_a_domain_module_imports_only_the_standard_library(module: Path) -> None:
    foreign = {
        root
        for root in imported_roots(module.read_text(encoding="utf-8"))
        if root != "domain" and root not in sys.stdlib_module_names
    }
    assert not foreign, f"{module.name} imports {sorted(foreign)}"


def test_the_check_would_catch_a_third_party_import() -> None:
    assert imported_roots("import sqlalchemy\nfrom msgspec import Struct\nfrom domain import errors") == {
        "sqlalchemy",
        "msgspec",
        "domain",
    }

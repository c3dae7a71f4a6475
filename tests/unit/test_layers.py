"""Dependencies point inward: the domain and the invoicing use cases import no framework, database or HTTP
library (storage goes through ``store/``'s repositories, Visma through ``sync/``), and the integration use cases,
the registers and the pages know no SQL either (``store/`` is the only place that does)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fakturabro

PACKAGE_ROOT = Path(fakturabro.__file__).parent
INNER_LAYERS = ("domain", "invoicing")
FORBIDDEN = frozenset({"sqlalchemy", "fastapi", "starlette", "httpx", "dbos"})
# Packages and modules that reach the database only through ``store/`` (its repositories, ``Transaction``).
STORAGE_FREE = (
    "sync/payments",
    "sync/preflight.py",
    "sync/connection.py",
    "registers",
    "web/views",
    "observability/metrics.py",
)


def imported_modules(source: str) -> set[str]:
    """Every absolute module an ``import`` or ``from … import`` names, wherever it stands (also under
    ``if TYPE_CHECKING:`` or inside a function)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def forbidden_imports(source: str, forbidden: frozenset[str] = FORBIDDEN) -> set[str]:
    return {name for name in imported_modules(source) if name.split(".")[0] in forbidden}


def layer_modules(layer: str) -> list[Path]:
    path = PACKAGE_ROOT / layer
    return [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))


@pytest.mark.parametrize("layer", INNER_LAYERS)
def test_inner_layers_import_no_framework_database_or_http_library(layer: str) -> None:
    modules = layer_modules(layer)
    assert modules, f"no modules found under fakturabro/{layer}"
    offenders = {
        str(path.relative_to(PACKAGE_ROOT)): sorted(names)
        for path in modules
        if (names := forbidden_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_check_sees_every_form_of_import() -> None:
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
import httpx
from sqlalchemy.orm import Session
from . import sibling
from fakturabro.store.repositories import InvoiceRepository
if TYPE_CHECKING:
    from dbos import DBOS
def handler() -> None:
    import fastapi.responses
"""
    assert forbidden_imports(source) == {"httpx", "sqlalchemy.orm", "dbos", "fastapi.responses"}


@pytest.mark.parametrize("layer", STORAGE_FREE)
def test_use_cases_registers_and_pages_query_storage_only_through_the_store(layer: str) -> None:
    modules = layer_modules(layer)
    assert modules, f"no modules found under fakturabro/{layer}"
    offenders = {
        name: sorted(found)
        for path in modules
        if (name := str(path.relative_to(PACKAGE_ROOT)))
        and (found := forbidden_imports(path.read_text(encoding="utf-8"), frozenset({"sqlalchemy"})))
    }
    assert offenders == {}

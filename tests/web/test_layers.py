"""The web layer reads what the application returns (``CaseView``, ``PetitionView``, ``UserView``), never
the aggregates.

A static check: no module under ``web/`` imports the case, petition or user aggregate or the case's state
classes, so no view can receive a ``Case``, ``Petition`` or ``User`` (with its password hash) and read it
(the house plan's "one read, end to end"). The composition root (``web/services.py``) wires the applications
and may name what they store.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"
AGGREGATES = ("domain.case.aggregate", "domain.case.state", "domain.petition.aggregate", "domain.users.aggregate")
COMPOSITION_ROOT = {"services.py"}


def imported(path: Path) -> set[str]:
    """Every module (and ``module.name``) a file imports, at any depth (also inside functions)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


MODULES = sorted(p for p in WEB.rglob("*.py") if str(p.relative_to(WEB)) not in COMPOSITION_ROOT)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(WEB)))
def test_no_web_module_imports_an_aggregate(path):
    aggregates = {name for name in imported(path) if name.startswith(AGGREGATES)}
    assert not aggregates, f"web/{path.relative_to(WEB)} imports {sorted(aggregates)}: read a view instead"


def test_the_check_sees_an_aggregate_import(tmp_path):
    module = tmp_path / "view.py"
    module.write_text("def f():\n    from domain.case.aggregate import Case\n    return Case\n", encoding="utf-8")
    assert "domain.case.aggregate.Case" in imported(module)

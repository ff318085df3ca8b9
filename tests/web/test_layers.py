"""The web layer reads what the application returns (``CaseView``, ``PetitionView``, ``UserView``), never
the aggregates.

A static check: no module under ``web/`` imports the case, petition or user aggregate or the case's state
classes, so no view can receive a ``Case``, ``Petition`` or ``User`` (with its password hash) and read it
(the house plan's "one read, end to end"); nor does one read an aggregate through a service without naming
its class (``users.user(name)``, a ``repository``). The composition root (``web/services.py``) wires the
applications and may name what they store.
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


# Reads that answer an aggregate without importing its class: the users' ``user()`` and any repository.
AGGREGATE_READS = {("users", "user"), ("*", "repository")}


def aggregate_reads(path: Path) -> set[str]:
    """Each ``<x>.users.user(...)`` call and each ``.repository`` attribute in a file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", "")
        if (owner, node.attr) in AGGREGATE_READS or ("*", node.attr) in AGGREGATE_READS:
            found.add(f"{owner}.{node.attr}")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(WEB)))
def test_no_web_module_reads_an_aggregate_through_a_service(path):
    reads = aggregate_reads(path)
    assert not reads, f"web/{path.relative_to(WEB)} reads {sorted(reads)}: read a view (users.view(name)) instead"


def test_the_check_sees_a_user_aggregate_read(tmp_path):
    module = tmp_path / "view.py"
    module.write_text("def f(s):\n    return s().users.user('a').password_hash, s().cases.repository\n",
                      encoding="utf-8")
    assert aggregate_reads(module) == {"users.user", "cases.repository"}

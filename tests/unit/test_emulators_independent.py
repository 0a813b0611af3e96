"""The emulators stand for Dataverse and Octopush: they must not borrow the rules they help test."""
from __future__ import annotations

import ast
from pathlib import Path

import emulators

CORE = {"connector", "workflows", "dispatch", "functions", "smsc", "function_app"}


def imported_packages(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_emulator_module_imports_the_connector_at_any_level():
    modules = sorted(Path(emulators.__file__).parent.glob("*.py"))
    assert len(modules) > 20
    assert {m.name: sorted(imported_packages(m) & CORE) for m in modules if imported_packages(m) & CORE} == {}

"""Table and column checks on a definition that does not load, so that one validation shows every
problem: the model's errors and, beside them, the unknown table or columns it names."""
from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from workflows.issues import ValidationIssue
from workflows.schema import TableSchema


def _columns_named(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """(path, column) of every condition's `column` and of the update trigger's `columns`."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "column" and isinstance(value, str):
                yield where, value
            elif key == "columns" and isinstance(value, list):
                yield from ((f"{where}[{i}]", c) for i, c in enumerate(value) if isinstance(c, str))
            elif key not in ("send_sms", "text"):
                yield from _columns_named(value, where)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _columns_named(item, f"{path}[{i}]")


def raw_issues(data: Any, schema: TableSchema, known: list[ValidationIssue]) -> list[ValidationIssue]:
    """Issues about names the model errors in `known` did not already report."""
    if not isinstance(data, dict) or not isinstance(data.get("entity"), str):
        return []
    reported = {issue.path for issue in known}
    columns = schema.columns(data["entity"])
    if columns is None:
        return [] if "entity" in reported else [ValidationIssue("entity", f"unknown table '{data['entity']}'")]
    issues = []
    for path, name in _columns_named({k: v for k, v in data.items() if k != "entity"}, ""):
        if name not in columns and path not in reported:
            close = difflib.get_close_matches(name, list(columns), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            issues.append(ValidationIssue(path, f"unknown column '{name}' in {data['entity']}{hint}"))
    return issues

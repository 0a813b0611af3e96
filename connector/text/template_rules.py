"""What an SMS template may contain, checked on the parsed Jinja AST before compiling.

An allowlist, not a blocklist: a template may only print record fields, format them
with allowed filters and choose text with if/else. Anything else (calls, loops, macros,
includes, arithmetic, private names) is refused with its line number, so a template
can never reach beyond the data of the record it is rendered for.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from jinja2 import nodes
from jinja2.defaults import DEFAULT_NAMESPACE

ALLOWED_NODES = frozenset({
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const,
    nodes.Name, nodes.Getattr, nodes.Getitem,
    nodes.Filter, nodes.Test, nodes.Keyword,
    nodes.If, nodes.CondExpr, nodes.Compare, nodes.Operand,
    nodes.And, nodes.Or, nodes.Not, nodes.Concat,
})

# Names Jinja gives a meaning of its own: never record fields.
RESERVED_NAMES = frozenset(DEFAULT_NAMESPACE) | {"self", "loop", "caller", "varargs", "kwargs", "super"}

# How refused constructs are named in messages (by AST node class).
_REFUSED = {
    "For": "{% for %} loops", "Assign": "{% set %}", "AssignBlock": "{% set %} blocks",
    "Macro": "{% macro %}", "CallBlock": "{% call %} blocks", "Include": "{% include %}",
    "Import": "{% import %}", "FromImport": "{% from ... import %}", "Extends": "{% extends %}",
    "Block": "{% block %}", "FilterBlock": "{% filter %} blocks", "With": "{% with %}",
    "ExprStmt": "{% do %}", "Call": "calls such as x() or x.y()", "Slice": "slices",
    "List": "list literals", "Tuple": "tuple literals", "Dict": "dict literals",
    "Add": "arithmetic", "Sub": "arithmetic", "Mul": "arithmetic", "Div": "arithmetic",
    "FloorDiv": "arithmetic", "Mod": "arithmetic", "Pow": "arithmetic",
    "Neg": "arithmetic", "Pos": "arithmetic",
}


class UnsafeTemplate(ValueError):
    """A construct the allowlist refuses; the message starts with its line number."""

    def __init__(self, node: nodes.Node, message: str) -> None:
        super().__init__(f"line {node.lineno}: {message}")
        self.lineno = node.lineno


@dataclass(frozen=True)
class FieldRefs:
    """Record columns a template reads, and per lookup the columns of the related record."""

    columns: frozenset[str] = frozenset()
    lookups: dict[str, frozenset[str]] = field(default_factory=dict)


def check_template(tree: nodes.Template, filters: Collection[str], tests: Collection[str]) -> FieldRefs:
    """Raise UnsafeTemplate unless `tree` only uses allowed constructs; return its fields."""
    checker = _Checker(frozenset(filters), frozenset(tests))
    checker.check(tree)
    lookups = {name: frozenset(columns) for name, columns in checker.lookups.items()}
    return FieldRefs(frozenset(checker.columns), lookups)


def describe_field(expr: nodes.Node | None) -> str:
    """How a field expression reads in a message: `firstname`, `parentcustomerid.name`."""
    if isinstance(expr, nodes.Name):
        return expr.name
    if isinstance(expr, nodes.Getattr) and isinstance(expr.node, nodes.Name):
        return f"{expr.node.name}.{expr.attr}"
    if isinstance(expr, nodes.Getitem) and isinstance(expr.node, nodes.Name):
        return f"{expr.node.name}.{getattr(expr.arg, 'value', '?')}"
    if isinstance(expr, nodes.Filter) and expr.node is not None:
        return describe_field(expr.node)
    return "expression"


class _Checker:
    def __init__(self, filters: frozenset[str], tests: frozenset[str]) -> None:
        self.filters, self.tests = filters, tests
        self.columns: set[str] = set()
        self.lookups: dict[str, set[str]] = {}

    def check(self, node: nodes.Node) -> None:
        kind = type(node)  # exact type: a subclass of an allowed node is not allowed
        if kind not in ALLOWED_NODES:
            what = _REFUSED.get(kind.__name__, f"'{kind.__name__}' constructs")
            raise UnsafeTemplate(node, f"not allowed in SMS templates: {what}")
        special = getattr(self, f"_check_{kind.__name__.lower()}", None)
        if special is not None:
            special(node)
        else:
            self._check_children(node)

    def _check_children(self, node: nodes.Node) -> None:
        for child in node.iter_child_nodes():
            self.check(child)

    def _check_name(self, node: nodes.Name) -> None:
        self._check_identifier(node, node.name)
        if node.ctx != "load":
            raise UnsafeTemplate(node, f"assigning to '{node.name}' is not allowed")
        if node.name in RESERVED_NAMES:
            raise UnsafeTemplate(node, f"'{node.name}' is a reserved Jinja name, not a record field")
        self.columns.add(node.name)

    def _check_getattr(self, node: nodes.Getattr) -> None:
        self._check_field_of_lookup(node, node.attr)

    def _check_getitem(self, node: nodes.Getitem) -> None:
        if not (isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str)):
            raise UnsafeTemplate(node, "only lookup['field'] with a quoted field name is allowed")
        self._check_field_of_lookup(node, node.arg.value)

    def _check_field_of_lookup(self, node: nodes.Getattr | nodes.Getitem, column: str) -> None:
        self._check_identifier(node, column)
        if not isinstance(node.node, nodes.Name):
            raise UnsafeTemplate(node, f"'{column}': only lookup.field is allowed, not deeper chains")
        lookup = node.node.name
        self._check_identifier(node, lookup)
        if lookup in RESERVED_NAMES:
            raise UnsafeTemplate(node, f"'{lookup}' is a reserved Jinja name, not a record field")
        self.lookups.setdefault(lookup, set()).add(column)

    def _check_filter(self, node: nodes.Filter) -> None:
        if node.name not in self.filters:
            allowed = ", ".join(sorted(self.filters))
            raise UnsafeTemplate(node, f"unknown filter '{node.name}' (allowed: {allowed})")
        self._check_arguments(node)

    def _check_test(self, node: nodes.Test) -> None:
        if node.name not in self.tests:
            allowed = ", ".join(sorted(self.tests))
            raise UnsafeTemplate(node, f"unknown test '{node.name}' (allowed: {allowed})")
        self._check_arguments(node)

    def _check_arguments(self, node: nodes.Filter | nodes.Test) -> None:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise UnsafeTemplate(node, "*args and **kwargs are not allowed")
        self._check_children(node)

    def _check_keyword(self, node: nodes.Keyword) -> None:
        self._check_identifier(node, node.key)
        self._check_children(node)

    @staticmethod
    def _check_identifier(node: nodes.Node, name: str) -> None:
        if name.startswith("_"):
            raise UnsafeTemplate(node, f"'{name}': names starting with '_' are not allowed")

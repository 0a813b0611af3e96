"""What an SMS template may contain, checked on the parsed Jinja AST before compiling.

An allowlist, not a blocklist: a template may only print record fields, format them
with allowed filters and choose text with if/else. Anything else (calls, loops, macros,
includes, arithmetic, private names) is refused with its line number, so a template
can never reach beyond the data of the record it is rendered for.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from jinja2 import nodes
from jinja2.defaults import DEFAULT_NAMESPACE
from jinja2.lexer import operators as OPERATORS

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


# Nesting bounds: Jinja's parser and compiler recurse once or more per level, so a template of a
# few kilobytes (`{{ x|trim|trim|...` ×3000, 300 nested `{% if %}`) would exhaust the stack.
MAX_BLOCK_DEPTH = 10          # {% if %} inside {% if %}...
MAX_EXPRESSION_STEPS = 30     # filters, tests, operators and brackets in one {{ }} or {% %}
MAX_TREE_DEPTH = 60           # of the parsed template (a safety net behind the two above)

# Tokens that add a level to an expression (Jinja nests the syntax tree one deeper for each).
_NESTING_TOKENS = frozenset({"pipe", "lparen", "lbracket", "lbrace", "dot", "add", "sub", "mul", "div",
                             "floordiv", "mod", "pow", "tilde", "eq", "ne", "lt", "lteq", "gt", "gteq"})
_NESTING_NAMES = frozenset({"not", "and", "or", "if", "else", "is", "in"})
_TAG_STARTS = frozenset({"variable_begin", "block_begin"})
_TAG_ENDS = frozenset({"variable_end", "block_end"})


class UnsafeTemplate(ValueError):
    """A construct the allowlist refuses; the message starts with its line number."""

    def __init__(self, node: nodes.Node | int, message: str) -> None:
        lineno = node if isinstance(node, int) else node.lineno
        super().__init__(f"line {lineno}: {message}")
        self.lineno = lineno


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


def check_shape(tokens: Iterable[tuple[int, str, str]]) -> None:
    """Refuse, from the token stream, a template nested deeper than its parser could take."""
    blocks = steps = 0
    first_of_block = False
    for lineno, kind, value in tokens:
        if kind in _TAG_STARTS:
            steps, first_of_block = 0, kind == "block_begin"
            continue
        if kind in _TAG_ENDS or kind == "whitespace":
            continue
        if first_of_block and kind == "name":
            if value == "if":
                blocks += 1
                if blocks > MAX_BLOCK_DEPTH:
                    raise UnsafeTemplate(lineno, f"{{% if %}} nested more than {MAX_BLOCK_DEPTH} levels deep")
            elif value == "endif":
                blocks -= 1
            first_of_block = False
            continue
        first_of_block = False
        kind = OPERATORS.get(value, kind) if kind == "operator" else kind    # "|" -> "pipe"
        if kind in _NESTING_TOKENS or (kind == "name" and value in _NESTING_NAMES):
            steps += 1
            if steps > MAX_EXPRESSION_STEPS:
                raise UnsafeTemplate(lineno, f"more than {MAX_EXPRESSION_STEPS} filters or operators in one "
                                             "expression; split it")


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
        self.depth = 0
        self.columns: set[str] = set()
        self.lookups: dict[str, set[str]] = {}

    def check(self, node: nodes.Node) -> None:
        kind = type(node)  # exact type: a subclass of an allowed node is not allowed
        if kind not in ALLOWED_NODES:
            what = _REFUSED.get(kind.__name__, f"'{kind.__name__}' constructs")
            raise UnsafeTemplate(node, f"not allowed in SMS templates: {what}")
        self.depth += 1
        if self.depth > MAX_TREE_DEPTH:
            raise UnsafeTemplate(node, "the template is nested too deeply")
        special = getattr(self, f"_check_{kind.__name__.lower()}", None)
        if special is not None:
            special(node)
        else:
            self._check_children(node)
        self.depth -= 1

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

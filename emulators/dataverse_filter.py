"""`$filter` of the Dataverse emulator, compiled to an SQL condition over the JSON rows.

String comparisons are case-insensitive, like Dataverse's collation; `not` and `ne` treat null as
two-valued logic does. Also here, the OData syntax other options share: `split_top`, `utc_text`.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from .dataverse_errors import QueryError, unknown_property
from .dataverse_schema import EDM, TABLES, TEXT_TYPES, Table
from .dataverse_store import column_sql

TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<guid>[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}"
                   r"[0-9a-fA-F]{12})\b|(?P<dt>\d{4}-\d\d-\d\d(?:T[\d:.]+(?:Z|[+-]\d\d:\d\d)?)?)"
                   r"|(?P<num>-?\d+(?:\.\d+)?)[mMdDfFlL]?\b|(?P<name>[A-Za-z_][\w.]*(?:/[A-Za-z_]\w*)?)|(?P<p>[(),]))")
OPS = {"eq": ("=", "Equal"), "ne": ("<>", "NotEqual"), "gt": (">", "GreaterThan"),
       "ge": (">=", "GreaterThanOrEqual"), "lt": ("<", "LessThan"), "le": ("<=", "LessThanOrEqual")}
ACCEPTS = {"string": {"str"}, "memo": {"str"}, "guid": {"guid"}, "int": {"int"}, "choice": {"int"},
           "money": {"int", "float"}, "decimal": {"int", "float"}, "bool": {"bool"},
           "datetime": {"dt"}}
LITERAL_EDM = {"str": "Edm.String", "guid": "Edm.Guid", "int": "Edm.Int32", "float": "Edm.Decimal",
               "bool": "Edm.Boolean", "dt": "Edm.DateTimeOffset"}
KEYWORD_LITERALS = {"true": ("bool", True), "false": ("bool", False), "null": ("null", None)}


def utc_text(value: str) -> str:
    """ISO date/date-time (any offset) -> `YYYY-MM-DDTHH:MM:SSZ`, as Dataverse answers."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def split_top(text: str, sep: str) -> list[str]:
    """Split on `sep` outside parentheses and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch in "()":
            depth += 1 if ch == "(" else -1
        elif not quoted and depth == 0 and ch == sep:
            parts.append(text[start:i])
            start = i + 1
    return [p.strip() for p in parts + [text[start:]] if p.strip()]


def sql_of(table: Table, name: str) -> tuple[str, str]:
    """(SQL reading a property, its type); the primary id is the row's `id` column."""
    kind = table.property_type(name)
    if kind is None:
        raise unknown_property(table, name)
    return ("id" if name == table.primary_id else column_sql(name)), kind


def path_sql(table: Table, name: str) -> tuple[str, str]:
    """`<lookup navigation>/<column>` (`sdkmessageid/name`): the column of the row the lookup points at."""
    nav, _, prop = name.partition("/")
    if nav not in table.navs:
        raise unknown_property(table, nav)
    lookup, target = table.navs[nav]
    other = TABLES[target]
    if not re.fullmatch(r"\w+", other.entity_set):
        raise QueryError(f"'{nav}' cannot be filtered through.")
    inner, kind = sql_of(other, prop)
    inner = "r2.id" if inner == "id" else inner.replace("json_extract(data", "json_extract(r2.data")
    outer = column_sql(lookup.key).replace("json_extract(data", "json_extract(rows.data")
    return (f"(SELECT {inner} FROM rows AS r2 WHERE r2.entity_set = '{other.entity_set}' AND r2.id = {outer})",
            kind)


class FilterParser:
    """Recursive-descent $filter parser emitting an SQL condition and its parameters."""

    def __init__(self, table: Table, text: str):
        self.table, self.params, self.pos, self.toks = table, [], 0, []
        text = text.strip()
        while (m := TOKEN.match(text, self.pos)) and m.end() > self.pos:
            kind = m.lastgroup
            self.toks.append((kind, m.group(kind)))
            self.pos = m.end()
        if text[self.pos:].strip():
            raise QueryError(f"Syntax error at position {self.pos} in '{text}'.")
        self.pos = 0

    def peek(self, value: str | None = None):
        tok = self.toks[self.pos] if self.pos < len(self.toks) else (None, None)
        return tok if value is None else (tok[1] or "").lower() == value

    def take(self, value: str | None = None):
        kind, text = self.peek()
        if kind is None or (value is not None and text.lower() != value):
            found = f"'{text}'" if kind else "the end of the expression"
            raise QueryError(f"Syntax error in $filter: expected {value or 'more'}, found {found}.")
        self.pos += 1
        return kind, text

    def parse(self) -> str:
        sql = self.or_()
        if self.pos != len(self.toks):
            raise QueryError(f"Syntax error in $filter near '{self.peek()[1]}'.")
        return sql

    def chain(self, word: str, operand) -> str:
        """`operand (word operand)*`, left-associative."""
        sql = operand()
        while self.peek(word) and self.take():
            sql = f"({sql} {word.upper()} {operand()})"
        return sql

    def or_(self) -> str:
        return self.chain("or", self.and_)

    def and_(self) -> str:
        return self.chain("and", self.not_)

    def not_(self) -> str:
        if self.peek("not") and self.take():
            return f"(NOT coalesce({self.not_()}, 0))"   # two-valued logic: null compares false
        if self.peek("(") and self.take():
            sql = self.or_()
            self.take(")")
            return sql
        return self.comparison()

    def literal(self) -> tuple[str, object]:
        kind, text = self.take()
        if kind == "str":
            return "str", text[1:-1].replace("''", "'")
        if kind == "guid":
            return "guid", text.lower()
        if kind == "dt":
            return "dt", utc_text(text)
        if kind == "num":
            return ("float", float(text)) if "." in text else ("int", int(text))
        if kind == "name" and text.lower() in KEYWORD_LITERALS:
            return KEYWORD_LITERALS[text.lower()]
        raise QueryError(f"Syntax error in $filter: '{text}' is not a literal.")

    def comparison(self) -> str:
        _, name = self.take()
        if self.peek("("):
            return self.function(name.lower())
        column, kind = path_sql(self.table, name) if "/" in name else sql_of(self.table, name)
        _, spelled = self.take()
        op = spelled.lower()
        if op not in OPS:
            raise QueryError(f"Syntax error in $filter: unknown operator '{spelled}'.")
        sql_op, op_name = OPS[op]
        lit_kind, value = self.literal()
        if lit_kind == "null":
            return {"eq": f"{column} IS NULL", "ne": f"{column} IS NOT NULL"}.get(op, "0")
        if lit_kind not in ACCEPTS[kind]:
            raise QueryError("A binary operator with incompatible types was detected. Found operand "
                             f"types '{EDM[kind]}' and '{LITERAL_EDM[lit_kind]}' for operator kind "
                             f"'{op_name}'.")
        self.params.append(value)
        collate = " COLLATE NOCASE" if kind in TEXT_TYPES else ""
        if op == "ne":
            return f"({column} IS NULL OR {column} <> ?{collate})"
        return f"{column} {sql_op} ?{collate}"

    def function(self, name: str) -> str:
        if name not in ("contains", "startswith", "endswith"):
            raise QueryError(f"An unknown function with name '{name}' was found.")
        self.take("(")
        column, kind = sql_of(self.table, self.take()[1])
        self.take(",")
        lit_kind, value = self.literal()
        self.take(")")
        if kind not in TEXT_TYPES or lit_kind != "str":
            raise QueryError(f"The function '{name}' needs a string column and a string literal.")
        value = re.sub(r"([%_\\])", r"\\\1", value)
        self.params.append({"contains": f"%{value}%", "startswith": f"{value}%"}.get(name, f"%{value}"))
        return f"{column} LIKE ? ESCAPE '\\'"


def compile_filter(table: Table, text: str | None) -> tuple[str, list]:
    if not text:
        return "1", []
    parser = FilterParser(table, text)
    return parser.parse(), parser.params

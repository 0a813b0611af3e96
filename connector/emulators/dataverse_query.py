"""OData query options of the Dataverse emulator: $select, $filter, $orderby, $top, $expand, paging.

`$filter` and `$orderby` compile to SQL over the JSON rows (string comparisons case-insensitive,
like Dataverse's collation); paging is keyset-based (`$skiptoken` = the last row's sort values and
rowid), so rows updated between pages are neither skipped nor repeated.
Later: FetchXML (`?fetchXml=`, paging cookies) compiles to the same (where, order) pair here.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .dataverse_schema import EDM, TABLES, TEXT_TYPES, Table
from .dataverse_store import column_sql

MAX_PAGE = 5000
QUERY_OPTIONS = {"$select", "$filter", "$orderby", "$top", "$expand", "$count", "$skiptoken"}


class QueryError(ValueError):
    def __init__(self, message: str, status: int = 400, code: str = "0x80060888"):
        super().__init__(message)
        self.message, self.status, self.code = message, status, code


def unknown_property(table: Table, name: str) -> QueryError:
    return QueryError(f"Could not find a property named '{name}' on type '{table.type_name}'.")


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
    kind = table.property_type(name)
    if kind is None:
        raise unknown_property(table, name)
    return ("id" if name == table.primary_id else column_sql(name)), kind


TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<guid>[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}"
                   r"[0-9a-fA-F]{12})\b|(?P<dt>\d{4}-\d\d-\d\d(?:T[\d:.]+(?:Z|[+-]\d\d:\d\d)?)?)"
                   r"|(?P<num>-?\d+(?:\.\d+)?)[mMdDfFlL]?\b|(?P<name>[A-Za-z_][\w.]*)|(?P<p>[(),]))")
OPS = {"eq": ("=", "Equal"), "ne": ("<>", "NotEqual"), "gt": (">", "GreaterThan"),
       "ge": (">=", "GreaterThanOrEqual"), "lt": ("<", "LessThan"), "le": ("<=", "LessThanOrEqual")}
ACCEPTS = {"string": {"str"}, "memo": {"str"}, "guid": {"guid"}, "int": {"int"}, "choice": {"int"},
           "money": {"int", "float"}, "decimal": {"int", "float"}, "bool": {"bool"},
           "datetime": {"dt"}}
LITERAL_EDM = {"str": "Edm.String", "guid": "Edm.Guid", "int": "Edm.Int32", "float": "Edm.Decimal",
               "bool": "Edm.Boolean", "dt": "Edm.DateTimeOffset"}


class _Filter:
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

    def or_(self) -> str:
        sql = self.and_()
        while self.peek("or") and self.take():
            sql = f"({sql} OR {self.and_()})"
        return sql

    def and_(self) -> str:
        sql = self.not_()
        while self.peek("and") and self.take():
            sql = f"({sql} AND {self.not_()})"
        return sql

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
        if kind == "name" and text.lower() in ("true", "false", "null"):
            return {"true": ("bool", True), "false": ("bool", False), "null": ("null", None)}[text.lower()]
        raise QueryError(f"Syntax error in $filter: '{text}' is not a literal.")

    def comparison(self) -> str:
        _, name = self.take()
        if self.peek("("):
            return self.function(name.lower())
        column, kind = sql_of(self.table, name)
        _, op = self.take()
        if op.lower() not in OPS:
            raise QueryError(f"Syntax error in $filter: unknown operator '{op}'.")
        sql_op, op_name = OPS[op.lower()]
        lit_kind, value = self.literal()
        if lit_kind == "null":
            return {"eq": f"{column} IS NULL", "ne": f"{column} IS NOT NULL"}.get(op.lower(), "0")
        if lit_kind not in ACCEPTS[kind]:
            raise QueryError("A binary operator with incompatible types was detected. Found operand "
                             f"types '{EDM[kind]}' and '{LITERAL_EDM[lit_kind]}' for operator kind "
                             f"'{op_name}'.")
        self.params.append(value)
        collate = " COLLATE NOCASE" if kind in TEXT_TYPES else ""
        if op.lower() == "ne":
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
    parser = _Filter(table, text)
    return parser.parse(), parser.params


def parse_select(table: Table, text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        sql_of(table, name)
    return names


def parse_orderby(table: Table, text: str | None) -> list[tuple[str, str, bool]]:
    """[(sql expression, type, descending)]"""
    keys = []
    for part in split_top(text or "", ","):
        name, _, direction = part.partition(" ")
        if direction.strip().lower() not in ("", "asc", "desc"):
            raise QueryError(f"Syntax error in $orderby near '{part}'.")
        keys.append((*sql_of(table, name), direction.strip().lower() == "desc"))
    return keys


@dataclass
class Expand:
    nav: str
    table: Table
    lookup_key: str | None          # single-valued: `_x_value` on the parent
    target: str | None              # the lookup target this navigation stands for
    child_key: str | None           # collection: the child's lookup back to the parent
    query: "Query"


@dataclass
class Query:
    select: list[str] | None = None
    where: str = "1"
    params: list = field(default_factory=list)
    orderby: list = field(default_factory=list)
    top: int | None = None
    expand: list[Expand] = field(default_factory=list)
    count: bool = False
    skiptoken: str | None = None


def parse_expand(table: Table, text: str | None) -> list[Expand]:
    out = []
    for item in split_top(text or "", ","):
        nav, _, inner = item.partition("(")
        nav = nav.strip()
        options = dict(o.split("=", 1) for o in split_top(inner.rstrip()[:-1], ";")) if inner else {}
        if nav in table.navs:
            lookup, target = table.navs[nav]
            child = TABLES[target]
            if set(options) - {"$select"}:
                raise QueryError(f"Only $select is supported inside the single-valued '{nav}'.")
            out.append(Expand(nav, child, lookup.key, target, None, parse_query(child, options)))
        elif nav in table.collections:
            rel = table.collections[nav]
            child = TABLES[rel.child]
            out.append(Expand(nav, child, None, None, child.lookups[rel.child_lookup].key,
                              parse_query(child, options)))
        else:
            raise unknown_property(table, nav)
    return out


def parse_query(table: Table, args: dict[str, str]) -> Query:
    for name in args:
        if name == "$skip":
            raise QueryError("The query parameter $skip is not supported.")
        if name not in QUERY_OPTIONS:
            raise QueryError(f"The query parameter {name} is not supported by the emulator.",
                             501 if name in ("fetchXml", "savedQuery", "userQuery") else 400)
    top = args.get("$top")
    if top is not None and not top.isdigit():
        raise QueryError(f"Invalid value '{top}' for $top query option found.")
    where, params = compile_filter(table, args.get("$filter"))
    return Query(parse_select(table, args.get("$select")), where, params,
                 parse_orderby(table, args.get("$orderby")), int(top) if top else None,
                 parse_expand(table, args.get("$expand")), args.get("$count") == "true",
                 args.get("$skiptoken"))


def order_clause(keys, tiebreak: str = "rowid") -> tuple[str, str]:
    """(ORDER BY text, extra select list) with rowid as the final tiebreaker."""
    parts = [f"{sql}{' COLLATE NOCASE' if kind in TEXT_TYPES else ''} {'DESC' if desc else 'ASC'}"
             for sql, kind, desc in keys]
    return ", ".join(parts + [f"{tiebreak} ASC"]), ", ".join(sql for sql, _, _ in keys)


def encode_token(values: list, rowid: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([*values, rowid]).encode()).decode().rstrip("=")


def keyset(keys, token: str) -> tuple[str, list]:
    """SQL condition selecting the rows after the ones the token's page ended with."""
    try:
        *values, rowid = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        assert len(values) == len(keys)
    except Exception:
        raise QueryError("The $skiptoken is not valid for this query.") from None
    terms, prefix, params, prefix_params = [], [], [], []
    for (sql, kind, desc), value in zip(keys, values):
        collate = " COLLATE NOCASE" if kind in TEXT_TYPES else ""
        if value is None:
            after, after_params = ("0", []) if desc else (f"{sql} IS NOT NULL", [])
            equal, equal_params = f"{sql} IS NULL", []
        else:
            after = f"({sql} < ?{collate} OR {sql} IS NULL)" if desc else f"{sql} > ?{collate}"
            after_params, equal, equal_params = [value], f"{sql} = ?{collate}", [value]
        terms.append(" AND ".join(prefix + [after]))
        params += prefix_params + after_params
        prefix, prefix_params = prefix + [equal], prefix_params + equal_params
    terms.append(" AND ".join(prefix + ["rowid > ?"]))
    return "(" + " OR ".join(f"({t})" for t in terms) + ")", params + prefix_params + [rowid]


FORMATTED = "OData.Community.Display.V1.FormattedValue"
LOGICAL_NAME = "Microsoft.Dynamics.CRM.lookuplogicalname"
NAVIGATION = "Microsoft.Dynamics.CRM.associatednavigationproperty"


class Reader:
    """Runs a `Query` on the store and shapes rows as the Web API answers them."""

    def __init__(self, store, annotate=lambda term: False):
        self.store, self.annotate = store, annotate

    def page(self, table: Table, q: Query, page_size: int = MAX_PAGE, where: str = "1",
             params: list = ()) -> tuple[list[tuple[int, dict]], str | None]:
        """One page: `[(version, data)]` and the `$skiptoken` of the next page (None = last)."""
        where, params = f"({where}) AND ({q.where})", [*params, *q.params]
        order, extra = order_clause(q.orderby)
        if q.skiptoken:
            condition, more = keyset(q.orderby, q.skiptoken)
            where, params = f"{where} AND {condition}", params + more
        limit = min(q.top, MAX_PAGE) if q.top is not None else page_size + 1
        rows = self.store.select(table.entity_set, where, params, order, extra, limit)
        token = None
        if q.top is None and len(rows) > page_size:
            rows = rows[:page_size]
            token = encode_token(list(rows[-1][4:]), rows[-1][0])
        return [(r[2], r[3]) for r in rows], token

    def shape(self, table: Table, rows: list[tuple[int, dict]], q: Query) -> list[dict]:
        names = q.select or [table.primary_id, *table.columns,
                             *(lk.key for lk in table.lookups.values())]
        items = []
        for version, data in rows:
            item = {"@odata.etag": f'W/"{version}"', table.primary_id: data.get(table.primary_id)}
            for name in names:
                item[name] = version if name == "versionnumber" else data.get(name)
            items.append(item)
        self._annotate(table, items, rows, names)
        for expand in q.expand:
            self._expand(table, expand, rows, items)
        return items

    def primary_names(self, refs) -> dict[tuple[str, str], str]:
        by_table: dict[str, set] = {}
        for target, row_id in refs:
            if target and row_id and TABLES[target].primary_name:
                by_table.setdefault(target, set()).add(row_id)
        return {(target, row_id): data.get(TABLES[target].primary_name)
                for target, ids in by_table.items()
                for row_id, (_, data) in self.store.get_many(TABLES[target].entity_set, ids).items()}

    def _annotate(self, table, items, rows, names) -> None:
        formatted, logical, navigation = map(self.annotate, (FORMATTED, LOGICAL_NAME, NAVIGATION))
        if not (formatted or logical or navigation):
            return
        lookups = [lk for lk in table.lookups.values() if lk.key in names]
        labels = self.primary_names((d.get("@lk." + lk.key), d.get(lk.key))
                                    for lk in lookups for _, d in rows) if formatted else {}
        for item, (_, data) in zip(items, rows):
            for lk in lookups:
                target, value = data.get("@lk." + lk.key), data.get(lk.key)
                if value is None or target is None:
                    continue
                if labels.get((target, value)) is not None:
                    item[f"{lk.key}@{FORMATTED}"] = labels[(target, value)]
                if logical:
                    item[f"{lk.key}@{LOGICAL_NAME}"] = target
                if navigation:
                    item[f"{lk.key}@{NAVIGATION}"] = lk.targets[target]
            for name in names if formatted else ():
                value = item.get(name)
                if value is not None and name in table.choices and value in table.choices[name]:
                    item[f"{name}@{FORMATTED}"] = table.choices[name][value]
                elif value is not None and table.columns.get(name) == "bool":
                    item[f"{name}@{FORMATTED}"] = "Yes" if value else "No"

    def _expand(self, table: Table, expand: Expand, rows, items) -> None:
        if expand.lookup_key:       # single-valued: the row the lookup points at, or null
            wanted = [d.get(expand.lookup_key) if d.get("@lk." + expand.lookup_key) == expand.target
                      else None for _, d in rows]
            found = self.store.get_many(expand.table.entity_set, [i for i in wanted if i])
            shaped = dict(zip(found, self.shape(expand.table, list(found.values()), expand.query)))
            for item, row_id in zip(items, wanted):
                item[expand.nav] = shaped.get(row_id)
            return
        parent_ids = [d.get(table.primary_id) for _, d in rows]
        children: dict[str, list] = {i: [] for i in parent_ids}
        column = column_sql(expand.child_key)
        order, _ = order_clause(expand.query.orderby, "+rowid")   # '+': let SQLite use the lookup index
        for start in range(0, len(parent_ids), 500):
            chunk = parent_ids[start:start + 500]
            where = f"{column} IN ({','.join('?' * len(chunk))}) AND ({expand.query.where})"
            for _, _, version, data in self.store.select(expand.table.entity_set, where,
                                                         [*chunk, *expand.query.params], order):
                children[data[expand.child_key]].append((version, data))
        for item, parent in zip(items, parent_ids):
            kept = children[parent][:expand.query.top] if expand.query.top is not None else children[parent]
            item[expand.nav] = self.shape(expand.table, kept, expand.query)

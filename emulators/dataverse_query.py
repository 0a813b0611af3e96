"""OData query options of the Dataverse emulator: $select, $orderby, $top, $expand, $count, paging.

`$filter` compiles in dataverse_filter; paging is keyset-based (`$skiptoken` = the last row's sort
values and rowid), so rows updated between pages are neither skipped nor repeated.
FetchXML (dataverse_fetch*) shares the keyset condition, `keyset_after`.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from .dataverse_errors import QueryError, unknown_property
from .dataverse_filter import compile_filter, split_top, sql_of
from .dataverse_schema import TABLES, TEXT_TYPES, Collection, Table

MAX_PAGE = 5000
QUERY_OPTIONS = {"$select", "$filter", "$orderby", "$top", "$expand", "$count", "$skiptoken"}


def child_key(rel: Collection) -> str:
    """The `_x_value` column through which a collection's child rows point at their parent."""
    return f"_{rel.child_lookup}_value"


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
            out.append(Expand(nav, child, None, None, child_key(rel), parse_query(child, options)))
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


def decode_token(token: str, key_count: int) -> tuple[list, int]:
    try:
        *values, rowid = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        assert len(values) == key_count
    except Exception:
        raise QueryError("The $skiptoken is not valid for this query.") from None
    return values, rowid


def keyset(keys, token: str) -> tuple[str, list]:
    """SQL condition selecting the rows after the ones the token's page ended with."""
    values, rowid = decode_token(token, len(keys))
    return keyset_after(keys, values, "rowid", rowid)


def keyset_after(keys, values: list, tiebreak: str, last) -> tuple[str, list]:
    """Rows sorting after `values` (one per `(sql, kind, desc)` key), then after `last` on `tiebreak`."""
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
    terms.append(" AND ".join(prefix + [f"{tiebreak} > ?"]))
    return "(" + " OR ".join(f"({t})" for t in terms) + ")", params + prefix_params + [last]

"""Aggregate FetchXML of the Dataverse emulator (`<fetch aggregate="true">`), compiled to one SQL
GROUP BY over the store (docs: "Aggregate data using FetchXml").

Each `<attribute>` of the entity carries an `alias` and either `aggregate` (count = rows,
countcolumn = rows with data, `distinct="true"` for unique values; sum, avg, min, max of the values
with data) or `groupby="true"`. `<order alias>` sorts the groups. Filters and inner/outer
link-entities restrict the rows as in any fetch (a link's own attributes are not aggregated here).
The answer is one row per group, each value under its alias (`{"count": 3, "status": 6}`), nulls
omitted, a grouped choice with its formatted label when asked, a grouped lookup with the name of
the row it points at and its table (`{"owner": "<id>", "owner@…FormattedValue": "Claire Martin",
"owner@…lookuplogicalname": "systemuser"}`); `count`/`page` page the groups (no paging cookie, as
Dataverse gives none for aggregates). More than 50,000 rows to aggregate (or the fetch's lower
`aggregatelimit`) is Dataverse's AggregateQueryRecordLimit error.

`dategrouping` on a grouped date column: `day` (of the month), `week` (of the year: weeks start on
Sunday and week 1 holds 1 January, as SQL Server's DATEPART(week) — the docs' example gives week 35
for 27 August 2023), `month`, `quarter`, `year`, each a whole number, of the date in the calling
user's time zone (their `usersettings.timezonecode`, its Windows name mapped to an IANA zone; UTC when
they have none), or in UTC with `usertimezone="false"` — as Dataverse does (docs: FetchXML attribute
element, `usertimezone`). The fiscal periods answer 501.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from tzlocal.windows_tz import win_tz
from werkzeug.wrappers import Response

from .dataverse_errors import QueryError
from .dataverse_fetch import NOT_EMULATED, Fetch, is_true, number
from .dataverse_fetch_filter import INVALID_ARGUMENT
from .dataverse_http import Call, reply
from .dataverse_read import FORMATTED, LOGICAL_NAME
from .dataverse_store import Store, column_sql

AGGREGATE_LIMIT = 50_000
LIMIT_EXCEEDED = "0x8004E023"
FUNCTIONS = {"count", "countcolumn", "sum", "avg", "min", "max"}
NUMERIC = {"int", "decimal", "money", "float", "double", "bigint"}
CRM = "Microsoft.Dynamics.CRM."


@dataclass(frozen=True)
class Output:
    alias: str
    sql: str              # the SELECT expression
    kind: str             # the column's type
    attr: str
    function: str | None  # None: a group
    target: str | None = None   # a grouped lookup: SQL reading the table it points at


DATE_PARTS = {
    "day": "CAST(strftime('%d', {c}) AS INTEGER)",
    "month": "CAST(strftime('%m', {c}) AS INTEGER)",
    "quarter": "((CAST(strftime('%m', {c}) AS INTEGER) - 1) / 3 + 1)",
    "year": "CAST(strftime('%Y', {c}) AS INTEGER)",
    # Days since 1 January plus the weekday of 1 January (Sunday 0), in whole weeks, counted from 1.
    "week": "((CAST(strftime('%j', {c}) AS INTEGER) - 1 + "
            "CAST(strftime('%w', strftime('%Y', {c}) || '-01-01') AS INTEGER)) / 7 + 1)",
}
FISCAL = {"fiscal-period", "fiscal-year"}


def user_zone(store: Store, user_id: str) -> str:
    """The IANA zone of the user's personal options (`usersettings.timezonecode`), UTC without one."""
    settings = store.get("usersettingscollection", user_id)
    code = settings[1].get("timezonecode") if settings else None
    found = store.find("timezonedefinitions", "timezonecode", [code]) if code is not None else []
    return (win_tz.get(found[0][2].get("standardname") or "") if found else None) or "UTC"


def date_part(element: ET.Element, attr: str | None, column: str, kind: str, zone: str) -> str:
    """The SQL of a `dategrouping` group: the part of the date in `zone` (the caller's), or in UTC with
    usertimezone="false"."""
    part = (element.get("dategrouping") or "").lower()
    if part in FISCAL:
        raise QueryError(f"dategrouping '{part}' is not emulated (no fiscal year settings).",
                         NOT_EMULATED, INVALID_ARGUMENT)
    if part not in DATE_PARTS:
        raise QueryError(f"'{part}' is not a dategrouping ({', '.join([*DATE_PARTS, *sorted(FISCAL)])}).",
                         400, INVALID_ARGUMENT)
    if kind != "datetime":
        raise QueryError(f"The attribute '{attr}' ({kind}) cannot be grouped by date.", 400, INVALID_ARGUMENT)
    if element.get("usertimezone", "true").lower() not in ("false", "0") and zone != "UTC":
        column = f"local_time({column}, '{zone.replace(chr(39), '')}')"    # an IANA name (a fixed catalogue)
    return DATE_PARTS[part].format(c=column)


def outputs(entity: ET.Element, fetch: Fetch, zone: str = "UTC") -> list[Output]:
    found: list[Output] = []
    for element in entity.findall("attribute"):
        attr, alias, function = element.get("name"), element.get("alias"), element.get("aggregate")
        grouped = is_true(element, "groupby")
        if not alias:
            raise QueryError(f"The attribute '{attr}' of an aggregate query needs an alias.", 400, INVALID_ARGUMENT)
        if alias in (o.alias for o in found):
            raise QueryError(f"The alias '{alias}' is used twice.", 400, INVALID_ARGUMENT)
        column, kind = fetch.root.column(attr)
        if grouped == bool(function):
            raise QueryError(f"The attribute '{attr}' of an aggregate query must have either an aggregate "
                             "function or groupby='true'.", 400, INVALID_ARGUMENT)
        if element.get("dategrouping") is not None and not grouped:
            raise QueryError(f"dategrouping on '{attr}' needs groupby='true'.", 400, INVALID_ARGUMENT)
        if grouped and element.get("dategrouping") is not None:
            found.append(Output(alias, date_part(element, attr, column, kind, zone), "int", attr, None))
            continue
        if grouped:
            target = (column_sql(f"@lk._{attr}_value").replace("(data,", f"({fetch.root.sql}.data,", 1)
                      if attr in fetch.root.table.lookups else None)
            found.append(Output(alias, column, kind, attr, None, target))
            continue
        function = function.lower()
        if function not in FUNCTIONS:
            raise QueryError(f"'{function}' is not an aggregate function ({', '.join(sorted(FUNCTIONS))}).",
                             400, INVALID_ARGUMENT)
        distinct = is_true(element, "distinct")
        if distinct and function != "countcolumn":
            raise QueryError("distinct is emulated for countcolumn only.", NOT_EMULATED, INVALID_ARGUMENT)
        if function in ("sum", "avg", "min", "max") and kind not in NUMERIC | ({"datetime"} if function in (
                "min", "max") else set()):
            raise QueryError(f"The attribute '{attr}' ({kind}) cannot be aggregated with {function}.",
                             400, INVALID_ARGUMENT)
        found.append(Output(alias, sql_of(function, column, distinct), kind, attr, function))
    if not any(o.function for o in found):
        raise QueryError("An aggregate query needs at least one attribute with an aggregate function.",
                         400, INVALID_ARGUMENT)
    return found


def sql_of(function: str, column: str, distinct: bool) -> str:
    if function == "count":
        return "count(*)"
    if function == "countcolumn":
        return f"count({'DISTINCT ' if distinct else ''}{column})"
    if function == "sum":
        return f"coalesce(sum({column}), 0)"        # the docs' example: a group without values sums to 0
    return f"{function}({column})"


def orders(entity: ET.Element, found: list[Output]) -> list[str]:
    by_alias = {o.alias: o for o in found}
    clauses = []
    for order in entity.findall("order"):
        alias = order.get("alias")
        if alias not in by_alias:
            raise QueryError("An aggregate query orders by the alias of one of its attributes "
                             f"(<order alias='…'/>), not '{alias or order.get('attribute')}'.", 400, INVALID_ARGUMENT)
        clauses.append(f"\"{alias}\" {'DESC' if is_true(order, 'descending') else 'ASC'} NULLS FIRST")
    return clauses


def aggregate_response(call: Call, fetch: Fetch) -> Response:
    root = fetch.aggregate
    entity = root.find("entity") if root is not None else None
    assert root is not None and entity is not None
    zone = user_zone(call.reader.store, call.caller)
    found = outputs(entity, fetch, zone)
    limit = min(number(root, "aggregatelimit", AGGREGATE_LIMIT) or AGGREGATE_LIMIT, AGGREGATE_LIMIT)
    source = (f"FROM rows r {' '.join(fetch.joins)} WHERE r.entity_set = ? AND ({fetch.where})")
    params = [*fetch.join_params, fetch.root.table.entity_set, *fetch.params]
    [(rows,)] = call.reader.store.query(f"SELECT count(*) FROM (SELECT 1 {source} LIMIT {limit + 1})", params)
    if rows > limit:
        raise QueryError("AggregateQueryRecordLimit exceeded. Cannot perform this operation.", 400, LIMIT_EXCEEDED)
    groups = [o.sql for o in found if o.function is None]
    order = orders(entity, found) or [f"{g} NULLS FIRST" for g in groups] or ["1"]
    size = fetch.top if fetch.top is not None else fetch.count
    offset = 0 if fetch.top is not None else (fetch.page - 1) * fetch.count
    targets = [f"max({o.target})" for o in found if o.target]      # one table per lookup value
    select = ", ".join([*(f"{o.sql} AS \"{o.alias}\"" for o in found), *targets])
    sql = (f"SELECT {select} {source}{' GROUP BY ' + ', '.join(groups) if groups else ''} "
           f"ORDER BY {', '.join(order)} LIMIT {int(size) + 1} OFFSET {int(offset)}")
    answer = call.reader.store.query(sql, params)
    more = fetch.top is None and len(answer) > size
    body: dict = {"@odata.context": f"{call.base}$metadata#{fetch.root.table.entity_set}"}
    if more and call.reader.annotate(CRM + "morerecords"):
        body[f"@{CRM}morerecords"] = True
    rows = answer[:size]
    lookups = [(found.index(o), len(found) + n) for n, o in enumerate(o for o in found if o.target)]
    names = call.reader.primary_names((row[t], row[v]) for row in rows for v, t in lookups) \
        if lookups and call.reader.annotate(FORMATTED) else {}
    body["value"] = [shape(call, fetch, found, row, names) for row in rows]
    return reply(body, 200, call.headers())


def shape(call: Call, fetch: Fetch, found: list[Output], row: tuple, names: dict) -> dict:
    """One group: each value under its alias, nulls omitted (as every FetchXML row); a grouped lookup
    with its row's name and table."""
    table, formatted = fetch.root.table, call.reader.annotate(FORMATTED)
    logical = call.reader.annotate(LOGICAL_NAME)
    targets = iter(row[len(found):])
    item: dict = {}
    for output, value in zip(found, row):
        target = next(targets) if output.target else None
        if value is not None and target is not None:
            if formatted and names.get((target, value)) is not None:
                item[f"{output.alias}@{FORMATTED}"] = names[(target, value)]
            if logical:
                item[f"{output.alias}@{LOGICAL_NAME}"] = target
        if value is None:
            continue
        if output.kind == "bool":
            value = bool(value)
        elif output.function == "avg" and output.kind == "int":
            value = int(value)                       # an average of whole numbers is whole, as Dataverse's
        item[output.alias] = value
        labels = table.choices.get(output.attr) if output.function is None else None
        if formatted and labels and value in labels:
            item[f"{output.alias}@{FORMATTED}"] = labels[value]
    return item

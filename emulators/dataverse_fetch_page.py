"""One page of a FetchXML query (`GET <set>?fetchXml=`), paged as Dataverse pages it.

With `Prefer: odata.include-annotations` naming them (or `*`), a page followed by more rows carries
`@Microsoft.Dynamics.CRM.morerecords: true` and `@Microsoft.Dynamics.CRM.fetchxmlpagingcookie`:
`<cookie pagenumber="2" pagingcookie="%253ccookie%2520page%253d%25221%2522%253e…" istracking="False" />`,
the inner `<cookie page="1"><fullname last="…" first="…" /><contactid last="{GUID}" first="{GUID}" />
</cookie>` (each order attribute, then the primary key) URL-encoded twice. Both are absent on the last
page. A request whose `paging-cookie` is the previous page's (`page` = its page + 1) continues after
its `last` values (keyset, like the $skiptoken paging); otherwise `page` alone is simple paging
(offset). Null columns are omitted from the rows.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from .dataverse_errors import QueryError
from .dataverse_fetch import Fetch, Source, parse_fetch
from .dataverse_fetch_aggregate import aggregate_response
from .dataverse_fetch_filter import literal
from .dataverse_http import Call, reply
from .dataverse_query import Query, keyset_after, order_clause
from .dataverse_schema import Table

CRM = "Microsoft.Dynamics.CRM."
ATTRIBUTE_NAME = "OData.Community.Display.V1.AttributeName"
TOTAL_LIMIT = 5000


def fetch_response(call: Call, table: Table) -> Response:
    others = sorted(set(call.args) - {"fetchXml", "$count"})    # the docs' own example adds $count
    if others:
        raise QueryError(f"The query parameter {others[0]} cannot be combined with fetchXml.")
    fetch = parse_fetch(call.args["fetchXml"], table)
    if fetch.aggregate is not None:
        return aggregate_response(call, fetch)
    condition, params, offset = paging(fetch)
    limit = fetch.top if fetch.top is not None else fetch.count + 1
    rows = run(call, fetch, condition, params, limit, offset)
    more = fetch.top is None and len(rows) > fetch.count
    rows = rows[:fetch.count] if fetch.top is None else rows
    body = {"@odata.context": context(call, fetch)}
    if fetch.total and call.reader.annotate(CRM + "totalrecordcount"):
        total = len(run(call, fetch, "1", [], TOTAL_LIMIT + 1, 0))
        body[f"@{CRM}totalrecordcount"] = min(total, TOTAL_LIMIT)
        body[f"@{CRM}totalrecordcountlimitexceeded"] = total > TOTAL_LIMIT
    if more and fetch.cookie_ok and not fetch.distinct and call.reader.annotate(CRM + "fetchxmlpagingcookie"):
        body[f"@{CRM}fetchxmlpagingcookie"] = cookie_annotation(fetch, rows)
    if more and call.reader.annotate(CRM + "morerecords"):
        body[f"@{CRM}morerecords"] = True
    body["value"] = shape(call, fetch, rows)
    return reply(body, 200, call.headers())


def keys(fetch: Fetch) -> list[tuple[str, str, bool]]:
    return [(sql, kind, desc) for sql, kind, desc, _ in fetch.orders]


def paging(fetch: Fetch) -> tuple[str, list, int]:
    """(keyset condition, its parameters, offset): the cookie when it fits this page, else `page`."""
    cookie = read_cookie(fetch.cookie) if fetch.cookie and fetch.cookie_ok and not fetch.distinct else None
    if cookie is None or fetch.top is not None or cookie[0] != fetch.page - 1:
        return "1", [], 0 if fetch.top is not None else (fetch.page - 1) * fetch.count
    values, table = cookie[1], fetch.root.table
    wanted = [attr for *_, attr in fetch.orders] + [table.primary_id]
    if any(name not in values for name in wanted):
        return "1", [], (fetch.page - 1) * fetch.count
    last = [None if values[a] is None else literal(kind, values[a], table.logical, a)
            for _, kind, _, a in fetch.orders]
    condition, params = keyset_after(keys(fetch), last, "r.id",
                                     literal("guid", values[table.primary_id], table.logical, "id"))
    return condition, params, 0


def read_cookie(text: str) -> tuple[int, dict[str, str | None]] | None:
    """`<cookie page="1"><attr last="…" first="…" />…</cookie>` -> (page, {attr: last value})."""
    try:
        root = ET.fromstring(text) if "<!" not in text else None
        page = int(root.get("page", "")) if root is not None and root.tag == "cookie" else None
    except (ET.ParseError, ValueError):
        return None
    if page is None:
        return None
    return page, {e.tag: None if e.get("lastnull") == "1" else e.get("last") for e in root}


def run(call: Call, fetch: Fetch, condition: str, params: list, limit: int, offset: int) -> list[tuple]:
    columns = ["r.rowid", "r.id", "r.version", "r.data"] + [f"{s.sql}.version, {s.sql}.data"
                                                            for s in fetch.links]
    order, _ = order_clause(keys(fetch), "r.id")
    group = ""
    if fetch.distinct:
        columns.append("min(r.rowid)")
        outputs = [s.column(a)[0] for s in [fetch.root, *fetch.links] for a in (s.attributes or [])]
        group = f" GROUP BY {', '.join(outputs or ['r.id'])}"
        if any(s.attributes is None for s in [fetch.root, *fetch.links]):
            group = " GROUP BY r.id" + "".join(f", {s.sql}.id" for s in fetch.links)
    sql = (f"SELECT {', '.join(columns)} FROM rows r {' '.join(fetch.joins)} WHERE r.entity_set = ? "
           f"AND ({fetch.where}) AND ({condition}){group} ORDER BY {order} LIMIT {int(limit)} "
           f"OFFSET {int(offset)}")
    return call.reader.store.query(sql, [*fetch.join_params, fetch.root.table.entity_set,
                                         *fetch.params, *params])


def cookie_value(kind: str, value) -> str:
    if kind == "guid":
        return "{" + str(value).upper() + "}"
    if kind == "bool":
        return "1" if value else "0"
    return str(value)


def cookie_annotation(fetch: Fetch, rows: list[tuple]) -> str:
    """The `fetchxmlpagingcookie` annotation after this page of rows."""
    table, first, last = fetch.root.table, json.loads(rows[0][3]), json.loads(rows[-1][3])
    parts = []
    for _, kind, _, attr in fetch.orders + [(None, "guid", False, table.primary_id)]:
        key = f"_{attr}_value" if attr in table.lookups else attr
        ends = [(end, row.get(key)) for end, row in (("last", last), ("first", first))]
        parts.append(f"<{attr} " + " ".join(f'{end}null="1"' if v is None else
                                             f'{end}={quote_attr(cookie_value(kind, v))}'
                                             for end, v in ends) + " />")
    inner = f'<cookie page="{fetch.page}">{"".join(parts)}</cookie>'
    once = re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), quote(inner, safe=""))
    return (f'<cookie pagenumber="{fetch.page + 1}" pagingcookie="{quote(once, safe="")}" '
            'istracking="False" />')


def quote_attr(value: str) -> str:
    return '"' + escape(value, {'"': "&quot;"}) + '"'


def context(call: Call, fetch: Fetch) -> str:
    names = fetch.root.read_names()
    if names is None:
        return f"{call.base}$metadata#{fetch.root.table.entity_set}"
    columns = list(dict.fromkeys([*names, fetch.root.table.primary_id]))
    return f"{call.base}$metadata#{fetch.root.table.entity_set}({','.join(columns)})"


def shape(call: Call, fetch: Fetch, rows: list[tuple]) -> list[dict]:
    """Rows as the Web API answers FetchXML: nulls omitted, link columns as `alias.column`."""
    root = fetch.root
    names = root.read_names()
    items = call.reader.shape(root.table, [(r[2], json.loads(r[3])) for r in rows],
                              Query(select=names if names is None else names or [root.table.primary_id]))
    out = []
    for row, item in zip(rows, items):
        item = {k: v for k, v in item.items() if v is not None}
        if fetch.distinct and root.table.primary_id not in (root.attributes or [root.table.primary_id]):
            item.pop(root.table.primary_id, None)
        for n, source in enumerate(fetch.links):
            version, data = row[4 + 2 * n], row[5 + 2 * n]
            if data is not None and source.attributes != []:
                item.update(aliased(call, source, version, json.loads(data)))
        out.append(item)
    return out


def aliased(call: Call, source: Source, version: int, data: dict) -> dict:
    """One linked row's columns, named `alias.column` (lookups by their logical name)."""
    shaped = call.reader.shape(source.table, [(version, data)], Query(select=source.read_names()))[0]
    wanted = source.attributes
    out = {}
    for key, value in shaped.items():
        base, at, annotation = key.partition("@")
        name = base[1:-6] if base.startswith("_") and base.endswith("_value") else base
        if value is None or key == "@odata.etag" or wanted is not None and name not in wanted:
            continue
        out[f"{source.name}.{name}{at}{annotation}"] = value
        if not at and call.reader.annotate(ATTRIBUTE_NAME):
            out[f"{source.name}.{name}@{ATTRIBUTE_NAME}"] = name
    return out

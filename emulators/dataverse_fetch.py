"""FetchXML of the Dataverse emulator, parsed and compiled to one SQL query over the store.

`<fetch count page paging-cookie top distinct returntotalrecordcount>` with one `<entity>`:
`<attribute>`, `<all-attributes/>`, `<order attribute descending>`, nested `<filter type="and|or">`
(conditions in dataverse_fetch_filter) and one level of `<link-entity name from to link-type alias>`
(inner or outer join, its own attributes, filters and orders; aliased columns come back as
`alias.column`). A link's filters go in its join's ON clause, as Dataverse's SQL does. Running the
query and paging it (cookies) is dataverse_fetch_page; `aggregate="true"` is dataverse_fetch_aggregate.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from .dataverse_errors import QueryError
from .dataverse_fetch_filter import INVALID_ARGUMENT, compile_filter
from .dataverse_schema import TABLES, Table
from .dataverse_store import column_sql

MAX_COUNT = 5000
NO_ATTRIBUTE = "0x80041103"         # QueryBuilderNoAttribute
NOT_EMULATED = 501


@dataclass
class Source:
    """The fetch's entity (SQL alias `r`) or one link-entity (`l1`, `l2`…, FetchXML alias `name`)."""
    table: Table
    sql: str
    name: str | None = None
    attributes: list[str] | None = field(default_factory=list)     # None: all-attributes

    def column(self, attr: str | None) -> tuple[str, str]:
        """(SQL reading a logical attribute, its type)."""
        table = self.table
        if attr == table.primary_id:
            return f"{self.sql}.id", "guid"
        key, kind = (f"_{attr}_value", "guid") if attr in table.lookups else (attr, table.columns.get(attr))
        if not attr or kind is None:
            raise QueryError(f"'{table.logical}' entity doesn't contain attribute with Name = '{attr}' "
                             "and NameMapping = 'Logical'.", 400, NO_ATTRIBUTE)
        return column_sql(key).replace("(data,", f"({self.sql}.data,", 1), kind

    def read_names(self) -> list[str] | None:
        """The attributes as the Web API names them (`_x_value` for lookups); None = all."""
        if self.attributes is None:
            return None
        return [f"_{a}_value" if a in self.table.lookups else a for a in self.attributes]


@dataclass
class Fetch:
    root: Source
    count: int = MAX_COUNT
    page: int = 1
    cookie: str | None = None
    top: int | None = None
    distinct: bool = False
    total: bool = False
    links: list[Source] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)
    join_params: list = field(default_factory=list)
    where: str = "1"
    params: list = field(default_factory=list)
    orders: list[tuple[str, str, bool, str | None]] = field(default_factory=list)  # (sql, kind, desc, attr)
    cookie_ok: bool = True          # False: simple paging only (link orders, one-to-many joins)
    aggregate: ET.Element | None = None     # the <fetch aggregate="true"> (dataverse_fetch_aggregate)

    def resolve(self, entityname: str | None, attr: str | None, current: Source) -> tuple[str, str, str]:
        source = current if entityname is None else next(
            (s for s in self.links if s.name == entityname), None)
        if source is None:
            raise QueryError(f"No link-entity has the alias '{entityname}'.", 400, INVALID_ARGUMENT)
        return (*source.column(attr), source.table.logical)


def number(root: ET.Element, name: str, default: int | None) -> int | None:
    text = root.get(name)
    if text is None:
        return default
    if not text.strip().isdigit() or int(text) < 1:
        raise QueryError(f"The fetch attribute '{name}' must be a positive integer, not '{text}'.",
                         400, INVALID_ARGUMENT)
    return int(text)


def attributes(element: ET.Element, source: Source) -> list[str] | None:
    if element.find("all-attributes") is not None:
        return None
    names = [a.get("name") for a in element.findall("attribute")]
    for name in names:
        source.column(name)
    return list(dict.fromkeys(names))


def parse_fetch(text: str, table: Table) -> Fetch:
    if "<!" in text:
        raise QueryError("The FetchXml may not hold a DTD, entities or CDATA.", 400, INVALID_ARGUMENT)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise QueryError(f"The FetchXml is not valid XML: {exc}.", 400, INVALID_ARGUMENT) from None
    entities = root.findall("entity")
    if root.tag != "fetch" or len(entities) != 1:
        raise QueryError("FetchXml must be a <fetch> holding one <entity>.", 400, INVALID_ARGUMENT)
    entity = entities[0]
    if entity.get("name") != table.logical:
        raise QueryError(f"The entity '{entity.get('name')}' of the FetchXml does not match the entity "
                         f"set '{table.entity_set}' (entity '{table.logical}').", 400, INVALID_ARGUMENT)
    fetch = Fetch(Source(table, "r"), count=number(root, "count", MAX_COUNT), page=number(root, "page", 1),
                  cookie=root.get("paging-cookie"), top=number(root, "top", None),
                  distinct=root.get("distinct", "false").lower() == "true",
                  total=root.get("returntotalrecordcount", "false").lower() == "true")
    fetch.aggregate = root if is_true(root, "aggregate") else None
    if fetch.count > MAX_COUNT:
        raise QueryError(f"The fetch count can't be greater than {MAX_COUNT}.", 400, INVALID_ARGUMENT)
    if fetch.top is not None and (root.get("page") or root.get("count")):
        raise QueryError("The top attribute can't be specified with paging attributes page or count.",
                         400, INVALID_ARGUMENT)
    fetch.root.attributes = attributes(entity, fetch.root)
    for order in entity.findall("order") if fetch.aggregate is None else ():    # aggregates order by alias
        attr = order.get("attribute")
        fetch.orders.append((*fetch.root.column(attr), is_true(order, "descending"), attr))
    for link in entity.findall("link-entity"):
        add_link(fetch, link)       # before the filters: a condition may name a link's alias
    fetch.where, fetch.params = combine(entity.findall("filter"),
                                        lambda e, a: fetch.resolve(e, a, fetch.root))
    return fetch


def add_link(fetch: Fetch, link: ET.Element) -> None:
    """One `<link-entity>`: a JOIN on `from` (its column) = `to` (the entity's column)."""
    table = TABLES.get(link.get("name", ""))
    if table is None:
        raise QueryError(f"The entity with a name = '{link.get('name')}' was not found in the "
                         "MetadataCache.", 400, "0x80040217")
    kind = link.get("link-type", "inner")
    if kind not in ("inner", "outer"):
        raise QueryError(f"link-type '{kind}' is not emulated.", NOT_EMULATED, INVALID_ARGUMENT)
    if link.find("link-entity") is not None:
        raise QueryError("Nested link-entity elements are not emulated.", NOT_EMULATED, INVALID_ARGUMENT)
    if fetch.aggregate is not None and (link.find("attribute") is not None or link.find("order") is not None):
        raise QueryError("Aggregates over a link-entity's columns are not emulated (its filters are).",
                         NOT_EMULATED, INVALID_ARGUMENT)
    n = len(fetch.links) + 1
    source = Source(table, f"l{n}", link.get("alias") or f"{table.logical}{n}")
    source.attributes = attributes(link, source)
    linked, parent = source.column(link.get("from")), fetch.root.column(link.get("to"))
    fetch.links.append(source)
    where, params = combine(link.findall("filter"), lambda e, a: fetch.resolve(e, a, source))
    fetch.joins.append(f"{'LEFT' if kind == 'outer' else 'INNER'} JOIN rows {source.sql} ON "
                       f"{source.sql}.entity_set = ? AND {linked[0]} = {parent[0]} AND ({where})")
    fetch.join_params += [table.entity_set, *params]
    fetch.cookie_ok &= link.get("from") == table.primary_id    # one-to-many joins repeat rows
    for order in link.findall("order"):
        fetch.orders.append((*source.column(order.get("attribute")), is_true(order, "descending"), None))
        fetch.cookie_ok = False                                # as Dataverse: no cookie then


def combine(filters: list[ET.Element], resolve) -> tuple[str, list]:
    parts = [compile_filter(f, resolve) for f in filters]
    return (" AND ".join(p[0] for p in parts) or "1"), [v for p in parts for v in p[1]]


def is_true(element: ET.Element, name: str) -> bool:
    return element.get(name, "false").lower() in ("true", "1")

"""Reads of the Dataverse emulator: a `Query` run on the store, rows shaped as the Web API answers.

Shaping adds `@odata.etag`, the annotations the caller's `Prefer` asked for (formatted values,
lookup logical names and navigation properties) and the `$expand`ed rows.
"""
from __future__ import annotations

from .dataverse_errors import not_found
from .dataverse_query import MAX_PAGE, Expand, Query, encode_token, keyset, order_clause
from .dataverse_schema import TABLES, Table
from .dataverse_store import Store, column_sql

FORMATTED = "OData.Community.Display.V1.FormattedValue"
LOGICAL_NAME = "Microsoft.Dynamics.CRM.lookuplogicalname"
NAVIGATION = "Microsoft.Dynamics.CRM.associatednavigationproperty"


def existing_row(store: Store, table: Table, row_id: str | None, key: str) -> tuple[int, dict]:
    """`(version, data)` of the row addressed by `key` (resolved to `row_id`); 404 when missing."""
    found = store.get(table.entity_set, row_id) if row_id else None
    if found is None:
        raise not_found(table.logical, key)
    return found


class Reader:
    """Runs a `Query` on the store and shapes rows as the Web API answers them."""

    def __init__(self, store: Store, annotate=lambda term: False):
        self.store, self.annotate = store, annotate

    def count(self, table: Table, where: str = "1", params: list = ()) -> int:
        return min(self.store.count(table.entity_set, where, params), MAX_PAGE)  # capped like Dataverse's

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
            if expand.lookup_key:
                self._expand_lookup(expand, rows, items)
            else:
                self._expand_collection(table, expand, rows, items)
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
                self._format_column(table, item, name)

    @staticmethod
    def _format_column(table: Table, item: dict, name: str) -> None:
        value = item.get(name)
        if value is not None and name in table.choices and value in table.choices[name]:
            item[f"{name}@{FORMATTED}"] = table.choices[name][value]
        elif value is not None and table.columns.get(name) == "bool":
            item[f"{name}@{FORMATTED}"] = "Yes" if value else "No"

    def _expand_lookup(self, expand: Expand, rows, items) -> None:
        """Single-valued: the row the lookup points at, or null."""
        wanted = [d.get(expand.lookup_key) if d.get("@lk." + expand.lookup_key) == expand.target
                  else None for _, d in rows]
        found = self.store.get_many(expand.table.entity_set, [i for i in wanted if i])
        shaped = dict(zip(found, self.shape(expand.table, list(found.values()), expand.query)))
        for item, row_id in zip(items, wanted):
            item[expand.nav] = shaped.get(row_id)

    def _expand_collection(self, table: Table, expand: Expand, rows, items) -> None:
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

"""Records of any table behind the `Records` port: `$select` names, the coarse `$filter`, plain values.

The Web API reads a lookup as `_<name>_value` (with its table and name as annotations); a `$select`
naming a column the table lacks is refused with a 400, and then the whole row is read instead, so a
definition naming a column of a custom table still gets the columns that exist (an exact read raises
MissingColumn instead). With `labels` a row is read as a template shows it (connector.text.templates
.record_context: choices as their labels, from the formatted values the client asks for).
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

from connector.clock import odata_utc
from connector.crm.odata import odata_literal
from connector.crm.port import Crm, CrmError, entity_set
from connector.crm.webhook import EntityRef
from connector.repositories.records import (
    AllOf, AnyOf, AtOrBefore, Equals, FoundRecord, HasData, MissingColumn, RecordFilter,
)
from connector.text.templates import record_context

LOOKUP_TABLE = "@Microsoft.Dynamics.CRM.lookuplogicalname"
FORMATTED = "@OData.Community.Display.V1.FormattedValue"
_LOOKUP_KEY = re.compile(r"_(\w+)_value")


def select_names(columns: Iterable[str], lookups: Collection[str] = ()) -> list[str]:
    """`$select` names, sorted: lookups become `_<name>_value`."""
    return sorted(_name(column, lookups) for column in set(columns))


def _name(column: str, lookups: Collection[str]) -> str:
    return f"_{column}_value" if column in lookups else column


def odata_filter(where: RecordFilter, lookups: Collection[str] = ()) -> str:
    """The `$filter` text of a coarse selection."""
    if isinstance(where, AllOf):
        return " and ".join(odata_filter(part, lookups) for part in where.parts)
    if isinstance(where, AnyOf):
        return f"({' or '.join(odata_filter(part, lookups) for part in where.parts)})"
    if isinstance(where, AtOrBefore):
        return f"{_name(where.column, lookups)} le {odata_utc(where.moment)}"
    if isinstance(where, HasData):
        return f"{_name(where.column, lookups)} {'ne' if where.present else 'eq'} null"
    if isinstance(where, Equals):
        return f"{_name(where.column, lookups)} eq {odata_literal(where.value)}"
    raise TypeError(f"no OData filter for {where!r}")


def plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A Web API row as plain values: `_x_value` -> `x` = EntityRef (table, id, name); no annotations."""
    values: dict[str, Any] = {}
    for key, value in row.items():
        if "@" in key:
            continue
        lookup = _LOOKUP_KEY.fullmatch(key)
        if lookup:
            values[lookup[1]] = EntityRef(row.get(key + LOOKUP_TABLE) or "", value, row.get(key + FORMATTED)) \
                if value else None
        else:
            values[key] = value
    return values


class DataverseRecords:
    def __init__(self, crm: Crm):
        self.crm = crm

    def read(self, table: str, record_id: str, columns: Collection[str],
             lookups: Collection[str] = (), *, exact: bool = False, labels: bool = False) -> dict[str, Any]:
        select = select_names(columns, lookups)
        try:
            row = self.crm.retrieve(entity_set(table), record_id, select=select or None)
        except CrmError as error:
            if error.status != 400 or not select:
                raise
            if exact:
                raise MissingColumn(table, columns) from error
            row = self.crm.retrieve(entity_set(table), record_id)      # a column named is unknown
        return record_context(row) if labels else plain_row(row)

    def query(self, table: str, columns: Collection[str], lookups: Collection[str] = (),
              where: RecordFilter | None = None, page_size: int = 5000) -> Iterator[FoundRecord]:
        rows = self.crm.retrieve_multiple(entity_set(table), select=select_names(columns, lookups),
                                          filter=odata_filter(where, lookups) if where is not None else None,
                                          page_size=page_size)
        return (FoundRecord(row.get(f"{table}id") or row.get("activityid"), plain_row(row)) for row in rows)

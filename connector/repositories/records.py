"""Records of any table, as hook workflows read them: chosen columns as plain values.

Plain values are what a webhook image gives: lookups as `EntityRef` (table, id, name), other columns
as their values, no annotations. `lookups` names the requested columns that are lookups (the caller
knows the table's schema; the adapter knows how the Web API spells a lookup).

`RecordFilter` is a coarse selection a query may apply on the server: it selects at least the rows
the caller wants, the caller deciding row by row afterwards. It has only the comparisons every
store can answer exactly: a date at or before a moment, a column with or without data, a column
equal to a whole number or a boolean; all of / any of those.
"""
from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Union

from connector.errors import BadInput


@dataclass(frozen=True)
class AtOrBefore:
    column: str
    moment: datetime


@dataclass(frozen=True)
class HasData:
    column: str
    present: bool = True           # False: the column is empty


@dataclass(frozen=True)
class Equals:
    column: str
    value: bool | int


@dataclass(frozen=True)
class AllOf:
    parts: tuple[RecordFilter, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[RecordFilter, ...]


RecordFilter = Union[AtOrBefore, HasData, Equals, AllOf, AnyOf]


@dataclass(frozen=True)
class FoundRecord:
    id: str | None
    values: dict[str, Any]


class MissingColumn(BadInput):
    """An exact read named a column the table does not have (which one, the CRM does not say)."""
    error_code = "unknown_column"

    def __init__(self, table: str, columns: Collection[str]):
        super().__init__(f"The {table} table lacks one of the columns {', '.join(sorted(columns))}")
        self.table, self.columns = table, tuple(sorted(columns))


class Records(Protocol):
    def read(self, table: str, record_id: str, columns: Collection[str],
             lookups: Collection[str] = (), *, exact: bool = False, labels: bool = False) -> dict[str, Any]:
        """The record's `columns` as plain values; the whole record when the table lacks one of them,
        or MissingColumn when `exact` (a lookup hop, a related record's merge fields: the caller tells
        the user). `labels`: as a template shows them, a choice or yes/no as its label.
        Raises RecordNotFound, or UnknownTable for a table the connector cannot address."""
        ...

    def query(self, table: str, columns: Collection[str], lookups: Collection[str] = (),
              where: RecordFilter | None = None, page_size: int = 5000) -> Iterator[FoundRecord]:
        """Every record of `table` that `where` selects (all when None), page by page."""
        ...

"""What the organisation's tables are: their columns, each column's type and a lookup's targets.

Column types use one small vocabulary: string, memo, int, decimal, money, bool, datetime, choice,
guid, lookup. Hook workflow validation reads tables through this port (workflows.schema.TableSchema
has the same shape): from Dataverse metadata when connected, from a fixed description offline.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ColumnInfo:
    type: str
    targets: tuple[str, ...] = ()               # lookups: the tables it may point to
    options: frozenset[int] | None = None       # choices whose values are fixed (statecode)


class TableDefinitions(Protocol):
    def columns(self, table: str) -> dict[str, ColumnInfo] | None:
        """The columns of `table` by logical name, or None when the organisation has no such table."""
        ...

from collections.abc import Collection, Iterator
from typing import Any

from connector.crm.port import RecordNotFound, UnknownTable
from connector.repositories.records import FoundRecord, MissingColumn, RecordFilter


class FakeRecords:
    """Records by table and id, as plain values. A query returns every record of the table (a coarse
    filter may select more than asked) and remembers the filter it was given."""

    def __init__(self, tables: dict[str, dict[str, dict[str, Any]]] | None = None):
        self.tables = tables or {}
        self.reads: list[tuple[str, str, frozenset[str]]] = []
        self.queries: list[tuple[str, RecordFilter | None]] = []

    def read(self, table: str, record_id: str, columns: Collection[str],
             lookups: Collection[str] = (), *, exact: bool = False, labels: bool = False) -> dict[str, Any]:
        """An exact read refuses a column the stored row lacks; values have no labels here."""
        self.reads.append((table, record_id, frozenset(columns)))
        row = self._table(table).get(record_id)
        if row is None:
            raise RecordNotFound(404, "0x80040217", f"{table} With Id = {record_id} Does Not Exist")
        if exact and not set(columns) <= set(row):
            raise MissingColumn(table, columns)
        return {f"{table}id": record_id, **{c: row.get(c) for c in columns}}

    def query(self, table: str, columns: Collection[str], lookups: Collection[str] = (),
              where: RecordFilter | None = None, page_size: int = 5000) -> Iterator[FoundRecord]:
        self.queries.append((table, where))
        rows = self._table(table)
        return iter([FoundRecord(i, {f"{table}id": i, **{c: row.get(c) for c in columns}}) for i, row in rows.items()])

    def _table(self, table: str) -> dict[str, dict[str, Any]]:
        if table not in self.tables:
            raise UnknownTable(table)
        return self.tables[table]

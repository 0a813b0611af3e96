"""SQLite persistence of the Dataverse emulator: one `rows` table, JSON rows, expression indexes.

Rows are `(entity_set, id, version, data)`; `data` is the row as the Web API reads it (`_x_value`
lookups) plus hidden `@lk.<key>` entries naming each lookup's target table. `version` is database-
wide and monotonic like Dataverse's rowversion (`@odata.etag` is `W/"<version>"`). Lookups and
alternate keys get partial expression indexes, so `_objectid_value eq <id>` or a key check is an
index search, never a scan. Every write runs inside `transaction()`: one process-wide lock plus an
SQLite `BEGIN IMMEDIATE`, so a read-check-write (ETag, alternate key) is atomic even when another
emulator instance shares the file. N:N links live in `associations` (relationship, id1, id2), indexed
from both sides. SQL gets one function of its own: `local_time(utc, 'Europe/Paris')`, a stored UTC
date and time as the wall clock of an IANA zone (aggregates grouping dates in the user's time zone).
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (entity_set TEXT NOT NULL, id TEXT NOT NULL,
    version INTEGER NOT NULL, data JSON NOT NULL, PRIMARY KEY (entity_set, id));
CREATE INDEX IF NOT EXISTS rows_by_set ON rows (entity_set);
CREATE INDEX IF NOT EXISTS rows_by_version ON rows (version);
CREATE TABLE IF NOT EXISTS associations (relationship TEXT NOT NULL, id1 TEXT NOT NULL,
    id2 TEXT NOT NULL, PRIMARY KEY (relationship, id1, id2)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS associations_by_id2 ON associations (relationship, id2, id1);
"""


def column_sql(key: str) -> str:
    """SQL reading a top-level key of `data`; the same text as in the indexes so SQLite uses them."""
    if not key.replace("_", "").replace("@", "").replace(".", "").isalnum():
        raise ValueError(f"bad column name {key!r}")
    return f"json_extract(data, '$.\"{key}\"')"


def local_time(value: str | None, zone: str) -> str | None:
    """`2026-10-31T23:30:00Z`, in 'Europe/Paris': `2026-11-01 00:30:00` (None when not a date and time)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S") if moment.tzinfo else value


class Store:
    def __init__(self, path: str = ":memory:", indexed: Iterable[tuple[str, bool]] = ()):
        self._lock = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.create_function("local_time", 2, local_time, deterministic=True)
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        for key, nocase in sorted(indexed):
            self.add_index(key, nocase)

    def add_index(self, key: str, nocase: bool = False) -> None:
        """A partial expression index on one key of `data` (lookups, alternate keys)."""
        expr = column_sql(key)
        name = "rows_ix_" + key.strip("_").replace("@", "_").replace(".", "_")
        with self._lock:
            self._db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON rows (entity_set, {expr}"
                             f"{' COLLATE NOCASE' if nocase else ''}) WHERE {expr} IS NOT NULL")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """Re-entrant: the outermost level holds the lock and an IMMEDIATE (write) transaction; an inner
        level is a savepoint, so a failure inside it undoes its own writes only (one operation of a
        `$batch` run in the batch's single transaction)."""
        with self._lock:
            outer = self._depth == 0
            savepoint = f"level{self._depth}"
            self._db.execute("BEGIN IMMEDIATE" if outer else f"SAVEPOINT {savepoint}")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                self._db.execute("ROLLBACK" if outer else f"ROLLBACK TO {savepoint}")
                if not outer:
                    self._db.execute(f"RELEASE {savepoint}")
                raise
            self._depth -= 1
            self._db.execute("COMMIT" if outer else f"RELEASE {savepoint}")

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        """Raw SQL over `rows` / `associations` (FetchXML joins, association scopes)."""
        return self._query(sql, params)

    def execute(self, sql: str, params: Iterable[Any] = (), many: bool = False) -> int:
        """A write statement (or `many` of them) in a transaction; returns the rows changed."""
        with self.transaction():
            cursor = (self._db.executemany(sql, params) if many
                      else self._db.execute(sql, tuple(params)))
            return cursor.rowcount

    # --- reads -------------------------------------------------------------------------------
    def get(self, entity_set: str, row_id: str) -> tuple[int, dict] | None:
        found = self._query("SELECT version, data FROM rows WHERE entity_set=? AND id=?",
                            (entity_set, row_id))
        return (found[0][0], json.loads(found[0][1])) if found else None

    def get_many(self, entity_set: str, ids: Iterable[str]) -> dict[str, tuple[int, dict]]:
        ids, out = list(dict.fromkeys(ids)), {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row_id, version, data in self._query(
                    f"SELECT id, version, data FROM rows WHERE entity_set=? AND id IN ({marks})",
                    [entity_set, *chunk]):
                out[row_id] = (version, json.loads(data))
        return out

    def find(self, entity_set: str, key: str, values: Iterable[Any], nocase: bool = False
             ) -> list[tuple[str, int, dict]]:
        """Rows whose `key` equals one of `values` (index search on lookups and alternate keys)."""
        values, out = list(values), []
        collate = " COLLATE NOCASE" if nocase else ""
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._query(f"SELECT id, version, data FROM rows WHERE entity_set=? AND "
                               f"{column_sql(key)}{collate} IN ({marks}) ORDER BY +rowid",
                               [entity_set, *chunk])
            out += [(i, v, json.loads(d)) for i, v, d in rows]
        return out

    def select(self, entity_set: str, where: str = "1", params: Iterable[Any] = (),
               order: str = "rowid", extra: str = "", limit: int | None = None) -> list[tuple]:
        """`(rowid, id, version, data, *extra)` rows of a set matching an SQL condition."""
        sql = (f"SELECT rowid, id, version, data{', ' + extra if extra else ''} FROM rows "
               f"WHERE entity_set=? AND ({where}) ORDER BY {order}")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [(r[0], r[1], r[2], json.loads(r[3]), *r[4:])
                for r in self._query(sql, [entity_set, *params])]

    def count(self, entity_set: str, where: str = "1", params: Iterable[Any] = ()) -> int:
        return self._query(f"SELECT count(*) FROM rows WHERE entity_set=? AND ({where})",
                           [entity_set, *params])[0][0]

    # --- writes (call inside transaction()) -----------------------------------------------------
    def _next_version(self) -> int:
        return (self._query("SELECT max(version) FROM rows")[0][0] or 0) + 1

    def insert(self, entity_set: str, row_id: str, data: dict) -> int:
        with self.transaction():
            version = self._next_version()
            self._db.execute("INSERT INTO rows (entity_set, id, version, data) VALUES (?,?,?,?)",
                             (entity_set, row_id, version, json.dumps(data)))
            return version

    def insert_many(self, entity_set: str, rows: Iterable[tuple[str, dict]]) -> None:
        """Bulk insert of `(id, data)` rows (benchmark seeding), one version each."""
        with self.transaction():
            first = self._next_version()
            self._db.executemany("INSERT INTO rows (entity_set, id, version, data) VALUES (?,?,?,?)",
                                 ((entity_set, row_id, first + n, json.dumps(data))
                                  for n, (row_id, data) in enumerate(rows)))

    def update(self, entity_set: str, row_id: str, data: dict) -> int:
        with self.transaction():
            version = self._next_version()
            self._db.execute("UPDATE rows SET version=?, data=? WHERE entity_set=? AND id=?",
                             (version, json.dumps(data), entity_set, row_id))
            return version

    def delete(self, entity_set: str, row_ids: Iterable[str]) -> None:
        with self.transaction():
            self._db.executemany("DELETE FROM rows WHERE entity_set=? AND id=?",
                                 [(entity_set, i) for i in row_ids])

"""Writes of the Dataverse emulator: create, update, upsert and delete rows from Web API bodies.

A body carries columns, `<nav>@odata.bind` lookups and deep-inserted collections (the activity
parties). Each write is one store transaction, so ETag and alternate-key checks are atomic with it.
Alternate keys (`<set>(<key>='<value>')`) are resolved here too.
"""
from __future__ import annotations

import re
import uuid

from .dataverse_privileges import check_write
from .dataverse_assoc import forget
from .dataverse_columns import convert, set_computed, set_lookup
from .dataverse_errors import (BAD_PAYLOAD, GUID, ODATA_ERROR, DataverseError, already_exists,
                               cannot_convert, not_found, unknown_property)
from .dataverse_filter import split_top
from .dataverse_query import child_key
from .dataverse_read import existing_row
from .dataverse_schema import TABLES, Collection, Table
from .dataverse_store import Store

DEFAULT_MAX_UPLOAD = 5_242_880
REF = re.compile(r"^(?:.*/)?([A-Za-z_]\w*)\(([0-9a-fA-F-]{36})\)$")


def key_values(table: Table, key: str) -> dict:
    """`smsc_phonenumber='+33...'` -> {column: value}; the key must be an alternate key."""
    pairs = {}
    for part in split_top(key, ","):
        name, _, raw = (x.strip() for x in part.partition("="))
        if len(raw) > 1 and raw[0] == raw[-1] == "'":
            pairs[name] = raw[1:-1].replace("''", "'")
        elif re.fullmatch(r"-?\d+", raw):
            pairs[name] = int(raw)
        else:
            raise DataverseError(f"Bad key segment '{key}'.", 400, ODATA_ERROR)
    if len(pairs) != 1 or next(iter(pairs)) not in table.alternate_keys:
        raise DataverseError(f"The key '{key}' is not an alternate key of '{table.logical}'.", 400, ODATA_ERROR)
    return pairs


def check_version(current: tuple[int, dict], if_match: str | None) -> None:
    if if_match not in (None, "*") and if_match != f'W/"{current[0]}"':
        raise DataverseError("The version of the existing record doesn't match the RowVersion "
                             "property provided.", 412, "0x80060882")


def new_row_id(given) -> str:
    """POST: a client-supplied primary id is honoured."""
    row_id = str(given or uuid.uuid4()).lower()
    if not GUID.match(row_id):
        raise cannot_convert(given, "Edm.Guid")
    return row_id


class Writer:
    def __init__(self, store: Store):
        self.store = store

    @property
    def max_upload(self) -> int:
        """organization.maxuploadfilesize (base64 length of a note's documentbody)."""
        found = self.store.select("organizations", limit=1)
        return (found[0][3].get("maxuploadfilesize") if found else None) or DEFAULT_MAX_UPLOAD

    def resolve_key(self, table: Table, key: str) -> str | None:
        """The id a `<set>(...)` key addresses; None when no row has that alternate key."""
        if GUID.match(key):
            return key.lower()
        (name, value), = key_values(table, key).items()
        found = self.store.find(table.entity_set, name, [value], nocase=isinstance(value, str))
        return found[0][0] if found else None

    def patch(self, table: Table, row_id: str | None, key: str, body: dict, caller: str, *,
              if_match: str | None, if_none_match: str | None) -> tuple[bool, str]:
        """Update, or create when missing (upsert); returns (created, id)."""
        with self.store.transaction():      # the ETag check and the write are one atomic step
            current = self.store.get(table.entity_set, row_id) if row_id else None
            if if_none_match == "*" and current:
                raise already_exists()
            if if_match and current is None:
                raise not_found(table.logical, key)
            if current:
                check_version(current, if_match)
                return False, self.write(table, row_id, body, caller, must_exist=True)
            return True, self.write(table, row_id, body, caller)

    def delete(self, table: Table, row_id: str | None, key: str, if_match: str | None) -> None:
        """Delete a row with its collection children (the children of a RemoveLink relationship stay,
        their lookup emptied) and its notes."""
        with self.store.transaction():
            check_version(existing_row(self.store, table, row_id, key), if_match)
            if table.readonly:
                raise DataverseError(f"{table.logical} rows cannot be deleted.", 405, ODATA_ERROR)
            self.store.delete(table.entity_set, [row_id])
            forget(self.store, table, row_id)       # its N:N links go with it
            cascades = [(TABLES[r.child].entity_set, child_key(r)) for r in table.collections.values() if r.cascade]
            for entity_set, column in cascades + [("annotations", "_objectid_value")]:
                self.delete_referencing(entity_set, column, row_id)
            for rel in (r for r in table.collections.values() if not r.cascade):     # RemoveLink
                entity_set, column = TABLES[rel.child].entity_set, child_key(rel)
                for child_id, _, data in self.store.find(entity_set, column, [row_id]):
                    set_lookup(data, column, None, None)
                    self.store.update(entity_set, child_id, data)

    def delete_referencing(self, entity_set: str, column: str, row_id: str) -> None:
        self.store.delete(entity_set, [r[0] for r in self.store.find(entity_set, column, [row_id])])

    def write(self, table: Table, row_id: str | None, body: dict, caller: str,
              must_exist: bool = False, parent: tuple[str, str, str] | None = None) -> str:
        """Create or update one row from a Web API body; returns its id. Atomic."""
        if table.readonly and parent is None:
            raise DataverseError(f"The '{table.logical}' table is read-only in the Web API.", 405, ODATA_ERROR)
        with self.store.transaction():
            given, posted = body.pop(table.primary_id, None), row_id is None
            row_id = new_row_id(given) if posted else row_id
            current = self.store.get(table.entity_set, row_id)
            if posted and current:
                raise already_exists()
            if must_exist and current is None:
                raise not_found(table.logical, row_id)
            check_write(self.store, table.logical, caller, current is None)     # the caller's security roles
            data = dict(current[1]) if current else {table.primary_id: row_id}
            children = self.apply(table, body, data)
            if parent:      # (lookup key, parent table, parent id) of a deep-inserted child
                set_lookup(data, parent[0], parent[2], parent[1])
            set_computed(table, body, data, caller, current is None,
                         self.max_upload if table.logical == "annotation" else 0)
            self.check_alternate_keys(table, row_id, data)
            (self.store.insert if current is None else self.store.update)(table.entity_set, row_id, data)
            for nav, items in children.items():
                self.replace_children(table, table.collections[nav], row_id, items, caller)
        return row_id

    def check_alternate_keys(self, table: Table, row_id: str, data: dict) -> None:
        for column in table.alternate_keys:
            value = data.get(column)
            if value is not None and any(found[0] != row_id for found in self.store.find(
                    table.entity_set, column, [value], nocase=isinstance(value, str))):
                raise already_exists("0x80060892")

    def replace_children(self, table: Table, rel: Collection, row_id: str, items: list,
                         caller: str) -> None:
        """A deep insert replaces the collection: the old children go, the given ones are created."""
        child, key = TABLES[rel.child], child_key(rel)
        self.delete_referencing(child.entity_set, key, row_id)
        for item in items:
            self.write(child, None, dict(item), caller, parent=(key, table.logical, row_id))

    def apply(self, table: Table, body: dict, data: dict) -> dict[str, list]:
        """Copy a body's columns and lookup binds into `data`; returns the deep-insert collections."""
        children = {}
        for name, value in body.items():
            if name.endswith("@odata.bind"):
                self.bind(table, name[:-len("@odata.bind")], value, data)
            elif name in table.collections:
                if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                    raise DataverseError(f"'{name}' must be an array of objects.", 400, BAD_PAYLOAD)
                children[name] = value
            elif name.startswith("@") or "@" in name:
                continue        # instance annotations (@odata.type, ...) carry no data
            elif name.startswith("_") and name.endswith("_value") and name[1:-6] in table.lookups:
                raise DataverseError("CRM do not support direct update of Entity Reference properties, "
                                     "Use Navigation properties instead.", 400, BAD_PAYLOAD)
            elif name not in table.columns:
                raise unknown_property(table, name)
            elif name not in table.computed:
                data[name] = convert(table, name, table.columns[name], value)
        return children

    def bind(self, table: Table, nav: str, value, data: dict) -> None:
        """`<nav>@odata.bind: "/<set>(<guid>)"` (or null) sets the lookup behind `nav`."""
        if nav not in table.navs:
            raise DataverseError(f"An undeclared property '{nav}' which only has property annotations in "
                                 "the payload but no property value was found in the payload. In OData, "
                                 "only declared navigation properties and declared named streams can be "
                                 "represented as properties without values.", 400, ODATA_ERROR)
        lookup, target = table.navs[nav]
        if lookup.readonly:
            raise DataverseError(f"'{nav}' cannot be set.", 400, BAD_PAYLOAD)
        if value is None:
            set_lookup(data, lookup.key, None, None)
            return
        ref = REF.match(str(value))
        if not ref or ref[1] != TABLES[target].entity_set:
            raise DataverseError(f"Bad @odata.bind value '{value}' for '{nav}' (expected "
                                 f"/{TABLES[target].entity_set}(<guid>)).", 400, BAD_PAYLOAD)
        if self.store.get(ref[1], ref[2].lower()) is None:
            raise not_found(target, ref[2])
        set_lookup(data, lookup.key, ref[2].lower(), target)

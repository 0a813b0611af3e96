"""Table definitions read from the Dataverse Web API metadata, behind the `TableDefinitions` port.

Three GETs per table, kept `CACHE_SECONDS` per organisation (an admin's new column validates within
minutes; the editor's repeated validations cost nothing):
- `EntityDefinitions(LogicalName='t')?$select=LogicalName&$expand=Attributes($select=LogicalName,
  AttributeType,AttributeOf)`: every column and its type;
- `.../Attributes/Microsoft.Dynamics.CRM.LookupAttributeMetadata?$select=LogicalName,Targets`: the
  tables each lookup (Lookup, Customer, Owner) may point to — a property of that derived type only;
- `.../Attributes/Microsoft.Dynamics.CRM.StateAttributeMetadata?$select=LogicalName&$expand=OptionSet(
  $select=Options)`: the values `statecode` may take.
Companion attributes (`AttributeOf` set: `customeridname`, `owneridtype`) and types a workflow cannot
read (Virtual, EntityName, PartyList, ...) are left out. An unknown table is a 404 (0x80041102,
"not found in the MetadataCache"): the table is unknown, not an error.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable

from connector.crm.odata import odata_literal
from connector.crm.ttl_cache import TtlCache
from connector.crm.port import Crm, CrmError
from connector.repositories.metadata import ColumnInfo

DEFINITIONS = "EntityDefinitions"
CRM = "Microsoft.Dynamics.CRM."
ATTRIBUTE_COLUMNS = ("LogicalName", "AttributeType", "AttributeOf")
CACHE_SECONDS = 300
CACHE_LIMIT = 500                  # tables kept per process (all organisations)
# Dataverse AttributeType -> the column type validation speaks.
COLUMN_TYPES = {"String": "string", "Memo": "memo", "Integer": "int", "BigInt": "int", "Decimal": "decimal",
                "Double": "decimal", "Money": "money", "Boolean": "bool", "DateTime": "datetime",
                "Picklist": "choice", "State": "choice", "Status": "choice", "Uniqueidentifier": "guid",
                "Lookup": "lookup", "Customer": "lookup", "Owner": "lookup"}
LOGICAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")

_cache: TtlCache[dict[str, ColumnInfo] | None] = TtlCache(CACHE_SECONDS, limit=CACHE_LIMIT)


def forget_table_definitions() -> None:
    _cache.clear()


class DataverseTableDefinitions:
    def __init__(self, crm: Crm, *, clock: Callable[[], float] = time.monotonic):
        self.crm, self.clock = crm, clock

    def columns(self, table: str) -> dict[str, ColumnInfo] | None:
        if not LOGICAL_NAME.fullmatch(table):
            return None                          # no table has this name: nothing to ask
        key = (getattr(self.crm, "api_url", None), table.lower())
        found = _cache.lookup(key, lambda: self._read(table), now=self.clock())
        return dict(found) if found is not None else None

    def _read(self, table: str) -> dict[str, ColumnInfo] | None:
        definition = f"LogicalName={odata_literal(table)}"
        try:
            entity = self.crm.retrieve(DEFINITIONS, definition, select=["LogicalName"],
                                       expand=f"Attributes($select={','.join(ATTRIBUTE_COLUMNS)})")
        except CrmError as error:
            if error.status == 404:
                return None
            raise
        kinds = {a["LogicalName"]: COLUMN_TYPES[a["AttributeType"]] for a in entity.get("Attributes", [])
                 if not a.get("AttributeOf") and a.get("AttributeType") in COLUMN_TYPES and a.get("LogicalName")}
        states = {a["LogicalName"] for a in entity.get("Attributes", []) if a.get("AttributeType") == "State"}
        targets = self._targets(definition) if "lookup" in kinds.values() else {}
        options = self._state_options(definition) if states else {}
        return {name: ColumnInfo(kind, targets.get(name, ()) if kind == "lookup" else (), options.get(name))
                for name, kind in kinds.items()}

    def _targets(self, definition: str) -> dict[str, tuple[str, ...]]:
        rows = self.crm.related(DEFINITIONS, definition, f"Attributes/{CRM}LookupAttributeMetadata",
                                select=["LogicalName", "Targets"])
        return {row["LogicalName"]: tuple(row.get("Targets") or ()) for row in rows}

    def _state_options(self, definition: str) -> dict[str, frozenset[int]]:
        rows = self.crm.related(DEFINITIONS, definition, f"Attributes/{CRM}StateAttributeMetadata",
                                select=["LogicalName"], expand="OptionSet($select=Options)")
        return {row["LogicalName"]: frozenset(_values((row.get("OptionSet") or {}).get("Options") or ()))
                for row in rows}


def _values(options: Iterable[dict]) -> Iterable[int]:
    return (option["Value"] for option in options if isinstance(option.get("Value"), int))

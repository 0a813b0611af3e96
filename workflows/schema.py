"""What validation needs to know about CRM tables: their columns, types and lookup targets.

`TableSchema` is the port (connector.repositories.metadata.TableDefinitions has the same shape):
connected, the caller gives the organisation's table definitions (its Dataverse metadata, built by
connector.bootstrap), so custom tables and columns validate; `StaticTableSchema` describes the
tables the built-in hooks and the tests use, with real Dataverse logical names, for offline
validation. Column types: string, memo, int, decimal, money, bool, datetime, choice, guid, lookup.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Protocol

from connector.repositories.metadata import ColumnInfo, TableDefinitions

__all__ = ["ColumnInfo", "RECIPIENT_TABLES", "STATIC_TABLES", "StaticTableSchema", "TableSchema", "VALUE_TYPES",
           "connected_schema"]

RECIPIENT_TABLES = ("contact", "account", "lead")
# What a value compared with a column of each type is: accepted Python types, how to write it.
VALUE_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "string": ((str,), "text"), "memo": ((str,), "text"), "guid": ((str,), "a record id"),
    "lookup": ((str,), "a record id"), "int": ((int,), "a whole number"),
    "choice": ((int,), "a whole number (the choice value)"), "decimal": ((int, float), "a number"),
    "money": ((int, float), "a number"), "bool": ((bool,), "true or false"),
    "datetime": ((date, str), "a date such as 2024-01-31"),
}


class TableSchema(Protocol):
    def columns(self, table: str) -> dict[str, ColumnInfo] | None:
        """The columns of `table` by logical name, or None when the table is unknown."""


def _lookup(*targets: str) -> ColumnInfo:
    return ColumnInfo("lookup", targets)


def _state(*values: int) -> ColumnInfo:
    return ColumnInfo("choice", options=frozenset(values))


_TEXT, _MONEY = ColumnInfo("string"), ColumnInfo("money")
_DATE, _CHOICE = ColumnInfo("datetime"), ColumnInfo("choice")
_CUSTOMER = _lookup("account", "contact")


def _table(primary_id: str, **columns: ColumnInfo) -> dict[str, ColumnInfo]:
    """Columns every table has (id, owner, audit dates) plus its own."""
    return {primary_id: ColumnInfo("guid"), "ownerid": _lookup("systemuser", "team"),
            "createdby": _lookup("systemuser"), "modifiedby": _lookup("systemuser"),
            "createdon": _DATE, "modifiedon": _DATE, **columns}


# statecode values from reference/dataverse.md, "State and status codes for hooks".
STATIC_TABLES: dict[str, dict[str, ColumnInfo]] = {
    "salesorder": _table("salesorderid", ordernumber=_TEXT, name=_TEXT, totalamount=_MONEY,
                         customerid=_CUSTOMER, statecode=_state(0, 1, 2, 3, 4), statuscode=_CHOICE),
    "incident": _table("incidentid", ticketnumber=_TEXT, title=_TEXT, customerid=_CUSTOMER,
                       statecode=_state(0, 1, 2), statuscode=_CHOICE),
    "quote": _table("quoteid", quotenumber=_TEXT, name=_TEXT, totalamount=_MONEY, customerid=_CUSTOMER,
                    statecode=_state(0, 1, 2, 3), statuscode=_CHOICE),
    "invoice": _table("invoiceid", invoicenumber=_TEXT, name=_TEXT, totalamount=_MONEY, customerid=_CUSTOMER,
                      statecode=_state(0, 1, 2, 3), statuscode=_CHOICE),
    "contact": _table("contactid", fullname=_TEXT, firstname=_TEXT, lastname=_TEXT, mobilephone=_TEXT,
                      emailaddress1=_TEXT, parentcustomerid=_CUSTOMER, statecode=_state(0, 1),
                      statuscode=_CHOICE),
    "account": _table("accountid", name=_TEXT, primarycontactid=_lookup("contact"), telephone1=_TEXT,
                      emailaddress1=_TEXT, statecode=_state(0, 1), statuscode=_CHOICE),
    "lead": _table("leadid", fullname=_TEXT, firstname=_TEXT, lastname=_TEXT, mobilephone=_TEXT,
                   companyname=_TEXT, emailaddress1=_TEXT, statecode=_state(0, 1, 2), statuscode=_CHOICE),
}


class StaticTableSchema:
    """A fixed description of tables: STATIC_TABLES by default, or the tables given."""

    def __init__(self, tables: Mapping[str, Mapping[str, ColumnInfo]] | None = None):
        self._tables = {name: dict(columns) for name, columns in (tables or STATIC_TABLES).items()}

    def columns(self, table: str) -> dict[str, ColumnInfo] | None:
        columns = self._tables.get(table)
        return dict(columns) if columns is not None else None

    def tables(self) -> list[str]:
        return sorted(self._tables)


def connected_schema(definitions: TableDefinitions | None) -> TableSchema:
    """The organisation's table definitions when connected, else the static schema (offline validation)."""
    return definitions if definitions is not None else StaticTableSchema()

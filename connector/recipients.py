"""Who an SMS goes to: the record, its mobile number, and the data its template merges.

Contacts and leads use their own `mobilephone`; an account uses the mobile of its primary contact
(product guide, "Envoi d'un SMS unitaire").
"""
from __future__ import annotations

from dataclasses import dataclass, field

from connector.compose import SmsRejected
from connector.crm.port import Crm, CrmError, entity_set
from connector.text.templates import FieldRefs

RECIPIENT_TABLES = ("contact", "lead", "account")
NAME_COLUMN = {"contact": "fullname", "lead": "fullname", "account": "name"}
LOOKUP_TABLE = "@Microsoft.Dynamics.CRM.lookuplogicalname"


class RecipientError(SmsRejected):
    """The recipient cannot receive this SMS (wrong table, no primary contact, unknown template field)."""


@dataclass
class RecipientRecord:
    table: str
    id: str
    name: str | None
    mobile: str | None
    row: dict = field(default_factory=dict)
    lookups: dict[str, dict] = field(default_factory=dict)


def _columns(table: str, fields: FieldRefs | None) -> list[str]:
    columns = {NAME_COLUMN[table]} | ({"mobilephone"} if table != "account" else set())
    if fields:
        columns |= set(fields.columns) | {f"_{name}_value" for name in fields.lookups}
    return sorted(columns)


def load_recipient(crm: Crm, table: str, record_id: str, fields: FieldRefs | None = None) -> RecipientRecord:
    if table not in RECIPIENT_TABLES:
        raise RecipientError("not_a_recipient", table=table)
    expand = "primarycontactid($select=mobilephone,fullname)" if table == "account" else None
    try:
        row = crm.retrieve(entity_set(table), record_id, select=_columns(table, fields), expand=expand)
    except CrmError as error:
        if error.status == 400 and fields:
            raise RecipientError("unknown_field", table=table, detail=error.message) from error
        raise
    if table == "account":
        primary = row.get("primarycontactid") or {}
        mobile = primary.get("mobilephone")
        if not primary:
            raise RecipientError("no_primary_contact", name=row.get("name"))
    else:
        mobile = row.get("mobilephone")
    lookups = _load_lookups(crm, row, fields) if fields else {}
    return RecipientRecord(table, record_id, row.get(NAME_COLUMN[table]), mobile, row, lookups)


def _load_lookups(crm: Crm, row: dict, fields: FieldRefs) -> dict[str, dict]:
    """One GET per lookup the template reads (e.g. `parentcustomerid.name`)."""
    related = {}
    for name, columns in fields.lookups.items():
        target_id = row.get(f"_{name}_value")
        target_table = row.get(f"_{name}_value{LOOKUP_TABLE}")
        if not target_id or not target_table:
            continue
        try:
            related[name] = crm.retrieve(entity_set(target_table), target_id, select=sorted(columns))
        except CrmError as error:     # a column the related table does not have: the template's fault
            if error.status != 400:
                raise
            raise RecipientError("unknown_field", table=target_table, detail=error.message) from error
    return related

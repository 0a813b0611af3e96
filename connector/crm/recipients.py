"""Contacts, leads and accounts as SMS recipients, behind the `Recipients` port.

Contacts and leads use their own `mobilephone`; an account uses the mobile of its primary contact
(product guide, "Envoi d'un SMS unitaire").
"""
from __future__ import annotations

from typing import Any

from connector.crm.port import Crm, CrmError, entity_set
from connector.repositories.recipients import NAME_COLUMN, RecipientError, RecipientRecord
from connector.text.templates import FieldRefs, record_context

LOOKUP_TABLE = "@Microsoft.Dynamics.CRM.lookuplogicalname"
PRIMARY_CONTACT = "primarycontactid($select=mobilephone,fullname)"


def _columns(table: str, fields: FieldRefs | None) -> list[str]:
    columns = {NAME_COLUMN[table]} | ({"mobilephone"} if table != "account" else set())
    if fields:
        columns |= set(fields.columns) | {f"_{name}_value" for name in fields.lookups}
    return sorted(columns)


class DataverseRecipients:
    def __init__(self, crm: Crm):
        self.crm = crm

    def load(self, table: str, record_id: str, fields: FieldRefs | None = None) -> RecipientRecord:
        expand = PRIMARY_CONTACT if table == "account" else None
        try:
            row = self.crm.retrieve(entity_set(table), record_id, select=_columns(table, fields), expand=expand)
        except CrmError as error:
            if error.status == 400 and fields:
                raise RecipientError("unknown_field", table=table, detail=error.message) from error
            raise
        name = row.get(NAME_COLUMN[table])
        if table == "account":
            primary = row.get("primarycontactid") or {}
            if not primary:
                return RecipientRecord(table, record_id, name, None, has_primary_contact=False)
            mobile = primary.get("mobilephone")
        else:
            mobile = row.get("mobilephone")
        values = record_context(row, self._lookups(row, fields)) if fields else {}
        return RecipientRecord(table, record_id, name, mobile, values)

    def _lookups(self, row: dict[str, Any], fields: FieldRefs) -> dict[str, dict]:
        """One GET per lookup the template reads (e.g. `parentcustomerid.name`); a column the related
        table lacks is the template's problem, refused naming it (not a CRM failure)."""
        related = {}
        for name, columns in fields.lookups.items():
            target_id = row.get(f"_{name}_value")
            target_table = row.get(f"_{name}_value{LOOKUP_TABLE}")
            if not target_id or not target_table:
                continue
            try:
                related[name] = self.crm.retrieve(entity_set(target_table), target_id, select=sorted(columns))
            except CrmError as error:
                if error.status != 400:
                    raise
                raise RecipientError("unknown_field", table=target_table, detail=error.message) from error
        return related

"""The SMS template table `smsc_smstemplate` (DESIGN §4) behind the `Templates` port."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.crm.odata import odata_literal
from connector.crm.port import Crm
from connector.repositories.templates import SmsTemplate

TEMPLATE_SET = "smsc_smstemplates"
PUBLISHED = 2           # smsc_templatestatus: 1 Draft, 2 Published


def template_from_row(row: Mapping[str, Any], template_id: str | None) -> SmsTemplate:
    return SmsTemplate(template_id, row.get("smsc_name"), row.get("smsc_text") or "", row.get("smsc_entity") or None,
                       row.get("smsc_templatestatus") == PUBLISHED)


class DataverseTemplates:
    def __init__(self, crm: Crm):
        self.crm = crm

    def get(self, template_id: str) -> SmsTemplate:
        row = self.crm.retrieve(TEMPLATE_SET, template_id,
                                select=["smsc_name", "smsc_text", "smsc_templatestatus", "smsc_entity"])
        return template_from_row(row, template_id)

    def published_named(self, name: str) -> SmsTemplate | None:
        rows = self.crm.retrieve_multiple(
            TEMPLATE_SET, select=["smsc_text", "smsc_entity"], top=1,
            filter=f"smsc_name eq {odata_literal(name)} and smsc_templatestatus eq {PUBLISHED}")
        row = next(iter(rows), None)
        if row is None:
            return None
        return SmsTemplate(row.get("smsc_smstemplateid"), name, row.get("smsc_text") or "",
                           row.get("smsc_entity") or None, True)

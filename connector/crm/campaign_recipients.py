"""The recipients of a campaign, streamed page by page from its marketing lists (DESIGN §4, §7).

Static lists are read through their N:N member relationship, dynamic lists by running their
FetchXML (paging cookie). Contacts and leads give their mobile; accounts the mobile of their
primary contact. Nothing here holds more than one page.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from connector.crm.campaigns import CAMPAIGN_SET, RECIPIENT_TABLES
from connector.crm.port import Crm, CrmError, entity_set
from connector.repositories.campaign_recipients import Candidate, MarketingList, UnknownColumn
from connector.repositories.campaigns import Campaign
from connector.text.template_rules import FieldRefs

LIST_MEMBERS = {"contact": "listcontact_association", "account": "listaccount_association",
                "lead": "listlead_association"}
PRIMARY_ID = {"contact": "contactid", "account": "accountid", "lead": "leadid"}
NAME = {"contact": "fullname", "account": "name", "lead": "fullname"}
PRIMARY_CONTACT = "primarycontactid($select=mobilephone,fullname)"
LINKED_ALIAS = "pc"       # FetchXML alias of an account's primary contact
LOOKUP_TABLE = "@Microsoft.Dynamics.CRM.lookuplogicalname"
# Dataverse's codes for a column a query names and the table does not have: OData, FetchXML.
UNKNOWN_COLUMN_CODES = {"0x80060888", "0x80041103"}
_NAMED_COLUMN = re.compile(r"(?:property named|attribute with Name =) '([^']+)'")


class DataverseCampaignRecipients:
    def __init__(self, crm: Crm):
        self.crm = crm

    def lists(self, campaign: Campaign) -> list[MarketingList]:
        return [MarketingList(row["listid"], row.get("listname") or "", bool(row.get("type")))
                for row in self._list_rows(campaign)]

    def candidates(self, campaign: Campaign, fields: FieldRefs | None, page_size: int = 5000) -> Iterator[Candidate]:
        table = campaign.recipient_table
        if table is None:
            return
        for marketing_list in self._list_rows(campaign):
            name = marketing_list.get("listname") or ""
            with _unknown_columns(table, fields is not None):
                rows = (_dynamic_rows(self.crm, table, marketing_list["query"], fields, page_size)
                        if marketing_list.get("type") else
                        self.crm.related("lists", marketing_list["listid"], LIST_MEMBERS[table],
                                         select=_columns(table, fields), page_size=page_size,
                                         expand=PRIMARY_CONTACT if table == "account" else None))
                for row in rows:
                    yield _candidate(table, row, name)

    def lookup_target(self, row: dict[str, Any], lookup: str) -> tuple[str, str] | None:
        target_id, table = row.get(f"_{lookup}_value"), row.get(f"_{lookup}_value{LOOKUP_TABLE}")
        return (table, target_id) if target_id and table else None

    def related_record(self, table: str, record_id: str, columns: Iterable[str]) -> dict[str, Any]:
        with _unknown_columns(table, True):
            return self.crm.retrieve(entity_set(table), record_id, select=sorted(columns))

    def _list_rows(self, campaign: Campaign) -> list[dict[str, Any]]:
        lists = self.crm.related(CAMPAIGN_SET, campaign.id, "campaignlist_association",
                                 select=["listname", "type", "createdfromcode", "query"])
        table = campaign.recipient_table
        return [row for row in lists if table and RECIPIENT_TABLES.get(row.get("createdfromcode") or 0) == table]


@contextmanager
def _unknown_columns(table: str, merge_fields: bool) -> Iterator[None]:
    """Dataverse's "no such column" answer as `UnknownColumn`, when merge fields chose the columns."""
    try:
        yield
    except CrmError as error:
        if not (merge_fields and error.status == 400 and error.code in UNKNOWN_COLUMN_CODES):
            raise
        named = _NAMED_COLUMN.search(error.message)
        column = named.group(1) if named else error.message
        lookup = re.fullmatch(r"_(\w+)_value", column)
        raise UnknownColumn(table, lookup.group(1) if lookup else column) from None


def _columns(table: str, fields: FieldRefs | None) -> list[str]:
    columns = {PRIMARY_ID[table], NAME[table]} | ({"mobilephone"} if table != "account" else set())
    if table == "account":
        columns.add("_primarycontactid_value")
    if fields:
        columns |= set(fields.columns) | {f"_{lookup}_value" for lookup in fields.lookups}
    return sorted(columns)


def _dynamic_rows(crm: Crm, table: str, query: str, fields: FieldRefs | None, page_size: int) -> Iterator[dict]:
    """Runs the dynamic list's FetchXML with the columns we need added."""
    fetch = ET.fromstring(query)
    entity = fetch.find("entity")
    if entity is None or entity.get("name") != table:
        raise ValueError(f"the dynamic list's query is not about {table} records")
    present = {a.get("name") for a in entity.findall("attribute")}
    wanted = {c[1:-6] if c.startswith("_") and c.endswith("_value") else c for c in _columns(table, fields)}
    if entity.find("all-attributes") is None:
        for name in sorted(wanted - present):
            ET.SubElement(entity, "attribute", name=name)
    if table == "account":
        link = ET.SubElement(entity, "link-entity", name="contact", attrib={
            "from": "contactid", "to": "primarycontactid", "link-type": "outer", "alias": LINKED_ALIAS})
        ET.SubElement(link, "attribute", name="mobilephone")
    return crm.fetch_xml(entity_set(table), ET.tostring(fetch, encoding="unicode"), page_size=page_size)


def _candidate(table: str, row: dict, list_name: str) -> Candidate:
    if table == "account":
        primary = row.get("primarycontactid")
        mobile = primary.get("mobilephone") if isinstance(primary, dict) else row.get(f"{LINKED_ALIAS}.mobilephone")
        missing = not row.get("_primarycontactid_value")
    else:
        mobile, missing = row.get("mobilephone"), False
    return Candidate(table, row[PRIMARY_ID[table]], row.get(NAME[table]), mobile, row, list_name, missing)

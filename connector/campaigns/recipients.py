"""The recipients of a campaign, streamed page by page from its marketing lists (DESIGN §4, §7).

Static lists are read through their N:N member relationship, dynamic lists by running their
FetchXML (paging cookie). Contacts and leads give their mobile; accounts the mobile of their
primary contact. Nothing here holds more than one page.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field

from connector.campaigns.model import RECIPIENT_TABLES, Campaign
from connector.crm.port import Crm, entity_set
from connector.text.templates import FieldRefs

LIST_MEMBERS = {"contact": "listcontact_association", "account": "listaccount_association",
                "lead": "listlead_association"}
PRIMARY_ID = {"contact": "contactid", "account": "accountid", "lead": "leadid"}
NAME = {"contact": "fullname", "account": "name", "lead": "fullname"}
PRIMARY_CONTACT = "primarycontactid($select=mobilephone,fullname)"
LINKED_ALIAS = "pc"       # FetchXML alias of an account's primary contact


@dataclass
class Candidate:
    table: str
    id: str
    name: str | None
    raw_mobile: str | None
    row: dict = field(repr=False)
    list_name: str = ""
    no_primary_contact: bool = False


def linked_lists(crm: Crm, campaign: Campaign) -> list[dict]:
    """The campaign's marketing lists of its recipient type (others cannot hold its recipients)."""
    lists = crm.related("campaigns", campaign.id, "campaignlist_association",
                        select=["listname", "type", "createdfromcode", "query"])
    return [row for row in lists if RECIPIENT_TABLES.get(row.get("createdfromcode")) == campaign.recipient_table]


def candidates(crm: Crm, campaign: Campaign, fields: FieldRefs | None, page_size: int = 5000) -> Iterator[Candidate]:
    table = campaign.recipient_table
    for marketing_list in linked_lists(crm, campaign):
        name = marketing_list.get("listname") or ""
        rows = (_dynamic_rows(crm, table, marketing_list["query"], fields, page_size)
                if marketing_list.get("type") else
                crm.related("lists", marketing_list["listid"], LIST_MEMBERS[table],
                            select=_columns(table, fields), page_size=page_size,
                            expand=PRIMARY_CONTACT if table == "account" else None))
        for row in rows:
            yield _candidate(table, row, name)


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

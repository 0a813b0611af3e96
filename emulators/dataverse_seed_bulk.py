"""Benchmark-sized campaigns for the Dataverse emulator: n contacts in one list, linked to a campaign.

The contacts go straight into SQLite (one transaction, one `executemany`), shaped as the Web API
writer would store them (audit columns, owner, full name), each with its own valid French mobile
(`+3361xxxxxxx`, then `+3362…`). A static list holds them through `listcontact_association`; a dynamic
list selects them with FetchXML on their shared last name (`Bulk <tag>`).
"""
from __future__ import annotations

import uuid

from .dataverse_columns import now, set_lookup

MAX_BULK = 20_000_000          # +3361 and +3362 blocks of 10,000,000 numbers


def bulk_contact(i: int, contact_id: str, lastname: str, stamp: str, owner: str) -> dict:
    data = {"contactid": contact_id, "firstname": f"Client {i:06d}", "lastname": lastname,
            "fullname": f"Client {i:06d} {lastname}",
            "mobilephone": f"+336{1 + i // 10_000_000}{i % 10_000_000:07d}",
            "statecode": 0, "statuscode": 1, "createdon": stamp, "modifiedon": stamp}
    for key in ("_createdby_value", "_modifiedby_value", "_ownerid_value"):
        set_lookup(data, key, owner, "systemuser")
    return data


def bulk_query(lastname: str) -> str:
    return ('<fetch version="1.0" output-format="xml-platform" mapping="logical" distinct="false">'
            '<entity name="contact"><attribute name="fullname" /><attribute name="contactid" />'
            '<filter type="and"><condition attribute="lastname" operator="eq" '
            f'value="{lastname}" /></filter></entity></fetch>')


def seed_bulk_campaign(emulator, n: int, *, owner_id: str, dynamic: bool = False) -> str:
    """A campaign for contacts linked to one list of `n` new contacts owned by `owner_id`; returns
    the campaign id."""
    if not 0 < n <= MAX_BULK:
        raise ValueError(f"n must be 1..{MAX_BULK}")
    tag, stamp = uuid.uuid4().hex[:8], now()
    lastname = f"Bulk {tag}"
    ids = [str(uuid.uuid4()) for _ in range(n)]
    emulator.store.insert_many("contacts", ((contact_id, bulk_contact(i, contact_id, lastname, stamp,
                                                                      owner_id))
                                            for i, contact_id in enumerate(ids)))
    list_id = emulator.insert("lists", {
        "listname": f"Liste {'dynamique' if dynamic else 'statique'} {n} contacts ({tag})",
        "createdfromcode": 2, "type": dynamic, "query": bulk_query(lastname) if dynamic else None,
        "membercount": n if dynamic else 0})
    if not dynamic:
        emulator.add_list_members(list_id, "contacts", ids)
    campaign_id = emulator.insert("campaigns", {
        "name": f"Campagne {n} contacts ({tag})", "smsc_recipienttype": 2, "smsc_smstype": 1,
        "smsc_smsstatus": 1, "smsc_text": "Bonjour [firstname], -10% ce week-end. STOP au 30101"})
    emulator.associate("campaigns", campaign_id, "campaignlist_association", "lists", list_id)
    return campaign_id

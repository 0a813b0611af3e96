"""The quota table `smsc_quota` and the month's consumption behind the `Quotas` port.

Consumption is ONE aggregate FetchXML request per check, whatever the month's activity count (docs:
"Aggregate data using FetchXml"): the sum of `smsc_segments` and the count of the user's SMS
activities (owner = the user) created in the month that went or are going (statuses Sending,
Scheduled, Sent, Delivered, Undeliverable: neither Draft, Send requested, Failed nor Cancelled;
incoming SMS are Received, so not counted). Dataverse aggregates at most 50,000 rows per query
(AggregateQueryRecordLimit): a user over that in one month is counted in halves of the month, each
split again while still too large (a few requests more, never one per SMS; a 100,000-recipient
campaign sent within minutes costs a few dozen).
"""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import datetime

from connector.activity import SmsStatus
from connector.clock import odata_utc
from connector.crm.port import Crm, CrmError
from connector.repositories.quotas import Enforcement, Limits, QuotaMode, QuotaRow, Usage

QUOTA_SET = "smsc_quotas"
ACTIVITY_SET = "smsc_textmessages"
COUNTED = (SmsStatus.SENDING, SmsStatus.SCHEDULED, SmsStatus.SENT, SmsStatus.DELIVERED, SmsStatus.UNDELIVERABLE)
COLUMNS = ["smsc_quotaid", "smsc_name", "_smsc_userid_value", "smsc_mode", "smsc_persendsms",
           "smsc_persendrecipients", "smsc_permonthsms", "smsc_permonthrecipients", "smsc_enforcement"]
LIMIT_EXCEEDED = "0x8004e023"          # AggregateQueryRecordLimit exceeded
MAX_SPLITS = 22                        # a month in slices of under a second: beyond any campaign's burst


def quota_row(row: dict) -> QuotaRow:
    # An empty or unknown choice: Specific limits, Warn (the row says something; nothing is refused by mistake).
    mode: int = row.get("smsc_mode") or 0
    enforcement: int = row.get("smsc_enforcement") or 0
    if mode not in QuotaMode._value2member_map_:
        mode = QuotaMode.SPECIFIC
    if enforcement not in Enforcement._value2member_map_:
        enforcement = Enforcement.WARN
    limits = Limits(row.get("smsc_persendsms"), row.get("smsc_persendrecipients"), row.get("smsc_permonthsms"),
                    row.get("smsc_permonthrecipients"))
    return QuotaRow(row.get("_smsc_userid_value") or None, QuotaMode(mode), limits, Enforcement(enforcement))


def usage_fetch(start: datetime, end: datetime, user_id: str | None = None) -> str:
    """The month's sum of segments and count of SMS: of one user, or grouped by owner."""
    fetch = ET.Element("fetch", aggregate="true")
    entity = ET.SubElement(fetch, "entity", name="smsc_textmessage")
    ET.SubElement(entity, "attribute", name="smsc_segments", alias="sms", aggregate="sum")
    ET.SubElement(entity, "attribute", name="activityid", alias="recipients", aggregate="count")
    if user_id is None:
        ET.SubElement(entity, "attribute", name="ownerid", alias="owner", groupby="true")
    where = ET.SubElement(entity, "filter", type="and")
    if user_id is not None:
        ET.SubElement(where, "condition", attribute="ownerid", operator="eq", value=user_id)
    statuses = ET.SubElement(where, "condition", attribute="smsc_status", operator="in")
    for status in COUNTED:
        ET.SubElement(statuses, "value").text = str(int(status))
    ET.SubElement(where, "condition", attribute="createdon", operator="ge", value=odata_utc(start))
    ET.SubElement(where, "condition", attribute="createdon", operator="lt", value=odata_utc(end))
    return ET.tostring(fetch, encoding="unicode")


def _too_many(error: CrmError) -> bool:
    return error.code.lower() == LIMIT_EXCEEDED


class DataverseQuotas:
    def __init__(self, crm: Crm):
        self.crm = crm
        self.requests = 0          # aggregate requests made (the benchmark reads it)

    def rows_for(self, user_id: str) -> tuple[QuotaRow | None, QuotaRow | None]:
        rows = [quota_row(r) for r in self.crm.retrieve_multiple(
            QUOTA_SET, select=COLUMNS,
            filter=f"_smsc_userid_value eq {uuid.UUID(user_id)} or _smsc_userid_value eq null")]
        own = next((r for r in rows if r.user_id and r.user_id.lower() == user_id.lower()), None)
        return own, next((r for r in rows if r.user_id is None), None)

    def all_rows(self) -> list[QuotaRow]:
        return [quota_row(r) for r in self.crm.retrieve_multiple(QUOTA_SET, select=COLUMNS)]

    def month_usage(self, user_id: str, start: datetime, end: datetime) -> Usage:
        return self._usage(start, end, user_id).get(user_id.lower(), Usage())

    def usage_by_user(self, start: datetime, end: datetime) -> dict[str, Usage]:
        return self._usage(start, end, None)

    def _usage(self, start: datetime, end: datetime, user_id: str | None, depth: int = 0) -> dict[str, Usage]:
        self.requests += 1
        try:
            groups = list(self.crm.fetch_xml(ACTIVITY_SET, usage_fetch(start, end, user_id)))
        except CrmError as error:
            if not _too_many(error) or depth >= MAX_SPLITS:
                raise
            middle = start + (end - start) / 2
            first, second = self._usage(start, middle, user_id, depth + 1), self._usage(middle, end, user_id, depth + 1)
            return {owner: Usage(first.get(owner, Usage()).sms + second.get(owner, Usage()).sms,
                                 first.get(owner, Usage()).recipients + second.get(owner, Usage()).recipients)
                    for owner in first.keys() | second.keys()}
        found: dict[str, Usage] = {}
        for group in groups:
            owner = (user_id if user_id is not None else group.get("owner")) or ""
            count = int(group.get("recipients") or 0)
            if owner and count:
                found[owner.lower()] = Usage(int(group.get("sms") or 0), count)
        return found

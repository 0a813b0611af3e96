"""A campaign's figures behind the `CampaignFiguresSource` port: ONE aggregate FetchXML request on
its SMS activities, whatever their number (docs: "Aggregate data using FetchXml").

The SMS that left are counted per status (Sent, Delivered, Undeliverable); the replies (incoming,
Received, threaded to the campaign while it was open) are counted as distinct numbers.

Dataverse aggregates at most 50,000 rows per query (AggregateQueryRecordLimit). A larger campaign
is counted in slices: the replies alone, then the SMS sent by the first hexadecimal digits of their
recipient's id (the end of the idempotency key `camp:<campaign>:<table>:<record id>`), 16 slices,
each split again if still too large: about 17 requests for 100,000 recipients, never one per SMS.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from connector.activity import SmsStatus
from connector.crm.port import Crm, CrmError
from connector.crm.sms_activities import ACTIVITY_SET
from connector.idempotency import campaign_recipient_key
from connector.repositories.campaign_figures import CampaignFigures

INCOMING = 2
LEFT = (SmsStatus.SENT, SmsStatus.DELIVERED, SmsStatus.UNDELIVERABLE)
LIMIT_EXCEEDED = "0x8004e023"          # AggregateQueryRecordLimit exceeded
HEX = "0123456789abcdef"
MAX_DIGITS = 3                         # 4,096 slices of 50,000: far beyond any campaign


def figures_fetch(campaign_id: str, statuses: Sequence[SmsStatus], *, key_like: str | None = None,
                  aggregate_limit: int | None = None) -> str:
    """Per (status, direction): the activities and the distinct numbers, for one campaign."""
    fetch = ET.Element("fetch", aggregate="true")
    if aggregate_limit is not None:
        fetch.set("aggregatelimit", str(aggregate_limit))
    entity = ET.SubElement(fetch, "entity", name="smsc_textmessage")
    ET.SubElement(entity, "attribute", name="activityid", alias="count", aggregate="count")
    ET.SubElement(entity, "attribute", name="smsc_phonenumber", alias="numbers", aggregate="countcolumn",
                  distinct="true")
    ET.SubElement(entity, "attribute", name="smsc_status", alias="status", groupby="true")
    ET.SubElement(entity, "attribute", name="smsc_direction", alias="direction", groupby="true")
    where = ET.SubElement(entity, "filter", type="and")
    ET.SubElement(where, "condition", attribute="smsc_campaignid", operator="eq", value=campaign_id)
    condition = ET.SubElement(where, "condition", attribute="smsc_status", operator="in")
    for status in statuses:
        ET.SubElement(condition, "value").text = str(int(status))
    if key_like is not None:
        ET.SubElement(where, "condition", attribute="smsc_idempotencykey", operator="like", value=key_like)
    return ET.tostring(fetch, encoding="unicode")


def figures_from_groups(groups: list[dict]) -> CampaignFigures:
    by_status = {int(status): 0 for status in LEFT}
    repliers = 0
    for group in groups:
        status, count = group.get("status"), int(group.get("count") or 0)
        if status == SmsStatus.RECEIVED and group.get("direction") == INCOMING:
            repliers += int(group.get("numbers") or 0)
        elif status in by_status:
            by_status[status] += count
    return CampaignFigures(sent=sum(by_status.values()), delivered=by_status[SmsStatus.DELIVERED],
                           undeliverable=by_status[SmsStatus.UNDELIVERABLE], repliers=repliers)


def _too_many(error: CrmError) -> bool:
    return error.code.lower() == LIMIT_EXCEEDED


class DataverseCampaignFigures:
    def __init__(self, crm: Crm, aggregate_limit: int | None = None):
        self.crm = crm
        self.aggregate_limit = aggregate_limit     # a lower limit than Dataverse's (tests, slow organisations)

    def figures(self, campaign_id: str) -> CampaignFigures:
        try:
            return figures_from_groups(self._groups(campaign_id, (*LEFT, SmsStatus.RECEIVED)))
        except CrmError as error:
            if not _too_many(error):
                raise
        groups = self._groups(campaign_id, (SmsStatus.RECEIVED,))
        for digit in HEX:
            groups += self._slice(campaign_id, digit)
        return figures_from_groups(groups)

    def _slice(self, campaign_id: str, digits: str) -> list[dict]:
        """The SMS sent to the recipients whose id starts with `digits` (split again when too many)."""
        like = campaign_recipient_key(campaign_id, "%", digits) + "%"
        try:
            return self._groups(campaign_id, LEFT, key_like=like)
        except CrmError as error:
            if not _too_many(error) or len(digits) >= MAX_DIGITS:
                raise
        return [group for digit in HEX for group in self._slice(campaign_id, digits + digit)]

    def _groups(self, campaign_id: str, statuses: Sequence[SmsStatus], key_like: str | None = None) -> list[dict]:
        fetch = figures_fetch(campaign_id, statuses, key_like=key_like, aggregate_limit=self.aggregate_limit)
        return list(self.crm.fetch_xml(ACTIVITY_SET, fetch))

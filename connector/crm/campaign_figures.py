"""A campaign's figures behind the `CampaignFiguresSource` port: ONE aggregate FetchXML request on
its SMS activities, whatever their number (docs: "Aggregate data using FetchXml").

The SMS that left are counted per status (Sent, Delivered, Undeliverable); the replies (incoming,
Received, threaded to the campaign while it was open) are counted as distinct numbers. Dataverse
aggregates at most 50,000 rows per query (AggregateQueryRecordLimit): beyond that the error says so.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from connector.activity import SmsStatus
from connector.crm.port import Crm
from connector.crm.sms_activities import ACTIVITY_SET
from connector.repositories.campaign_figures import CampaignFigures

INCOMING = 2
LEFT = (SmsStatus.SENT, SmsStatus.DELIVERED, SmsStatus.UNDELIVERABLE)


def figures_fetch(campaign_id: str) -> str:
    """Per (status, direction): the activities and the distinct numbers, for one campaign."""
    fetch = ET.Element("fetch", aggregate="true")
    entity = ET.SubElement(fetch, "entity", name="smsc_textmessage")
    ET.SubElement(entity, "attribute", name="activityid", alias="count", aggregate="count")
    ET.SubElement(entity, "attribute", name="smsc_phonenumber", alias="numbers", aggregate="countcolumn",
                  distinct="true")
    ET.SubElement(entity, "attribute", name="smsc_status", alias="status", groupby="true")
    ET.SubElement(entity, "attribute", name="smsc_direction", alias="direction", groupby="true")
    where = ET.SubElement(entity, "filter", type="and")
    ET.SubElement(where, "condition", attribute="smsc_campaignid", operator="eq", value=campaign_id)
    statuses = ET.SubElement(where, "condition", attribute="smsc_status", operator="in")
    for status in (*LEFT, SmsStatus.RECEIVED):
        ET.SubElement(statuses, "value").text = str(int(status))
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


class DataverseCampaignFigures:
    def __init__(self, crm: Crm):
        self.crm = crm

    def figures(self, campaign_id: str) -> CampaignFigures:
        return figures_from_groups(list(self.crm.fetch_xml(ACTIVITY_SET, figures_fetch(campaign_id))))

"""The quota table `smsc_quota` and the month's consumption behind the `Quotas` port.

Consumption is ONE aggregate FetchXML request per check, whatever the month's activity count (docs:
"Aggregate data using FetchXml"): the sum of `smsc_segments` and the count of the user's SMS
activities (owner = the user; for a workflow's SMS, the workflow's owner) created in the month
that went or are going (statuses Sending, Scheduled, Sent, Delivered, Undeliverable: neither
Draft, Send requested, Failed nor Cancelled; incoming SMS are Received, so not counted).
Dataverse aggregates at most 50,000 rows per query (AggregateQueryRecordLimit): a user over that
in one month is counted in halves of the month, each split again while still too large (a few
requests more, never one per SMS; a 100,000-recipient campaign sent within minutes costs a few dozen).
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
WORKFLOW_SET = "smsc_workflows"
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


def usage_fetch(start: datetime, end: datetime, user_id: str | None = None, *, by: str = "ownerid") -> str:
    """The month's sum of segments and count of SMS. Of one user: the SMS they own that no workflow
    sent, and the SMS of the workflows they own (« il viendra incrémenter leur contingentement »: a
    workflow's SMS count against the workflow's owner, whoever created the activity), through an outer
    link to `smsc_workflow`. Without a user: grouped `by` the activity's owner (SMS no workflow sent)
    or by workflow (`smsc_workflowid`, the workflows' SMS), the caller adding up per user."""
    fetch = ET.Element("fetch", aggregate="true")
    entity = ET.SubElement(fetch, "entity", name="smsc_textmessage")
    ET.SubElement(entity, "attribute", name="smsc_segments", alias="sms", aggregate="sum")
    ET.SubElement(entity, "attribute", name="activityid", alias="recipients", aggregate="count")
    if user_id is None:
        ET.SubElement(entity, "attribute", name=by, alias="owner", groupby="true")
    where = ET.SubElement(entity, "filter", type="and")
    if user_id is not None:
        whose = ET.SubElement(where, "filter", type="or")
        own = ET.SubElement(whose, "filter", type="and")
        ET.SubElement(own, "condition", attribute="ownerid", operator="eq", value=user_id)
        ET.SubElement(own, "condition", attribute="smsc_workflowid", operator="null")
        ET.SubElement(whose, "condition", entityname="workflow", attribute="ownerid", operator="eq", value=user_id)
    elif by == "ownerid":
        ET.SubElement(where, "condition", attribute="smsc_workflowid", operator="null")
    else:
        ET.SubElement(where, "condition", attribute="smsc_workflowid", operator="not-null")
    statuses = ET.SubElement(where, "condition", attribute="smsc_status", operator="in")
    for status in COUNTED:
        ET.SubElement(statuses, "value").text = str(int(status))
    ET.SubElement(where, "condition", attribute="createdon", operator="ge", value=odata_utc(start))
    ET.SubElement(where, "condition", attribute="createdon", operator="lt", value=odata_utc(end))
    if user_id is not None:
        ET.SubElement(entity, "link-entity", {"name": "smsc_workflow", "from": "smsc_workflowid",
                                              "to": "smsc_workflowid", "link-type": "outer", "alias": "workflow"})
    return ET.tostring(fetch, encoding="unicode")


def _plus(one: Usage, other: Usage) -> Usage:
    return Usage(one.sms + other.sms, one.recipients + other.recipients)


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
        """Two aggregates (the SMS no workflow sent, by owner; the workflows' SMS, by workflow) and the
        workflows' owners."""
        found = self._usage(start, end, None)
        by_workflow = self._usage(start, end, None, by="smsc_workflowid")
        if by_workflow:
            owners = {row["smsc_workflowid"].lower(): (row.get("_ownerid_value") or "").lower()
                      for row in self.crm.retrieve_multiple(WORKFLOW_SET, select=["smsc_workflowid", "_ownerid_value"])}
            for workflow, usage in by_workflow.items():
                owner = owners.get(workflow)
                if owner:
                    found[owner] = _plus(found.get(owner, Usage()), usage)
        return found

    def _usage(self, start: datetime, end: datetime, user_id: str | None, depth: int = 0,
               by: str = "ownerid") -> dict[str, Usage]:
        self.requests += 1
        try:
            groups = list(self.crm.fetch_xml(ACTIVITY_SET, usage_fetch(start, end, user_id, by=by)))
        except CrmError as error:
            if not _too_many(error) or depth >= MAX_SPLITS:
                raise
            middle = start + (end - start) / 2
            first = self._usage(start, middle, user_id, depth + 1, by)
            second = self._usage(middle, end, user_id, depth + 1, by)
            return {owner: _plus(first.get(owner, Usage()), second.get(owner, Usage()))
                    for owner in first.keys() | second.keys()}
        found: dict[str, Usage] = {}
        for group in groups:
            owner = (user_id if user_id is not None else group.get("owner")) or ""
            count = int(group.get("recipients") or 0)
            if owner and count:
                found[owner.lower()] = Usage(int(group.get("sms") or 0), count)
        return found

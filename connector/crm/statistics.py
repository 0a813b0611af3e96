"""The statistics behind the `StatisticsSource` port: aggregate FetchXML on the SMS activities and the
opt-outs (docs: "Aggregate data using FetchXml"), ONE request per figure set whatever the period's
volume; the groups come back in pages of 5,000 (connector.crm.fetchxml), far more than a period has.

- Sending: outgoing SMS created in the period with a status that says they were tried (Sent,
  Delivered, Undeliverable, Failed: a status only outgoing SMS take), counted, their segments and cost
  summed, grouped by status and by the owner, template, campaign, SMS type, or the day or month of
  `createdon` in the calling user's time zone (`dategrouping`, whose `usertimezone` is true by default:
  docs, FetchXML attribute element). `time_zone` says which zone that is — the personal options of the
  user the requests run as (WhoAmI) — so that the service gives the period's bounds as that user's
  local midnights.
- Replies: incoming SMS (Received) created in the period, counted, and their distinct numbers.
- STOP: opt-outs with the reason STOP created in the period (a number that says STOP again after
  START keeps its row, so it counts when it first said it).

Dataverse aggregates at most 50,000 rows per query (AggregateQueryRecordLimit): a larger period is
counted in halves, each split again while still too large (two requests more per 50,000 rows, never one
per SMS). Distinct repliers of two halves are added (a number that replied in both counts twice).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from connector.activity import SmsStatus
from connector.clock import odata_utc
from connector.crm.port import Crm, CrmError
from connector.crm.users import DataverseUsers, calling_user
from connector.repositories.statistics import Counted, Grouping, Replies, Sending

ACTIVITY_SET = "smsc_textmessages"
OPTOUT_SET = "smsc_optouts"
FORMATTED = "@OData.Community.Display.V1.FormattedValue"
TRIED = (SmsStatus.SENT, SmsStatus.DELIVERED, SmsStatus.UNDELIVERABLE, SmsStatus.FAILED)
LEFT = (SmsStatus.SENT, SmsStatus.DELIVERED, SmsStatus.UNDELIVERABLE)
INCOMING = 2
STOP_REASON = 1
LIMIT_EXCEEDED = "0x8004e023"          # AggregateQueryRecordLimit exceeded
MAX_SPLITS = 22                        # a month in slices of under a second
COLUMNS = {Grouping.USER: "ownerid", Grouping.TEMPLATE: "smsc_templateid", Grouping.CAMPAIGN: "smsc_campaignid",
           Grouping.TYPE: "smsc_smstype"}
DATE_PARTS = {Grouping.DAY: ("year", "month", "day"), Grouping.MONTH: ("year", "month")}
V = TypeVar("V")


def _fetch(entity_name: str, start: datetime, end: datetime, by: Grouping | None) -> tuple[ET.Element, ET.Element]:
    fetch = ET.Element("fetch", aggregate="true")
    entity = ET.SubElement(fetch, "entity", name=entity_name)
    if by in DATE_PARTS:
        for part in DATE_PARTS[by]:
            ET.SubElement(entity, "attribute", name="createdon", alias=part, groupby="true", dategrouping=part)
    elif by is not None:
        ET.SubElement(entity, "attribute", name=COLUMNS[by], alias="group", groupby="true")
    where = ET.SubElement(entity, "filter", type="and")
    ET.SubElement(where, "condition", attribute="createdon", operator="ge", value=odata_utc(start))
    ET.SubElement(where, "condition", attribute="createdon", operator="lt", value=odata_utc(end))
    return fetch, entity


def _statuses(where: ET.Element, statuses) -> None:
    condition = ET.SubElement(where, "condition", attribute="smsc_status", operator="in")
    for status in statuses:
        ET.SubElement(condition, "value").text = str(int(status))


def sending_fetch(start: datetime, end: datetime, by: Grouping | None) -> str:
    fetch, entity = _fetch("smsc_textmessage", start, end, by)
    ET.SubElement(entity, "attribute", name="activityid", alias="count", aggregate="count")
    ET.SubElement(entity, "attribute", name="smsc_segments", alias="segments", aggregate="sum")
    ET.SubElement(entity, "attribute", name="smsc_cost", alias="cost", aggregate="sum")
    ET.SubElement(entity, "attribute", name="smsc_status", alias="status", groupby="true")
    _statuses(entity.find("filter"), TRIED)        # type: ignore[arg-type]
    return ET.tostring(fetch, encoding="unicode")


def replies_fetch(start: datetime, end: datetime, by: Grouping | None) -> str:
    fetch, entity = _fetch("smsc_textmessage", start, end, by)
    ET.SubElement(entity, "attribute", name="activityid", alias="count", aggregate="count")
    ET.SubElement(entity, "attribute", name="smsc_phonenumber", alias="numbers", aggregate="countcolumn",
                  distinct="true")
    where = entity.find("filter")
    assert where is not None
    _statuses(where, (SmsStatus.RECEIVED,))
    ET.SubElement(where, "condition", attribute="smsc_direction", operator="eq", value=str(INCOMING))
    return ET.tostring(fetch, encoding="unicode")


def stops_fetch(start: datetime, end: datetime, by: Grouping | None) -> str:
    fetch, entity = _fetch("smsc_optout", start, end, by)
    ET.SubElement(entity, "attribute", name="smsc_optoutid", alias="count", aggregate="count")
    where = entity.find("filter")
    assert where is not None
    ET.SubElement(where, "condition", attribute="smsc_reason", operator="eq", value=str(STOP_REASON))
    return ET.tostring(fetch, encoding="unicode")


def group_key(row: dict, by: Grouping | None) -> tuple[str | None, str | None]:
    """(key, the CRM's name of the row) of one aggregate row."""
    if by is None:
        return None, None
    if by in DATE_PARTS:
        parts = [int(row[part]) for part in DATE_PARTS[by]]
        return "-".join(f"{part:02d}" for part in parts), None
    value = row.get("group")
    if value is None:
        return None, None
    return str(value).lower(), row.get("group" + FORMATTED)


def sending_groups(rows: list[dict], by: Grouping | None) -> dict[str | None, Counted[Sending]]:
    found: dict[str | None, Counted[Sending]] = {}
    for row in rows:
        key, label = group_key(row, by)
        status, count = row.get("status"), int(row.get("count") or 0)
        if status == SmsStatus.FAILED:
            add = Sending(failed=count)
        else:
            add = Sending(sent=count, sms=int(row.get("segments") or 0),
                          delivered=count if status == SmsStatus.DELIVERED else 0,
                          undeliverable=count if status == SmsStatus.UNDELIVERABLE else 0,
                          cost=float(row.get("cost") or 0))
        before = found.get(key)
        found[key] = Counted(label or (before.label if before else None), (before.value + add) if before else add)
    return found


def replies_groups(rows: list[dict], by: Grouping | None) -> dict[str | None, Counted[Replies]]:
    found: dict[str | None, Counted[Replies]] = {}
    for row in rows:
        key, label = group_key(row, by)
        found[key] = Counted(label, Replies(int(row.get("count") or 0), int(row.get("numbers") or 0)))
    return found


def _too_many(error: CrmError) -> bool:
    return error.code.lower() == LIMIT_EXCEEDED


def _merge(first: dict, second: dict) -> dict:
    """Two halves' groups added up (Counted values, or plain numbers)."""
    merged = dict(first)
    for key, value in second.items():
        before = merged.get(key)
        if before is None:
            merged[key] = value
        elif isinstance(value, Counted):
            merged[key] = Counted(before.label or value.label, before.value + value.value)
        else:
            merged[key] = before + value
    return merged


class DataverseStatistics:
    def __init__(self, crm: Crm):
        self.crm = crm

    def time_zone(self) -> str:
        """The calling user's zone (their personal options), UTC when they have none the connector knows."""
        return DataverseUsers(self.crm).user_format(calling_user(self.crm)).time_zone or "UTC"

    def sending(self, start: datetime, end: datetime, by: Grouping | None) -> dict[str | None, Counted[Sending]]:
        return self._split(start, end, lambda s, e: sending_groups(
            list(self.crm.fetch_xml(ACTIVITY_SET, sending_fetch(s, e, by))), by))

    def replies(self, start: datetime, end: datetime, by: Grouping | None) -> dict[str | None, Counted[Replies]]:
        if by not in (None, Grouping.CAMPAIGN, Grouping.DAY, Grouping.MONTH):
            raise ValueError(f"replies are not counted by {by}")
        return self._split(start, end, lambda s, e: replies_groups(
            list(self.crm.fetch_xml(ACTIVITY_SET, replies_fetch(s, e, by))), by))

    def stops(self, start: datetime, end: datetime, by: Grouping | None) -> dict[str | None, int]:
        if by not in (None, Grouping.DAY, Grouping.MONTH):
            raise ValueError(f"STOP opt-outs are not counted by {by}")
        return self._split(start, end, lambda s, e: {
            group_key(row, by)[0]: int(row.get("count") or 0)
            for row in self.crm.fetch_xml(OPTOUT_SET, stops_fetch(s, e, by))})

    def _split(self, start: datetime, end: datetime, count: Callable[[datetime, datetime], dict[str | None, V]],
               depth: int = 0) -> dict[str | None, V]:
        try:
            return count(start, end)
        except CrmError as error:
            if not _too_many(error) or depth >= MAX_SPLITS:
                raise
        middle = start + (end - start) / 2
        return _merge(self._split(start, middle, count, depth + 1), self._split(middle, end, count, depth + 1))

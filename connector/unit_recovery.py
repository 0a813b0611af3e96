"""Unit SMS left in *Sending* (the function stopped between the take and the write-back) are
resumed by a timer with the key they were taken with, so they are neither lost nor sent twice.

The provider deduplicates `request_id` for 24 hours (reference/octopush.md); activities stuck
longer than that are marked Failed for a person to check rather than resent blindly.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from connector.activity import ACTIVITY_SET, COLUMNS, SmsStatus
from connector.crm.port import Crm
from connector.sms.port import SmsProvider
from connector.clock import odata_utc, parse_utc, utcnow
from connector.unit_sms import UnitSmsResult, UnitSmsService

STUCK_AFTER = timedelta(minutes=10)       # well past the longest webhook call (60 s) and its retry
DEDUP_WINDOW = timedelta(hours=23)         # inside the provider's 24 h request_id memory
RESUME_COLUMNS = COLUMNS + ("modifiedon",)


def stuck_sends(crm: Crm, now: datetime, limit: int = 500):
    query = (f"smsc_status eq {int(SmsStatus.SENDING)} and modifiedon lt {odata_utc(now - STUCK_AFTER)}"
             " and _smsc_campaignid_value eq null")
    return crm.retrieve_multiple(ACTIVITY_SET, select=RESUME_COLUMNS, filter=query,
                                 orderby="modifiedon asc", top=limit)


def resume_stuck_sends(crm: Crm, provider: SmsProvider, now: datetime | None = None) -> list[UnitSmsResult]:
    now = now or utcnow()
    service = UnitSmsService(crm, provider, clock=lambda: now)
    results = []
    for activity in stuck_sends(crm, now):
        modified = parse_utc(activity["modifiedon"])
        if now - modified > DEDUP_WINDOW:
            results.append(service.record_failure(activity["activityid"], activity["@odata.etag"],
                                         "the send was interrupted more than 23 hours ago and may or may "
                                         "not have gone out; check with the provider before sending again",
                                         keep_key=True))
        else:
            results.append(service.resume(activity))
    return results

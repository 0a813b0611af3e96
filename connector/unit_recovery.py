"""Unit SMS left in *Sending* (the function stopped between the take and the write-back) are
resumed by a timer with the key they were taken with, so they are neither lost nor sent twice.

The provider deduplicates `request_id` for 24 hours (reference/octopush.md); activities stuck
longer than that are marked Failed for a person to check rather than resent blindly.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from connector.unit_sms import UnitSmsResult, UnitSmsService

STUCK_AFTER = timedelta(minutes=10)       # well past the longest webhook call (60 s) and its retry
DEDUP_WINDOW = timedelta(hours=23)         # inside the provider's 24 h request_id memory
TOO_OLD = ("the send was interrupted more than 23 hours ago and may or may not have gone out; "
           "check with the provider before sending again")


def resume_stuck_sends(service: UnitSmsService, now: datetime | None = None) -> list[UnitSmsResult]:
    """Resume (or give up on) every unit SMS stuck in Sending, as of `now` (default: the service's clock)."""
    instant = now or service.clock()
    service = service.at(lambda: instant)
    results = []
    for activity in service.activities.stuck_sending(instant - STUCK_AFTER):
        if activity.modified_on is not None and instant - activity.modified_on > DEDUP_WINDOW:
            results.append(service.fail(activity.id, activity.etag, TOO_OLD, keep_key=True))
        else:
            results.append(service.resume(activity))
    return results

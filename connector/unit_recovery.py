"""Unit SMS are never left silently (DESIGN §3: a failure is written where the user sees it).

- Left in *Sending* (the function stopped between the take and the write-back): resumed by a timer
  with the key they were taken with, so they are neither lost nor sent twice. The provider
  deduplicates `request_id` for 24 hours (reference/octopush.md); activities stuck longer than that
  are marked Failed for a person to check rather than resent blindly. A provider that does not
  deduplicate (capabilities.idempotent_requests false: smsmode, ACS) gets nothing resent: Failed, with why.
- Left in *Send requested* (Dataverse throttled longer than both webhook deliveries last, or the
  function app was down): taken up once by a timer, through the same unit send as the webhook (the
  take under the ETag, the SMS's own key), so a late webhook delivery and the timer cannot both send
  it. What cannot be sent ends Failed with the reason, in its owner's language.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from itertools import islice

from connector.errors import SmscError
from connector.repositories.sms_activities import SmsActivity
from connector.unit_sms import UnitSmsResult, UnitSmsService
from connector.user_texts import say

log = logging.getLogger(__name__)
STUCK_AFTER = timedelta(minutes=10)       # well past the longest webhook call (60 s) and its retry
DEDUP_WINDOW = timedelta(hours=23)         # inside the provider's 24 h request_id memory
TOO_OLD = ("the send was interrupted more than 23 hours ago and may or may not have gone out; "
           "check with the provider before sending again")
LEFT_AFTER = timedelta(minutes=5)          # both webhook deliveries (60 s each) and their retry are over
LEFT_TOO_LONG = timedelta(hours=23)        # older requests are not sent unasked: the user says again
PAGE_SIZE = 500
MOST_PER_RUN = 1000                        # a longer backlog goes on the next run


def resume_stuck_sends(service: UnitSmsService, now: datetime | None = None) -> list[UnitSmsResult]:
    """Resume (or give up on) every unit SMS stuck in Sending, as of `now` (default: the service's clock)."""
    instant = now or service.clock()
    service = service.at(lambda: instant)
    results = []
    for activity in service.activities.stuck_sending(instant - STUCK_AFTER):
        if activity.modified_on is not None and instant - activity.modified_on > DEDUP_WINDOW:
            results.append(service.fail(activity.id, activity.etag, TOO_OLD, keep_key=True))
        elif not service.provider.capabilities.idempotent_requests:
            # smsmode, ACS: nothing refuses a request sent twice, and the interrupted attempt may have gone out.
            # Never twice: the user reads why and sends it again if it did not arrive.
            reason = say(service.lang_of(activity.owner_id), "unit_interrupted_not_resent",
                         provider=service.provider.label)
            results.append(service.fail(activity.id, activity.etag, reason, keep_key=False))
        else:
            results.append(service.resume(activity))
    return results


def take_up_left_requests(service: UnitSmsService, now: datetime | None = None) -> list[UnitSmsResult]:
    """Send (once) every unit SMS left Send requested for more than `LEFT_AFTER`, as of `now`."""
    instant = now or service.clock()
    service = service.at(lambda: instant)
    # All pages read before any write: each take moves its row out of the query's result.
    left = list(islice(service.activities.left_requested(instant - LEFT_AFTER, page_size=PAGE_SIZE), MOST_PER_RUN))
    return [_take_up(service, activity, instant) for activity in left]


def _take_up(service: UnitSmsService, activity: SmsActivity, instant: datetime) -> UnitSmsResult:
    if activity.modified_on is not None and instant - activity.modified_on > LEFT_TOO_LONG:
        hours = int(LEFT_TOO_LONG.total_seconds() // 3600)
        reason = say(service.lang_of(activity.owner_id), "unit_left_too_old", hours=hours)
        return service.fail(activity.id, activity.etag, reason, keep_key=True)
    try:
        return service.send(activity.id, activity.owner_id)
    except SmscError as error:
        # Failed with the reason, conditional on the version the query read: if the send took the row
        # before it failed (it is Sending), that write loses and the Sending recovery finishes it.
        log.warning("unit SMS %s left Send requested could not be sent: %s", activity.id, error.message)
        try:
            reason = say(service.lang_of(activity.owner_id), "unit_left_failed", detail=error.message)
            return service.fail(activity.id, activity.etag, reason, keep_key=True)
        except SmscError as again:      # the CRM still refuses: the next run tries once more
            log.warning("unit SMS %s: its failure could not be written: %s", activity.id, again.message)
            return UnitSmsResult("error", activity.id, detail=error.message)

"""Unit SMS held by the connector leave at their time (DESIGN §7 « Schedules »).

A due date in the future, or quiet times for a marketing SMS, make the unit send write the SMS
*Scheduled*, its due date the instant it leaves, with no provider ticket (`connector.unit_sms`).
Every minute this reads the held SMS whose time has come, in one query read page by page, and
releases each: taken under the ETag the query returned (Scheduled -> Sending), so an SMS cancelled
since, or released by another instance of the timer, is left alone; then sent with its key exactly
as an immediate send. Until that take, the user's « Annuler l'envoi » wins.
"""
from __future__ import annotations

import logging
from datetime import datetime
from itertools import islice

from connector.errors import SmscError
from connector.unit_sms import UnitSmsResult, UnitSmsService

log = logging.getLogger(__name__)
PAGE_SIZE = 500
MOST_PER_RUN = 2000         # a longer backlog goes on the next minute's run


def release_due_sms(service: UnitSmsService, now: datetime | None = None) -> list[UnitSmsResult]:
    """Release every held unit SMS due at `now` (default: the service's clock); what each became."""
    instant = now or service.clock()
    service = service.at(lambda: instant)
    # Read before any write: the takes change the rows the query selects, so its pages are all read first.
    due = list(islice(service.activities.due_scheduled(instant, page_size=PAGE_SIZE), MOST_PER_RUN))
    results = []
    for activity in due:
        try:
            results.append(service.release(activity))
        except SmscError as error:      # the CRM failed on this one: it stays Scheduled (or Sending: recovered)
            log.warning("unit SMS %s not released this time: %s", activity.id, error.message)
            results.append(UnitSmsResult("error", activity.id, detail=error.message))
    return results

"""Work queues (port): where long work continues, now or at a given time — a campaign action a
button asked for, one part of a campaign's release, a schedule held until it is due.

Messages are small JSON objects naming records (ids, part numbers), never phone numbers or texts:
a queue is storage the CRM's security does not cover.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Protocol

CAMPAIGN_ACTIONS = "smsc-campaign-actions"      # a campaign button's action (simulate, prepare, validate...)
CAMPAIGN_PARTS = "smsc-campaign-parts"          # one part of a validated campaign, released by one worker
POISON_SUFFIX = "-poison"                       # where the Functions host moves a message that kept failing
# Azure Storage queues hide a message for at most 7 days: a longer hold is put again when it surfaces.
MAX_DELAY = timedelta(days=7)


class WorkQueue(Protocol):
    name: str

    def put(self, message: dict, *, delay: timedelta | None = None) -> None:
        """Adds `message`, delivered once `delay` has passed (capped at MAX_DELAY by the adapter)."""
        ...

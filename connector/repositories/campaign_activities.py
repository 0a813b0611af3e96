"""The SMS activities a campaign leaves: one per recipient once released, created many at a time;
the scheduled ones (deferred start, quiet hours) can be cancelled until they leave."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from connector.repositories.campaigns import Campaign
from connector.sms.port import SmsType


ACTIVITIES_PER_CREATE = 1000   # activities per create operation (the CRM's advice for CreateMultiple)


@dataclass(frozen=True)
class CampaignSms:
    """One recipient's SMS of a campaign."""
    idempotency_key: str            # campaign + recipient: a second create of it is refused
    table: str
    record_id: str
    number: str
    text: str
    encoding: str                   # "GSM-7" or "UCS-2"
    segments: int
    provider_ticket: str | None
    cost: float | None = None       # its share of what the provider charged (smsc_cost)


@dataclass(frozen=True)
class ScheduledSms:
    activity_id: str
    provider_ticket: str | None


class CampaignActivities(Protocol):
    def create(self, campaign: Campaign, messages: Sequence[CampaignSms], *, sms_type: SmsType,
               sender: str | None, sent_at: datetime | None) -> int:
        """One activity per message (a request per 1,000), Sent at `sent_at`, or Scheduled
        when None. A message whose key is already there is left alone; returns how many were
        refused for another reason."""
        ...

    def scheduled(self, campaign_id: str) -> Iterator[ScheduledSms]:
        """The campaign's activities still Scheduled."""
        ...

    def cancel(self, activity_ids: Sequence[str]) -> None:
        """Marks them Cancelled (up to 1,000 in one request)."""
        ...

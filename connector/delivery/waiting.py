"""Reports that arrived before their campaign activities: a campaign sends first and writes its
activities after (connector.campaigns.release), and a provider may report within that second. The
campaign's activities, seen through `AppliesWaitingReports`, apply those reports as soon as they are
written; the sweep timer is the safety net when this fails."""
from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime

from connector.errors import SmscError
from connector.repositories.campaign_activities import CampaignActivities, CampaignSms, ScheduledSms
from connector.repositories.campaigns import Campaign
from connector.sms.port import SmsType

log = logging.getLogger(__name__)


class AppliesWaitingReports:
    """A `CampaignActivities` that, after each create, applies the reports waiting for its tickets."""

    def __init__(self, activities: CampaignActivities, apply_waiting: Callable[[Collection[str]], object]):
        self.activities, self.apply_waiting = activities, apply_waiting

    def create(self, campaign: Campaign, messages: Sequence[CampaignSms], *, sms_type: SmsType,
               sender: str | None, sent_at: datetime | None) -> int:
        refused = self.activities.create(campaign, messages, sms_type=sms_type, sender=sender, sent_at=sent_at)
        tickets = {m.provider_ticket for m in messages if m.provider_ticket}
        if tickets:
            try:
                self.apply_waiting(tickets)
            except SmscError as error:      # the campaign goes on; the sweep timer applies them later
                log.warning("reports waiting for campaign %s stay for the sweep: %s", campaign.id, error)
        return refused

    def scheduled(self, campaign_id: str) -> Iterator[ScheduledSms]:
        return self.activities.scheduled(campaign_id)

    def cancel(self, activity_ids: Sequence[str]) -> None:
        self.activities.cancel(activity_ids)

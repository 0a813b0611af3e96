"""The resume timer's rule: campaigns left Sending whose lease has run out (a worker died, a message
was lost) get the parts that are neither done nor failed queued again, as the user who validated.

Failed parts are left to the user (validating again takes them up): a part failing for good is not
retried every few minutes. A campaign whose parts are all settled but whose end was never written
(a crash right after its last part) is ended here.

A preparation killed mid-way (the host stops a function after 10 minutes, an instance is recycled) leaves
its campaign In construction, from which prepare is refused: past PREPARATION_DEAD it is put back to Not
transmitted with the reason, so the marketer prepares it again (the new preparation has its own ticket).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from connector.campaigns.fan_out import campaign_lease_key, campaign_lease_until, plan_parts, queue_parts
from connector.campaigns.settle import settle_campaign
from connector.errors import Conflict
from connector.repositories.campaigns import CampaignStatus
from connector.repositories.leases import take
from connector.user_texts import say

if TYPE_CHECKING:
    from connector.campaigns.service import CampaignService

BATCH = 50          # campaigns looked at per run (a run every 5 minutes)
# The Functions host stops a function after 10 minutes (host.json functionTimeout): a preparation whose
# campaign has not changed for longer than this is no longer running anywhere.
PREPARATION_DEAD = timedelta(minutes=15)


@dataclass
class Resumed:
    requeued: dict[str, int] = field(default_factory=dict)     # campaign id -> parts queued again
    ended: list[str] = field(default_factory=list)             # campaigns whose end was written
    failed: list[str] = field(default_factory=list)            # campaigns that could not be looked at
    reopened: list[str] = field(default_factory=list)          # interrupted preparations put back


def resume_campaigns(service: CampaignService, limit: int = BATCH) -> Resumed:
    """`service`: the campaign service as the app itself (the parts go as the user who validated)."""
    resumed = Resumed()
    for campaign in service.campaigns.sending(limit):
        now = service.clock()
        key = campaign_lease_key(campaign)
        current = service.leases.read(key)
        if current is not None and current.live(now):
            continue
        try:
            plan = plan_parts(service.leases, campaign, service.notes.staged_parts(campaign.id, campaign.ticket),
                              now, failed_too=False)
            if not plan.queued and (plan.progress.failed or not plan.progress.settled):
                continue                                # left to the user, or still in workers' hands
            if not plan.queued:
                lang = service.users.user_format(current.user_id if current else None).language
                settled = settle_campaign(service.campaigns, service.leases, campaign.id, campaign.ticket or "",
                                          lang=lang, now=now)
                if settled is not None and settled.summary:
                    resumed.ended.append(campaign.id)
                continue
            owner = f"resume-{uuid.uuid4().hex[:12]}"
            user_id = current.user_id if current else None
            lease = take(service.leases, key, owner, campaign_lease_until(campaign, now), now, user_id=user_id)
            if not lease.held_by(owner, now):
                continue                                # another resume (or a validate) has it
            service.campaigns.record_parts(campaign, plan.progress)
            queue_parts(service.parts_queue, campaign, plan.queued, user_id, now)
            resumed.requeued[campaign.id] = len(plan.queued)
        except Conflict:
            continue                                    # it changed meanwhile: the next run looks again
        except Exception:
            resumed.failed.append(campaign.id)
    return resumed


def reopen_interrupted_preparations(service: CampaignService, resumed: Resumed | None = None,
                                    limit: int = BATCH) -> Resumed:
    """Campaigns left In construction by a preparation that died: back to Not transmitted (under their
    ETag: a preparation finishing at that moment wins), the reason in their last result."""
    resumed = resumed if resumed is not None else Resumed()
    now = service.clock()
    lang = service.users.user_format(None).language
    for campaign in service.campaigns.in_construction_since(now - PREPARATION_DEAD, limit):
        try:
            service.campaigns.move(campaign, CampaignStatus.NOT_TRANSMITTED, ticket=None, cost=None)
            service.campaigns.finish(campaign.id, say(lang, "campaign_preparation_interrupted"))
            resumed.reopened.append(campaign.id)
        except Conflict:
            continue                                    # it changed meanwhile: not dead after all
        except Exception:
            resumed.failed.append(campaign.id)
    return resumed

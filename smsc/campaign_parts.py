"""A local run's part workers: validate fans a campaign out on the parts queue, which is in-process
when no storage account is configured (connector.bootstrap.work_queue); the command that validated
(`smsc campaign validate`, the demo) then releases the due parts itself, as the Functions host would."""
from __future__ import annotations

from collections.abc import Callable

from connector.bootstrap import Services, campaign_service, local_queues
from connector.campaigns.model import CampaignAction, CampaignStatus
from connector.campaigns.parts import drain_parts
from connector.campaigns.service import CampaignResult
from connector.campaigns.worker import MAX_ATTEMPTS
from connector.repositories.work_queue import CAMPAIGN_PARTS


def waiting_parts() -> int:
    """How many part messages the in-process queue holds (due or not); 0 without one."""
    queue = local_queues().get(CAMPAIGN_PARTS)
    return len(queue) if queue is not None else 0


def release_local_parts(services: Services, campaign_id: str, *, on_part: Callable[[str], None] = lambda _: None,
                        **service_kw) -> CampaignResult | None:
    """Releases the due parts of the in-process queue; the campaign's result once they are (its last
    result and status), or None when there is no in-process queue (the Functions app's workers do it)
    or no part was due (validate released its one part itself: its own result says it)."""
    queue = local_queues().get(CAMPAIGN_PARTS)
    if queue is None:
        return None

    def service_for(user_id: str | None):
        return campaign_service(services.crm, services.sms, user_id=user_id, **service_kw)

    if not drain_parts(queue.take_due, service_for, max_attempts=MAX_ATTEMPTS, on_part=on_part):
        return None
    campaign = service_for(None).campaigns.get(campaign_id)
    failed = bool(campaign.parts and campaign.parts.failed)
    return CampaignResult(CampaignAction.VALIDATE, campaign.status, campaign.last_result or "",
                          ok=campaign.status in (CampaignStatus.SENDING, CampaignStatus.SENT) and not failed)

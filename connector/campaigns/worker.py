"""Runs a queued campaign action as the user who clicked (CRM security applies)."""
from __future__ import annotations

from collections.abc import Callable

from connector.campaigns.model import CampaignAction
from connector.campaigns.service import CampaignResult, CampaignService

MAX_ATTEMPTS = 3           # host.json extensions.queues.maxDequeueCount

# user id (None: the app itself) -> the campaign service acting as that user
ServiceFor = Callable[[str | None], CampaignService]


def run_queued_action(service_for: ServiceFor, message: dict, attempt: int = 1) -> CampaignResult | str:
    """Runs it; when the last attempt fails too, the campaign's last result says why."""
    try:
        return _run(service_for, message)
    except Exception as error:      # whatever it was, the marketer must see it on the campaign
        if attempt >= MAX_ATTEMPTS:
            service_for(None).campaigns.finish(message["campaignid"], f"Failed after {attempt} attempts: {error}")
        raise


def _run(service_for: ServiceFor, message: dict) -> CampaignResult | str:
    action = CampaignAction(message["action"])
    campaign_id, user_id = message["campaignid"], message.get("userid")
    # A second delivery of the same event finds the action done (it clears the pending action): nothing to do.
    if service_for(None).campaigns.get(campaign_id).action != action:
        return f"{action.name.lower()} already handled"
    return service_for(user_id).run(campaign_id, action, user_id)

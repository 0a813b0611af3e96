"""Runs a queued campaign action as the user who clicked (CRM security applies)."""
from __future__ import annotations

from connector.campaigns.model import CAMPAIGN_SET, CampaignAction
from connector.campaigns.service import CampaignResult, CampaignService
from connector.crm.identity import acting_as


MAX_ATTEMPTS = 3           # host.json extensions.queues.maxDequeueCount


def run_queued_action(services, message: dict, attempt: int = 1) -> CampaignResult | str:
    """Runs it; when the last attempt fails too, the campaign's last result says why."""
    try:
        return _run(services, message)
    except Exception as error:      # whatever it was, the marketer must see it on the campaign
        if attempt >= MAX_ATTEMPTS:
            services.crm.update(CAMPAIGN_SET, message["campaignid"], {
                "smsc_action": None, "smsc_lastresult": f"Failed after {attempt} attempts: {error}"[:2000]})
        raise


def _run(services, message: dict) -> CampaignResult | str:
    crm, action = services.crm, CampaignAction(message["action"])
    campaign_id, user_id = message["campaignid"], message.get("userid")
    # A second delivery of the same event finds the action done (it clears smsc_action): nothing to do.
    current = crm.retrieve(CAMPAIGN_SET, campaign_id, select=["smsc_action"]).get("smsc_action")
    if current != action:
        return f"{action.name.lower()} already handled"
    return CampaignService(acting_as(crm, user_id), services.sms).run(campaign_id, action, user_id)


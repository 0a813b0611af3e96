"""A campaign part that kept failing (its message moved to the poison queue after the host's last
attempt): the part counts as failed, and the campaign's last result says which part and why (the
reason its last attempt left on the part's lease), in the language validate was asked in (else the
validating user's), the language of that reason. The campaign stays Sending: validating again takes the
failed part up, and what went out does not go again.
"""
from __future__ import annotations

from connector.campaigns.fan_out import PartMessage
from connector.campaigns.model import CampaignStatus
from connector.campaigns.part_services import ServiceFor
from connector.campaigns.settle import settle_campaign
from connector.errors import NotFound
from connector.repositories.leases import Lease, LeaseState, settle


def part_failed(service_for: ServiceFor, body: object) -> str:
    """Marks the part failed and writes why on the campaign; what happened, for the log."""
    message = PartMessage.parse(body)
    service = service_for(message.user_id)
    now = service.clock()
    try:
        campaign = service.campaigns.get(message.campaign_id)
    except NotFound:
        return f"part {message.part}: the campaign is gone"
    if campaign.status != CampaignStatus.SENDING or campaign.ticket != message.ticket:
        return f"part {message.part}: the campaign is no longer being sent ({campaign.status.name.lower()})"
    lease = service.leases.read(message.lease_key)
    if lease is not None and (lease.state == LeaseState.DONE or lease.live(now)):
        where = "done" if lease.state == LeaseState.DONE else "in a worker's hands"
        outcome = f"part {message.part}: {where} after all"
    else:
        settle(service.leases, lease or Lease(message.lease_key, LeaseState.FREE), LeaseState.FAILED)
        outcome = f"part {message.part}: failed ({lease.reason if lease and lease.reason else 'no reason recorded'})"
    lang = message.lang or service.users.user_format(message.user_id).language     # as validate was asked
    settle_campaign(service.campaigns, service.leases, message.campaign_id, message.ticket, lang=lang, now=now,
                    report_failures=True)
    return outcome

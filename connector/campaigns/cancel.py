"""Cancelling a validated campaign whose deferred start has not come. A fanned-out campaign has sent
nothing yet (its parts wait in the queue until the start): there is nothing Scheduled, and no provider
call. A campaign validated before the fan-out had its SMS Scheduled at the provider: each provider send
is cancelled where the provider still allows it, and its SMS activities marked Cancelled."""
from __future__ import annotations

from dataclasses import dataclass

from connector.campaigns.model import Campaign
from connector.campaigns.progress import chunked
from connector.repositories.campaign_activities import CampaignActivities
from connector.sms.port import ProviderError
from connector.sms.reason import provider_reason
from connector.user_texts import say


@dataclass(frozen=True)
class CancelOutcome:
    cancelled: int
    kept: int                 # SMS the provider would not cancel: they will go out
    reasons: tuple[str, ...]


def cancel_scheduled(activities: CampaignActivities, provider, campaign: Campaign, lang: str) -> CancelOutcome:
    """What was cancelled, and why the rest was not (in `lang`)."""
    tickets = {sms.provider_ticket for sms in activities.scheduled(campaign.id)}
    refused: dict[str | None, str] = {None: say(lang, "campaign_cancel_no_reference")}
    if not provider.capabilities.cancel:      # what it holds goes out: nothing to ask
        refused |= {t: say(lang, "campaign_cancel_unsupported", provider=provider.label) for t in tickets if t}
    for ticket in sorted(t for t in tickets if t and t not in refused):
        try:
            provider.cancel(ticket)
        except ProviderError as error:
            refused[ticket] = provider_reason(lang, error)
    cancelled = kept = 0
    for chunk in chunked(activities.scheduled(campaign.id), 1000):
        done = [sms.activity_id for sms in chunk if sms.provider_ticket not in refused]
        activities.cancel(done)
        cancelled, kept = cancelled + len(done), kept + len(chunk) - len(done)
    reasons = tuple(sorted({refused[t] for t in tickets if t in refused}))
    return CancelOutcome(cancelled, kept, reasons)

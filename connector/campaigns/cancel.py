"""Cancelling a validated campaign whose deferred start has not come: each provider send is
cancelled where the provider still allows it, and its SMS activities marked Cancelled."""
from __future__ import annotations

from dataclasses import dataclass

from connector.activity import ACTIVITY_SET, SmsStatus
from connector.campaigns.model import Campaign
from connector.campaigns.progress import chunked
from connector.crm.port import Crm
from connector.sms.port import ProviderError


@dataclass(frozen=True)
class CancelOutcome:
    cancelled: int
    kept: int                 # SMS the provider would not cancel: they will go out
    reasons: tuple[str, ...]


def _scheduled(crm: Crm, campaign: Campaign):
    return crm.retrieve_multiple(ACTIVITY_SET, select=["smsc_providermessageid"], filter=(
        f"_smsc_campaignid_value eq {campaign.id} and smsc_status eq {int(SmsStatus.SCHEDULED)}"))


def cancel_scheduled(crm: Crm, provider, campaign: Campaign) -> CancelOutcome:
    tickets = {row.get("smsc_providermessageid") for row in _scheduled(crm, campaign)}
    refused: dict[str | None, str] = {None: "an SMS without a provider reference cannot be cancelled"}
    for ticket in sorted(t for t in tickets if t):
        try:
            provider.cancel(ticket)
        except ProviderError as error:
            refused[ticket] = str(error)
    cancelled = kept = 0
    for chunk in chunked(_scheduled(crm, campaign), 1000):
        done = [row["activityid"] for row in chunk if row.get("smsc_providermessageid") not in refused]
        crm.batch_update(ACTIVITY_SET, [(i, {"smsc_status": int(SmsStatus.CANCELLED)}) for i in done])
        cancelled, kept = cancelled + len(done), kept + len(chunk) - len(done)
    reasons = tuple(sorted({refused[t] for t in tickets if t in refused}))
    return CancelOutcome(cancelled, kept, reasons)

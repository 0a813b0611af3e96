"""When a campaign closes (seed 000: « la durée prévisionnelle d'une campagne est de 72 heures »):
`Configuration.campaign_duration_hours` after its send, or when its closed-on date is set. A closed
campaign no longer collects replies; its figures are written one last time when it closes.

The send is the validate's time, or the deferred start for a campaign validated ahead of it: both
are the campaign's `start` (actualstart) once it is Sent.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from connector.repositories.campaigns import Campaign, CampaignStatus


def closes_at(sent_on: datetime, duration_hours: int) -> datetime:
    return sent_on + timedelta(hours=duration_hours)


def is_closed(closed_on: datetime | None, sent_on: datetime | None, duration_hours: int, now: datetime) -> bool:
    """Closed once its closed-on is set, or once the duration after its send has passed; a
    campaign not sent (no send time) is not closed."""
    if closed_on is not None:
        return True
    return sent_on is not None and now >= closes_at(sent_on, duration_hours)


def sent_on(campaign: Campaign) -> datetime | None:
    """The campaign's send time: its start once Sent (None before)."""
    return campaign.start if campaign.status == CampaignStatus.SENT else None


def campaign_closed(campaign: Campaign, duration_hours: int, now: datetime) -> bool:
    return is_closed(campaign.closed_on, sent_on(campaign), duration_hours, now)


def closed_at(campaign: Campaign, duration_hours: int, now: datetime) -> datetime | None:
    """When it closed: its closed-on, else the end of its duration once passed; None while open."""
    if campaign.closed_on is not None:
        return campaign.closed_on
    sent = sent_on(campaign)
    if sent is None or not is_closed(None, sent, duration_hours, now):
        return None
    return closes_at(sent, duration_hours)

"""Closes the Sent campaigns whose time has come (`connector.campaigns.closing`): their final rates
and closed-on date, written by a timer. A bounded run: at most `limit` campaigns, oldest first; the
next run takes the rest. One campaign failing does not stop the others (the next run retries it)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connector.campaigns.closing import closes_at, sent_on
from connector.campaigns.figures import rates
from connector.errors import SmscError
from connector.repositories.campaign_figures import CampaignFiguresSource
from connector.repositories.campaigns import Campaigns

log = logging.getLogger(__name__)
LIMIT = 100            # campaigns per run: two CRM requests each


@dataclass
class Closed:
    closed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def close_due_campaigns(campaigns: Campaigns, figures: CampaignFiguresSource, *, duration_hours: int,
                        now: datetime, limit: int = LIMIT) -> Closed:
    done = Closed()
    for campaign in campaigns.due_for_closing(now - timedelta(hours=duration_hours), limit):
        sent = sent_on(campaign)
        if sent is None:           # the query says Sent with a start: a row changed meanwhile
            continue
        try:
            campaigns.close(campaign.id, closes_at(sent, duration_hours), rates(figures.figures(campaign.id)))
        except SmscError:           # e.g. one campaign's aggregate over Dataverse's 50,000-row limit
            log.warning("campaign %s could not be closed; the next run tries again", campaign.id, exc_info=True)
            done.failed.append(campaign.id)
        else:
            done.closed.append(campaign.id)
    return done

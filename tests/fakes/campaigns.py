from dataclasses import replace
from datetime import datetime

from connector.errors import Conflict, NotFound
from connector.repositories.campaigns import KEEP, Campaign, CampaignStatus


class FakeCampaigns:
    """Campaigns by id; each write gives a new ETag, so a move from a stale read loses."""

    def __init__(self, *campaigns: Campaign):
        self.rows = {c.id: c for c in campaigns}
        self.costs: dict[str, float | None] = {}
        self.rates: dict[str, object] = {}        # campaign id -> CampaignRates written
        self.versions = 0
        self.changed: dict[str, datetime] = {}    # campaign id -> when its row last changed (when a test says)

    def get(self, campaign_id: str) -> Campaign:
        if campaign_id not in self.rows:
            raise NotFound(f"no campaign {campaign_id}")
        return self.rows[campaign_id]

    def move(self, campaign, status, *, ticket=KEEP, cost=KEEP, parts=KEEP, result=KEEP, start=KEEP) -> None:
        if self.rows[campaign.id].etag != campaign.etag:
            raise Conflict("the campaign changed meanwhile")
        ended = {} if result is KEEP else {"action": None, "last_result": result[:2000]}
        self._write(campaign.id, status=status, ticket=ticket, cost=cost,
                    **({} if parts is KEEP else {"parts": parts}), **ended)
        self._close(campaign.id, start=start)

    def record_parts(self, campaign, parts) -> None:
        if self.rows[campaign.id].etag != campaign.etag:
            raise Conflict("the campaign changed meanwhile")
        self._write(campaign.id, status=None, ticket=KEEP, cost=KEEP, parts=parts)

    def sending(self, limit):
        return [c for c in self.rows.values() if c.status == CampaignStatus.SENDING and c.parts is not None][:limit]

    def in_construction_since(self, changed_before, limit):
        return [c for c in self.rows.values() if c.status == CampaignStatus.IN_CONSTRUCTION
                and self.changed.get(c.id, changed_before) <= changed_before][:limit]

    def finish(self, campaign_id, result, *, status=None, ticket=KEEP, cost=KEEP, start=KEEP, rates=KEEP,
               closed_on=KEEP, parts=KEEP) -> None:
        self._write(campaign_id, status=status, ticket=ticket, cost=cost, action=None,
                    **({"last_result": result[:2000]} if result is not None else {}),
                    **({} if parts is KEEP else {"parts": parts}))
        self._close(campaign_id, start=start, rates=rates, closed_on=closed_on)

    def due_for_closing(self, sent_before, limit):
        due = sorted((c for c in self.rows.values() if c.status == CampaignStatus.SENT and c.closed_on is None
                      and c.start is not None and c.start <= sent_before), key=lambda c: c.start)
        return due[:limit]

    def close(self, campaign_id, closed_on, rates) -> None:
        self._close(campaign_id, rates=rates, closed_on=closed_on)

    def _close(self, campaign_id, *, start=KEEP, rates=KEEP, closed_on=KEEP) -> None:
        if rates is not KEEP:
            self.rates[campaign_id] = rates
        columns = {k: v for k, v in (("start", start), ("closed_on", closed_on)) if v is not KEEP}
        self.rows[campaign_id] = replace(self.rows[campaign_id], **columns)

    def restore(self, campaign_id, status, *, ticket=KEEP, cost=KEEP) -> None:
        self._write(campaign_id, status=status, ticket=ticket, cost=cost)

    def _write(self, campaign_id: str, *, status: CampaignStatus | None, ticket, cost, **columns) -> None:
        self.versions += 1
        if status is not None:
            columns["status"] = status
        if ticket is not KEEP:
            columns["ticket"] = ticket
        if cost is not KEEP:
            self.costs[campaign_id] = cost
        self.rows[campaign_id] = replace(self.rows[campaign_id], etag=f'W/"{self.versions}"', **columns)

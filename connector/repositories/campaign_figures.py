"""A campaign's figures once sent (DESIGN §4 delivery rate, reply rate): what its SMS activities
say, counted by the CRM (aggregate queries), never by reading every activity."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CampaignFigures:
    sent: int = 0            # outgoing SMS that left: Sent, Delivered or Undeliverable
    delivered: int = 0
    undeliverable: int = 0
    repliers: int = 0        # distinct numbers whose replies are attached to the campaign


@dataclass(frozen=True)
class CampaignRates:
    """Percentages with one decimal; None when nothing was sent (no rate to speak of)."""
    delivery: float | None
    reply: float | None


class CampaignFiguresSource(Protocol):
    def figures(self, campaign_id: str) -> CampaignFigures:
        """The campaign's figures as they stand now (a bounded number of CRM requests)."""
        ...

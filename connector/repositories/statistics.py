"""What the statistics read from the CRM (issue 13, seed 000 « Onglet Statistiques »): the SMS sent,
delivered, failed, their segments and cost, the replies and the STOP opt-outs of a period, counted by
the CRM in groups (aggregate queries), never by reading every activity.

A group's key says what it is: a user's, a template's or a campaign's id, an SMS type's number as
text, a day `2026-11-05` or a month `2026-11`; None for the SMS that have none (no template, no
campaign). Its label is the CRM's name of that row (None for periods and types: the service names them).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class Grouping(enum.StrEnum):
    """What the CRM groups by (the service folds days into weeks)."""
    USER = "user"            # the SMS's owner
    TEMPLATE = "template"
    CAMPAIGN = "campaign"
    TYPE = "type"            # SMS type: 1 Marketing, 2 Transactional
    DAY = "day"              # days of the time zone the CRM groups dates in (`time_zone`)
    MONTH = "month"          # months of that time zone


@dataclass(frozen=True)
class Sending:
    """Outgoing SMS created in the period. `sent`: those that left (Sent, Delivered or Undeliverable),
    one per recipient; `sms`: their segments (what the provider bills, « 2 SMS × 4 destinataires = 8 »)."""
    sent: int = 0
    sms: int = 0
    delivered: int = 0
    undeliverable: int = 0
    failed: int = 0          # refused before leaving (status Failed)
    cost: float = 0.0

    def __add__(self, other: "Sending") -> "Sending":
        return Sending(self.sent + other.sent, self.sms + other.sms, self.delivered + other.delivered,
                       self.undeliverable + other.undeliverable, self.failed + other.failed,
                       self.cost + other.cost)


@dataclass(frozen=True)
class Replies:
    """Incoming SMS received in the period: how many, and from how many distinct numbers."""
    replies: int = 0
    repliers: int = 0

    def __add__(self, other: "Replies") -> "Replies":
        return Replies(self.replies + other.replies, self.repliers + other.repliers)


@dataclass(frozen=True)
class Counted(Generic[T]):
    """One group's figures and the CRM's name of its row."""
    label: str | None
    value: T


class StatisticsSource(Protocol):
    """Every method costs a bounded number of CRM requests, whatever the period's volume.
    `by` None: one group for the whole period, key None."""

    def time_zone(self) -> str:
        """The IANA zone the CRM groups dates in for these requests (Dataverse: the calling user's)."""
        ...

    def sending(self, start: datetime, end: datetime, by: Grouping | None) -> dict[str | None, Counted[Sending]]:
        ...

    def replies(self, start: datetime, end: datetime, by: Grouping | None) -> dict[str | None, Counted[Replies]]:
        """Only by campaign (the campaign a reply is threaded to), day or month: a reply belongs to no
        user, template or type."""
        ...

    def stops(self, start: datetime, end: datetime, by: Grouping | None) -> dict[str | None, int]:
        """STOP opt-outs (reason STOP) created in the period; only by day or month (an opt-out is a
        number's, not a campaign's or a user's)."""
        ...

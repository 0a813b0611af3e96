"""What applying delivery reports reads and writes: the outgoing SMS activities a report is about,
found by (ticket, number) many at a time, their new statuses written many at a time, a number's
latest sends (the Undeliverable opt-out), and the reports still waiting for a ticket's activities."""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from connector.activity import SmsStatus
from connector.repositories.provider_events import ProviderEvent


@dataclass(frozen=True)
class DeliveryTarget:
    """An outgoing SMS activity as a delivery report sees it."""
    activity_id: str
    ticket: str
    number: str                     # E.164
    status: SmsStatus | None
    owner_id: str | None = None     # whose language its error is written in


@dataclass(frozen=True)
class StatusChange:
    activity_id: str
    status: SmsStatus
    error: str | None = None        # the reason of an Undeliverable status


class DeliveryTargets(Protocol):
    def find(self, pairs: Collection[tuple[str, str]]) -> Mapping[tuple[str, str], Sequence[DeliveryTarget]]:
        """The activities sent under each (ticket, number), both matching; pairs without one are absent.
        A bounded number of requests: many pairs per query."""
        ...

    def write(self, changes: Sequence[StatusChange]) -> Sequence[str]:
        """Writes the new statuses, up to 1,000 per request; returns the ids that could not be written."""
        ...

    def latest_statuses(self, number: str, count: int) -> Sequence[SmsStatus]:
        """The statuses of the `count` most recent SMS that went out to this number (Sent, Delivered or
        Undeliverable), newest first."""
        ...

    def awaiting(self, tickets: Collection[str]) -> Sequence[ProviderEvent]:
        """Delivery reports of these tickets not applied yet (their activities may have just appeared)."""
        ...

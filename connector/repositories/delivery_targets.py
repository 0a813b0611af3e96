"""What applying delivery reports reads and writes: the outgoing SMS activities a report is about,
found by (ticket, number) many at a time, their new statuses written many at a time, a number's
latest sends (the Undeliverable opt-out), the reports still waiting for a ticket's activities, and the
activities of a campaign request whose ticket was lost (they carry the request id until a delivery
report's ticket is adopted: connector.delivery.adoption)."""
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
    campaign_id: str | None = None  # the campaign it was sent for (None: a unit SMS)


@dataclass(frozen=True)
class StatusChange:
    activity_id: str
    status: SmsStatus | None        # None: unchanged (a ticket written alone)
    error: str | None = None        # the reason of an Undeliverable status
    ticket: str | None = None       # a ticket adopted from a delivery report, written as its provider reference


class DeliveryTargets(Protocol):
    def find(self, pairs: Collection[tuple[str, str]]) -> Mapping[tuple[str, str], Sequence[DeliveryTarget]]:
        """The activities sent under each (ticket, number), both matching; pairs without one are absent.
        A bounded number of requests: many pairs per query."""
        ...

    def write(self, changes: Sequence[StatusChange]) -> Sequence[str]:
        """Writes the new statuses (and adopted tickets), up to 1,000 per request; returns the ids that could
        not be written."""
        ...

    def latest_statuses(self, number: str, count: int) -> Sequence[SmsStatus]:
        """The statuses of the `count` most recent SMS that went out to this number (Sent, Delivered or
        Undeliverable), newest first."""
        ...

    def awaiting(self, tickets: Collection[str]) -> Sequence[ProviderEvent]:
        """Delivery reports of these tickets not applied yet (their activities may have just appeared)."""
        ...

    def unticketed(self, numbers: Collection[str]) -> Mapping[str, Sequence[DeliveryTarget]]:
        """The outgoing campaign SMS to these numbers still carrying a campaign request id as their provider
        reference (`target.ticket` is that request id), by number. Many numbers per query."""
        ...

    def sent_in(self, request_ids: Collection[str]) -> Sequence[DeliveryTarget]:
        """Every outgoing SMS activity carrying one of these campaign request ids as its provider reference.
        Many request ids per query."""
        ...

    def ledger_requests(self, tickets: Collection[str]) -> Mapping[str, Collection[str]]:
        """The send-ledger requests already recorded with each of these tickets (tickets recorded nowhere
        are absent): such a ticket belongs to that request, whose activities take it when written."""
        ...

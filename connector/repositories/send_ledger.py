"""The send ledger (DESIGN §4 `smsc_sendledger`): one entry per provider request of a campaign part's
window, written *before* the request leaves and again right after, and one entry per window once its
SMS activities are written. What was sent is decided here, not by the provider's duplicate answer
(Octopush's code 120 is unconfirmed for v1 and only holds 24 hours).

A release reads a part's entries once, then:
- Reserved: a previous run may have sent it (killed between the send and the next write): it is
  sent again with the same request id, and a duplicate answer makes it Uncertain;
- Accepted: sent, its ticket known: never sent again, the ticket goes on the activities;
- Refused: the provider said no (the reason kept): tried again on the next run;
- Uncertain: sent, its ticket lost (the provider only said "duplicate"): never sent again;
- Written (a window's own entry): the window's activities are written, nothing left to do.
"""
from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from connector.repositories.campaign_activities import ACTIVITIES_PER_CREATE, CampaignSms
from connector.repositories.campaigns import Campaign
from connector.sms.port import SmsType


class LedgerState(enum.IntEnum):
    """Values of the CRM choice `smsc_sendledger.smsc_state`."""
    RESERVED = 1
    SENDING = 2            # in the solution for a lease-holding sender; a release writes Reserved first
    ACCEPTED = 3
    REFUSED = 4
    UNCERTAIN = 5
    WRITTEN = 6            # a window's entry: its SMS activities are written


SENT = frozenset({LedgerState.ACCEPTED, LedgerState.UNCERTAIN})     # never to be sent again


@dataclass(frozen=True)
class LedgerEntry:
    campaign_id: str
    part: int
    window: int
    request_id: str             # the provider request id (or the window's key for a Written entry)
    recipients: int
    state: LedgerState = LedgerState.RESERVED
    ticket: str | None = None
    error: str | None = None    # why the provider refused it

    @property
    def sent(self) -> bool:
        """Never to be sent again: Accepted or Uncertain, or any entry holding a ticket (a late
        Reserved write over an Accepted one changes the state, never the ticket)."""
        return self.state in SENT or self.ticket is not None

    def accepted(self, ticket: str) -> LedgerEntry:
        return replace(self, state=LedgerState.ACCEPTED, ticket=ticket, error=None)

    def refused(self, reason: str) -> LedgerEntry:
        return replace(self, state=LedgerState.REFUSED, error=reason)

    def uncertain(self) -> LedgerEntry:
        return replace(self, state=LedgerState.UNCERTAIN)


@dataclass(frozen=True)
class WindowActivities:
    """A window's SMS activities, as `CampaignActivities.create` takes them."""
    campaign: Campaign
    messages: Sequence[CampaignSms]
    sms_type: SmsType
    sender: str | None
    sent_at: datetime


BATCH_OPERATIONS = 1000        # operations one request (a Dataverse `$batch`) holds


def entries_room(activities: int) -> int:
    """How many entries `SendLedger.record_window` takes along `activities` activities in its one
    request: the rest is written before."""
    return BATCH_OPERATIONS - 1 - -(-activities // ACTIVITIES_PER_CREATE)


class EntriesUnwritten(Exception):
    """Some of the entries written ahead of a window's activities could not be written (the cause
    chained); nothing after them was."""


class SendLedger(Protocol):
    def part_entries(self, campaign_id: str, part: int) -> list[LedgerEntry]:
        """Every entry of one part of the campaign (all its windows), in one request."""
        ...

    def write(self, entries: Sequence[LedgerEntry]) -> None:
        """Writes the entries as they are, each created or updated on its request id (the alternate
        key), all in one request (up to 1,000). Raises when any of them could not be written: what
        follows (a send) must not happen unrecorded."""
        ...

    def record_window(self, entries: Sequence[LedgerEntry], activities: WindowActivities,
                      written: LedgerEntry) -> int | None:
        """`entries` (the outcomes of the window's provider requests), then the window's activities
        (as `CampaignActivities.create` writes them, a key already there left alone; one create per
        ACTIVITIES_PER_CREATE), then its Written entry, in that order in one request (at most
        `entries_room` entries), when the ledger can write them as the user the
        activities are written as: returns how many activities were refused for another reason.
        Otherwise writes `entries` only and returns None: the caller writes the activities and the
        Written entry. Raises EntriesUnwritten when any of `entries` could not be written (nothing
        after them was); any other failure as it came (the entries are written)."""
        ...

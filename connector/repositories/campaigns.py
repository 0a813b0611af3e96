"""Campaigns as the connector sees them (DESIGN §4), and how their status moves.

A status change that starts an action is conditional on the ETag read with the campaign: of two
runs (two clicks, a redelivered event), one wins and the other gets `connector.errors.Conflict`.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from connector.repositories.campaign_figures import CampaignRates


class CampaignStatus(enum.IntEnum):
    NOT_TRANSMITTED = 1
    IN_CONSTRUCTION = 2
    READY = 3
    SENDING = 4
    SENT = 5


class CampaignAction(enum.IntEnum):
    SIMULATE = 1
    PREPARE = 2
    VALIDATE = 3
    CANCEL = 4
    REFRESH = 5
    TEST = 6         # « Envoyer un test »: the staged texts to the configured test numbers (beyond DESIGN's five)


class Keep(enum.Enum):
    """A column a write leaves as it is."""
    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class PartsProgress:
    """A validated campaign's parts (its staged `resume.xml` parts, one queue message each): how many,
    how many went out, how many kept failing."""
    total: int
    done: int = 0
    failed: int = 0

    @property
    def settled(self) -> bool:
        """Every part went out or failed: nothing is in flight any more."""
        return self.done + self.failed >= self.total


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    etag: str                         # the version read: status moves are conditional on it
    recipient_table: str | None       # contact, account or lead; None when the type is not chosen
    text: str | None
    template_id: str | None
    sms_type: int | None
    sender: str | None
    status: CampaignStatus
    ticket: str | None                # the preparation ticket (the staged notes carry it)
    start: datetime | None            # a deferred start when in the future
    action: CampaignAction | None = None      # the button waiting to be handled
    last_result: str | None = None
    closed_on: datetime | None = None         # set when it closed (connector.campaigns.closing)
    parts: PartsProgress | None = None        # set by validate (the fan-out of its parts)
    cheaper_text: bool | None = None          # the campaign's own cheaper-text choice; None: the configuration's

    def deferred(self, now: datetime) -> bool:
        return self.start is not None and self.start > now


class Campaigns(Protocol):
    def get(self, campaign_id: str) -> Campaign:
        """The campaign with its ETag; raises `connector.errors.NotFound`."""
        ...

    def move(self, campaign: Campaign, status: CampaignStatus, *, ticket: str | None | Keep = KEEP,
             cost: float | None | Keep = KEEP, parts: PartsProgress | None | Keep = KEEP,
             result: str | Keep = KEEP, start: datetime | Keep = KEEP) -> None:
        """Moves it to `status` if nobody changed it since `campaign` was read (its ETag), with the
        ticket, cost, parts progress and start when given, and the last result the user reads (which,
        as `finish` does, clears the pending action); raises `connector.errors.Conflict` when another
        run won."""
        ...

    def record_parts(self, campaign: Campaign, parts: PartsProgress) -> None:
        """Writes its parts progress if nobody changed it since `campaign` was read (its ETag);
        raises `connector.errors.Conflict` otherwise (read it again and count again)."""
        ...

    def sending(self, limit: int) -> list[Campaign]:
        """At most `limit` campaigns in Sending that were fanned out in parts (parts total set),
        oldest change first."""
        ...

    def in_construction_since(self, changed_before: datetime, limit: int) -> list[Campaign]:
        """At most `limit` campaigns In construction whose row has not changed since `changed_before`
        (a preparation writes its notes, not the campaign: the move to In construction is its last change)."""
        ...

    def finish(self, campaign_id: str, result: str | None, *, status: CampaignStatus | None = None,
               ticket: str | None | Keep = KEEP, cost: float | None | Keep = KEEP,
               start: datetime | Keep = KEEP, rates: CampaignRates | Keep = KEEP,
               closed_on: datetime | Keep = KEEP, parts: PartsProgress | None | Keep = KEEP) -> None:
        """Writes the last result the user reads (None: leaves it) and clears the pending action,
        with the final status, ticket, cost, start (the send time), rates, closed-on and parts
        progress when given (unconditional: the run holds it)."""
        ...

    def restore(self, campaign_id: str, status: CampaignStatus, *, ticket: str | None | Keep = KEEP,
                cost: float | None | Keep = KEEP) -> None:
        """Puts back a campaign a failed run had moved (unconditional: the run holds it), leaving
        its last result and pending action, so that the queue tries the action again."""
        ...

    def due_for_closing(self, sent_before: datetime, limit: int) -> list[Campaign]:
        """At most `limit` Sent campaigns not closed yet whose send (start) is at or before
        `sent_before`, oldest first."""
        ...

    def close(self, campaign_id: str, closed_on: datetime, rates: CampaignRates) -> None:
        """Writes its closed-on and final rates, leaving its last result and pending action."""
        ...

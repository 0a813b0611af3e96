"""Conversations (DESIGN §1.4, seed 000 « Afficher toute la conversation »): the outgoing SMS a reply
answers, the incoming SMS activity it becomes, and the CRM records a number belongs to."""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from connector.repositories.sms_activities import RowRef


@dataclass(frozen=True)
class OutgoingSms:
    """An SMS we sent to a number: what a reply to it is threaded to."""
    id: str
    number: str                         # E.164
    sent_on: datetime                   # actualend
    regarding: RowRef | None            # the record it was sent from (an account, not its primary contact)
    recipient: RowRef | None = None     # the `to` party (a contact, lead or account)
    campaign_id: str | None = None
    campaign_closed_on: datetime | None = None
    ticket: str | None = None
    campaign_started_on: datetime | None = None     # the campaign's send (its closing counts from it)


@dataclass(frozen=True)
class IncomingSms:
    """The SMS activity an inbound SMS becomes (direction Incoming, status Received)."""
    idempotency_key: str                # one activity per provider event, however often it is handled
    number: str                         # the sender, E.164
    text: str
    subject: str
    received_on: datetime
    regarding: RowRef | None = None     # the conversation's record; None for an unknown number
    sender: RowRef | None = None        # the `from` party: a contact, lead or account
    campaign_id: str | None = None      # the campaign replied to, while it is open


class Conversations(Protocol):
    def latest_outgoing(self, number: str, sent_since: datetime, *, ticket: str | None = None) -> OutgoingSms | None:
        """The most recent SMS sent to `number` since `sent_since` (and under `ticket` when given).
        A campaign SMS released later (a deferred start, quiet times) has no sent-on date of its own:
        it counts as sent at its campaign's start, else when it was written."""
        ...

    def find_incoming(self, idempotency_key: str) -> str | None:
        """The id of the incoming SMS activity holding this key, if any."""
        ...

    def create_incoming(self, sms: IncomingSms) -> str:
        """The new activity's id; connector.errors.Conflict when an activity already holds the key."""
        ...

    def records_with_mobile(self, written_forms: Collection[str], limit: int = 3) -> Sequence[tuple[RowRef, str]]:
        """Active contacts and open leads whose mobile phone is written one of these ways, with the
        mobile as written (at most `limit`: the caller only needs to know whether there is exactly one)."""
        ...

    def create_lead(self, number: str) -> RowRef:
        """A lead for an unknown number (its last name and mobile phone: the number)."""
        ...

"""The reply rule (DESIGN §7, issue 10; seed 000: replies are taken within 48 h of the send, a campaign
closes 72 h after it): which conversation an inbound SMS belongs to.

- Within the reply window (`Configuration.reply_window_hours` before the reply), the most recent SMS
  sent to the number is the one answered; a reply carrying the send's ticket prefers the SMS sent
  under that ticket to that number. The reply is regarding that SMS's regarding record (for an
  account recipient the account, not its primary contact) and its campaign, unless the campaign is
  closed by then (closed on a date before the reply, or sent more than
  `Configuration.campaign_duration_hours` before it): then the record only.
- Otherwise the number's one active contact or open lead (by mobile phone) is the record.
- Otherwise the sender is unknown: the reply is kept without a record, or a lead is created for the
  number when `Configuration.unknown_reply_creates_lead` (only when no record has the number: two
  contacts sharing it are ambiguous, not unknown).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.configuration import Configuration
from connector.inbound.senders import known_sender
from connector.repositories.conversations import Conversations, OutgoingSms
from connector.repositories.sms_activities import RowRef

PARTY_TABLES = frozenset({"contact", "lead", "account"})       # what an activity party may point to


@dataclass(frozen=True)
class Thread:
    regarding: RowRef | None = None     # the record the conversation is about
    sender: RowRef | None = None        # the contact, lead or account who wrote
    campaign_id: str | None = None      # the open campaign answered
    answered: OutgoingSms | None = None     # the SMS answered, when within the window


def campaign_open(sent: OutgoingSms, at: datetime, config: Configuration) -> bool:
    """Whether the campaign still collected replies at `at` (connector.campaigns.closing counts its
    duration from the campaign's start; a reply sent before its closed-on date still counts)."""
    if sent.campaign_closed_on is not None and sent.campaign_closed_on <= at:
        return False
    started = sent.campaign_started_on or sent.sent_on
    return at - started < timedelta(hours=config.campaign_duration_hours)


def _sender_of(sent: OutgoingSms) -> RowRef | None:
    for ref in (sent.recipient, sent.regarding):
        if ref is not None and ref.table in PARTY_TABLES:
            return ref
    return None


def thread_of(number: str, ticket: str | None, at: datetime, config: Configuration,
              conversations: Conversations) -> Thread:
    """The conversation the SMS `number` sent at `at` belongs to (may create a lead, see above)."""
    since = at - timedelta(hours=config.reply_window_hours)
    sent = conversations.latest_outgoing(number, since, ticket=ticket) if ticket else None
    sent = sent or conversations.latest_outgoing(number, since)
    if sent is not None:
        campaign = sent.campaign_id if sent.campaign_id and campaign_open(sent, at, config) else None
        return Thread(sent.regarding or sent.recipient, _sender_of(sent), campaign, sent)
    record, count = known_sender(number, conversations, config.default_country)
    if record is not None:
        return Thread(record, record)
    if count == 0 and config.unknown_reply_creates_lead:
        lead = conversations.create_lead(number)
        return Thread(lead, lead)
    return Thread()

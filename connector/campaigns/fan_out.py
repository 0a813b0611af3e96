"""Validate's fan-out: one queue message per staged part (connector.repositories.work_queue
CAMPAIGN_PARTS), released by whichever worker takes it (connector.campaigns.parts).

A message names records only (campaign, ticket, part, note, user), never numbers or texts. A deferred
campaign's messages wait in the queue until its start (the queue's delay, at most MAX_DELAY: a worker
puts a message back again while it is early), so nothing reaches the provider before it: cancelling
until then sends nothing.

Which parts to queue is decided from the lease rows (connector.repositories.leases): every part that
is not done, so validating again (or the resume timer) takes up what a crash or a failure left.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connector.campaigns.model import Campaign
from connector.errors import BadInput
from connector.repositories.campaigns import PartsProgress
from connector.repositories.leases import CAMPAIGN_PART, LeaseKey, Leases, LeaseState, give_back
from connector.repositories.work_queue import MAX_DELAY, WorkQueue
from connector.user_texts import LANGUAGES

# How long the campaign stays in the hands of a validate (or a resume) past what it waits for: its
# parts are expected to have been taken by then; after it, the resume timer takes up what is left.
CAMPAIGN_LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class PartMessage:
    campaign_id: str
    ticket: str
    part: int
    note_id: str            # the staged `resume.xml` part
    user_id: str | None     # who validated: the part is released as them
    lang: str | None = None  # the language validate was asked in (None: the user's)

    @classmethod
    def parse(cls, body: Any) -> PartMessage:
        """The message as queued; BadInput naming what is wrong (the host then counts an attempt)."""
        if not isinstance(body, dict):
            raise BadInput("a campaign part message is a JSON object")
        try:
            campaign_id, ticket, note_id = str(body["campaignid"]), str(body["ticket"]), str(body["note"])
            part = int(body["part"])
        except (KeyError, TypeError, ValueError) as error:
            raise BadInput(f"campaign part message without a valid {error}") from None
        user, lang = body.get("userid"), body.get("lang")
        return cls(campaign_id, ticket, part, note_id, str(user) if user else None,
                   lang if lang in LANGUAGES else None)

    def body(self) -> dict[str, Any]:
        return {"campaignid": self.campaign_id, "ticket": self.ticket, "part": self.part, "note": self.note_id,
                "userid": self.user_id, "lang": self.lang}

    @property
    def lease_key(self) -> LeaseKey:
        return LeaseKey(self.campaign_id, self.ticket, self.part)


def campaign_lease_key(campaign: Campaign) -> LeaseKey:
    return LeaseKey(campaign.id, campaign.ticket or "", CAMPAIGN_PART)


def delay_until(when: datetime | None, now: datetime) -> timedelta | None:
    """The queue delay for a message due at `when` (None: now), capped at what the queue can hold."""
    if when is None or when <= now:
        return None
    return min(when - now, MAX_DELAY)


def campaign_lease_until(campaign: Campaign, now: datetime) -> datetime:
    """Until when a validate keeps the campaign: past its deferred start when it has one to come."""
    return max(now, campaign.start or now) + CAMPAIGN_LEASE


@dataclass(frozen=True)
class Plan:
    """The parts a validate (or a resume) queues, and the progress it writes."""
    queued: list[tuple[int, str]]           # (part number, staged note id)
    progress: PartsProgress


def first_plan(note_ids: list[str]) -> Plan:
    """`plan_parts` of a campaign whose lease no one held before: no part was ever queued, so every
    staged part is to go (its lease rows, none, are not read)."""
    return Plan(list(enumerate(note_ids, start=1)), PartsProgress(len(note_ids), 0, 0))


def plan_parts(leases: Leases, campaign: Campaign, note_ids: list[str], now: datetime, *,
               failed_too: bool) -> Plan:
    """Every staged part not done and not in a live worker's hands; with `failed_too` (validate
    again, a user's decision) the failed ones too, freed so that the count starts again. The resume
    timer leaves failed parts to the user: a part failing for good is not retried every 5 minutes."""
    rows = {lease.key.part: lease for lease in leases.of_campaign(campaign.id, campaign.ticket or "")
            if lease.key.part != CAMPAIGN_PART}
    queued, done, failed = [], 0, 0
    for part, note_id in enumerate(note_ids, start=1):
        row = rows.get(part)
        if row is not None and row.state == LeaseState.DONE:
            done += 1
        elif row is not None and row.live(now):
            continue                                   # a worker has it: its message is alive
        elif row is not None and row.state == LeaseState.FAILED and not failed_too:
            failed += 1
        else:
            if row is not None and row.state == LeaseState.FAILED:
                give_back(leases, row)
            queued.append((part, note_id))
    return Plan(queued, PartsProgress(len(note_ids), done, failed))


def queue_parts(queue: WorkQueue, campaign: Campaign, parts: list[tuple[int, str]], user_id: str | None,
                now: datetime, lang: str | None = None) -> None:
    """One message per part; held by the queue until a deferred start to come."""
    delay = delay_until(campaign.start if campaign.deferred(now) else None, now)
    for part, note_id in parts:
        queue.put(PartMessage(campaign.id, campaign.ticket or "", part, note_id, user_id, lang).body(), delay=delay)

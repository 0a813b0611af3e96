"""Releases one queued part of a validated campaign (a CAMPAIGN_PARTS message), as the user who
validated (CRM security applies), on whichever worker the queue hands it to.

In order: the campaign must still be Sending this preparation (else nothing: it was cancelled, or
prepared again); a message that surfaced before the deferred start goes back to the queue; the part's
lease is taken (another worker holds it: the message comes back when that lease ends; it is done:
nothing is sent again); numbers opted out since the preparation are left out; the part is released;
a part held by a window still to come (quiet times) goes back to the queue until then; else the part
is done, and the campaign's progress (and its end, once every part is settled) is counted.

A failure gives the part's lease back with the reason, and goes up: the queue delivers the message
again, and after its last attempt moves it to the poison queue (connector.campaigns.poison).
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from connector.campaigns.checks import LateOptOuts
from connector.campaigns.context import build_context
from connector.campaigns.fan_out import CAMPAIGN_LEASE, PartMessage, delay_until
from connector.campaigns.model import Campaign, CampaignError, CampaignStatus
from connector.campaigns.part_services import PartServices, ServiceFor
from connector.campaigns.release import release_part
from connector.campaigns.settle import Settled, settle_campaign, settle_released
from connector.quiet_times import QuietTimes
from connector.repositories.leases import (CAMPAIGN_PART, Lease, LeaseKey, LeaseState, PartOutcome, extend,
                                           give_back, settle, take)
from connector.send_policy import replies_wanted
from connector.sms.port import ProviderError
from connector.sms.reason import provider_reason

log = logging.getLogger(__name__)

# A worker's hold on a part: the host stops a function after 10 minutes (host.json functionTimeout), so a
# lease older than that (and a margin for clocks) belongs to a worker that is gone.
PART_LEASE = timedelta(minutes=11)
MAX_OPTED_OUT_KEPT = 20     # numbers opted out since the preparation kept per part for the summary


def release_queued_part(service_for: ServiceFor, body: object) -> str:
    """Releases the part `body` names; returns what happened (for the log). Raises when it failed,
    so that the queue delivers it again."""
    message = PartMessage.parse(body)
    return PartRelease(service_for(message.user_id), message).run()


class PartRelease:
    def __init__(self, service: PartServices, message: PartMessage, *, first: bool = False):
        # first: validate releases a campaign no one held before (`run_here`): nothing of it was sent
        self.service, self.message, self.first = service, message, first
        self.owner = f"part-{uuid.uuid4().hex[:16]}"
        self.now: datetime = service.clock()

    def run(self) -> str:
        service, message, now = self.service, self.message, self.now
        campaign = service.campaigns.get(message.campaign_id)
        if campaign.status != CampaignStatus.SENDING or campaign.ticket != message.ticket:
            return f"part {message.part}: the campaign is no longer being sent ({campaign.status.name.lower()})"
        if campaign.deferred(now):          # surfaced before its start (the queue holds 7 days at most)
            self.put_back(campaign.start)
            return f"part {message.part}: held until the deferred start"
        lease = take(service.leases, message.lease_key, self.owner, now + PART_LEASE, now)
        if lease.state == LeaseState.DONE:  # a redelivery, or a resume raced the first delivery
            self.count(campaign)
            return f"part {message.part}: already done"
        if not lease.held_by(self.owner, now):
            self.put_back(lease.expires)    # another worker has it: see again when its lease ends
            return f"part {message.part}: in another worker's hands"
        try:
            outcome = self.release(campaign)
        except Exception as error:
            give_back(service.leases, lease, reason=self.reason(error))
            raise
        held_until = outcome.held_until
        if held_until is not None:          # nothing sent for it: its window has not come
            give_back(service.leases, lease)
            self.put_back(held_until)
            extend(service.leases, self.campaign_key, held_until + CAMPAIGN_LEASE)
            return f"part {message.part}: held until {held_until:%Y-%m-%d %H:%M} UTC"
        settle(service.leases, lease, LeaseState.DONE, outcome=outcome.part)
        settled = self.count(campaign)
        if settled is not None and settled.status == CampaignStatus.SENDING:   # parts still to come
            extend(service.leases, self.campaign_key, self.now + CAMPAIGN_LEASE, current=settled.campaign_lease)
        return f"part {message.part}: {outcome.part.messages} SMS released"

    def run_here(self, campaign: Campaign, warnings: str = "") -> Settled | None:
        """Validate's own release of a campaign of one part, which it holds (its lease, taken new: no
        run before it, so no part lease and no ledger entries to read). The campaign's end when the
        part went out; None when a window must wait (the part then goes on the queue until then, as a
        worker would put it back). Raises when the release failed: the caller queues the part, for
        the workers to take up as any part (the ledger says what left). `warnings`: validate's, said
        again after the end's result."""
        outcome = self.release(campaign)
        if outcome.held_until is not None:
            self.put_back(outcome.held_until)
            extend(self.service.leases, self.campaign_key, outcome.held_until + CAMPAIGN_LEASE)
            return None
        part = Lease(self.message.lease_key, LeaseState.DONE, outcome=outcome.part)
        return settle_released(self.service.campaigns, campaign, part, lang=self.lang, now=self.now, said=warnings)

    @property
    def campaign_key(self) -> LeaseKey:
        return LeaseKey(self.message.campaign_id, self.message.ticket, CAMPAIGN_PART)

    def release(self, campaign: Campaign) -> _Released:
        service, message = self.service, self.message
        user = service.users.user_format(message.user_id)
        ctx = build_context(campaign, service.configuration.get(), user, None)
        late = LateOptOuts(service.optouts.active_numbers() if ctx.config.exclude_optouts else ())
        try:
            # The one call of the release engine per part (connector.campaigns.release).
            released = release_part(service.notes, service.activities, service.provider, campaign, message.part,
                                    message.note_id, ledger=service.ledger, sms_type=ctx.sms_type,
                                    sender=ctx.sender, now=self.now,
                                    quiet=QuietTimes.of(ctx.config), excludes=late.excludes,
                                    with_replies=replies_wanted(ctx.sender, ctx.config),
                                    apply_waiting=service.waiting_reports, first=self.first)
        finally:
            late.close()
            ctx.close()
        part = PartOutcome(released.messages, released.refused_activities, len(late.left_out),
                           tuple(late.left_out[:MAX_OPTED_OUT_KEPT]))
        return _Released(part, released.held_until)

    @property
    def lang(self) -> str:
        """The language validate was asked in, else the validating user's."""
        return self.message.lang or self.service.users.user_format(self.message.user_id).language

    def count(self, campaign: Campaign | None = None) -> Settled | None:
        """The campaign's progress counted (`campaign`: as read when the part began)."""
        lang = self.lang
        return settle_campaign(self.service.campaigns, self.service.leases, self.message.campaign_id,
                               self.message.ticket, lang=lang, now=self.now, campaign=campaign)

    def put_back(self, when: datetime | None) -> None:
        delay = delay_until(when, self.now) or timedelta(seconds=30)
        self.service.parts_queue.put(self.message.body(), delay=delay)

    def reason(self, error: Exception) -> str:
        lang = self.lang
        if isinstance(error, ProviderError):
            return provider_reason(lang, error)
        if isinstance(error, CampaignError):
            return error.say(lang)
        return str(error) or type(error).__name__


class _Released:
    """A part's release: what it came to, or the time its window opens (nothing sent for it)."""

    def __init__(self, part: PartOutcome, held_until: datetime | None):
        self.part, self.held_until = part, held_until


def drain_parts(take_due: Callable[[], list[str]], service_for: ServiceFor, *, max_attempts: int,
                on_part: Callable[[str], None] = lambda outcome: None, rounds: int = 10_000) -> list[str]:
    """A local run's queue host (the CLI, the demo): each due part message released, tried up to
    `max_attempts` times like the Functions host, then handed to the poison step. Stops when no
    message is due (those held for later stay in the queue). What happened to each, in order."""
    import json

    from connector.campaigns.poison import part_failed

    outcomes: list[str] = []
    for _ in range(rounds):
        bodies = take_due()
        if not bodies:
            break
        for body in bodies:
            message = json.loads(body)
            for attempt in range(1, max_attempts + 1):
                try:
                    outcome = release_queued_part(service_for, message)
                    break
                except Exception as error:      # the host logs it and delivers the message again
                    log.warning("campaign part: attempt %d failed: %s", attempt, error)
                    outcome = f"attempt {attempt} failed: {error}"
            else:
                outcome = part_failed(service_for, message)
            outcomes.append(outcome)
            on_part(outcome)
    return outcomes

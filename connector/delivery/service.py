"""Applies delivery reports (provider events of kind DELIVERY) to the SMS activities they are about.

A report applies to the outgoing activities sent under its ticket to its number, both matching: an
unknown ticket changes nothing, even for a number we sent to. Reports are handled many at a time:
the activities are found with a few combined queries, the new statuses (connector.delivery_status)
written in `$batch` requests of up to 1,000, and the reports marked processed (linked to their
activity) in one batch. A report matching no activity is left unprocessed and kept: its activity may
not be written yet (a campaign writes its activities after the send); `apply_waiting` (right after a
campaign's activities are written) and `sweep` (a timer) apply it once the activity exists. After
`SWEEP_DAYS` it is no longer looked at, and stays for support.

A report matching no activity may also be about a campaign request whose ticket a kill lost: its
activities carry the request id; the report's ticket is then adopted on them (connector.delivery.adoption)
and its status applied as usual.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from connector.activity import SmsStatus
from connector.delivery.adoption import Adoption, adopt_tickets
from connector.delivery.undeliverable import opt_out_undeliverable
from connector.delivery_status import failure_reason, settle
from connector.errors import SmscError
from connector.repositories.configuration import ConfigurationSource
from connector.repositories.delivery_targets import DeliveryTarget, DeliveryTargets, StatusChange
from connector.repositories.optouts import OptOuts
from connector.repositories.provider_events import ProviderEvent, ProviderEvents
from connector.repositories.send_ledger import SendLedger
from connector.repositories.users import Users
from connector.sms.callbacks import CallbackKind

log = logging.getLogger(__name__)
BATCH = 1000                # reports per batch: one `$batch` of status writes, one of processed marks
SWEEP_DAYS = 7              # how long an unmatched report is looked at again
SWEEP_PAGES = 10            # batches per sweep (a bounded run; the next sweep goes on)
BURST_SECONDS = 1           # a queued report takes with it the reports received since (a burst)


@dataclass
class Applied:
    """What one batch of reports did."""
    outcomes: dict[str, str] = field(default_factory=dict)     # event id -> the activity it was applied to
    changed: int = 0                                            # activities whose status changed
    waiting: list[str] = field(default_factory=list)            # events matching no activity (kept)
    failed: list[str] = field(default_factory=list)             # activities whose write failed (retried)
    opted_out: list[str] = field(default_factory=list)          # numbers now opted out as Undeliverable

    def add(self, other: Applied) -> None:
        self.outcomes.update(other.outcomes)
        self.changed += other.changed
        self.waiting += other.waiting
        self.failed += other.failed
        self.opted_out += other.opted_out

    def summary(self) -> str:
        return (f"{len(self.outcomes)} reports applied, {self.changed} statuses changed, "
                f"{len(self.waiting)} waiting for their activity" + (f", {len(self.failed)} writes failed"
                                                                     if self.failed else ""))


def is_pending_report(event: ProviderEvent) -> bool:
    return (event.callback.kind == CallbackKind.DELIVERY and event.processed_on is None
            and bool(event.callback.ticket))


class DeliveryService:
    def __init__(self, targets: DeliveryTargets, events: ProviderEvents, optouts: OptOuts,
                 configuration: ConfigurationSource, users: Users, clock: Callable[[], datetime],
                 provider: str = "Octopush", *, ledger: SendLedger | None = None, ticket_per_request: bool = False):
        # ledger: where a request whose ticket is adopted becomes Accepted (None: no adoption);
        # ticket_per_request: the provider's capability (one ticket for all the recipients of a request)
        self.targets, self.events, self.optouts = targets, events, optouts
        self.configuration, self.users, self.clock, self.provider = configuration, users, clock, provider
        self.ledger, self.ticket_per_request = ledger, ticket_per_request

    # -- entry points ---------------------------------------------------------------------------
    def apply(self, reports: Sequence[ProviderEvent]) -> Applied:
        """Applies these reports and marks the applied ones processed."""
        done = Applied()
        pending = _unique(r for r in reports if is_pending_report(r))
        for start in range(0, len(pending), BATCH):
            batch = self.resolve(pending[start:start + BATCH])
            if batch.outcomes:
                self.events.mark_processed(batch.outcomes, self.clock())
            done.add(batch)
        return done

    def with_burst(self, reports: Sequence[ProviderEvent]) -> list[ProviderEvent]:
        """These reports and the ones received since the oldest of them, still unprocessed (up to a
        batch): a queue message carries one report, but a burst of them is applied in a few batches."""
        own = [r for r in reports if is_pending_report(r)]
        if not own:
            return []
        since = min(r.received_on for r in own) - timedelta(seconds=BURST_SECONDS)
        more = self.events.unprocessed(CallbackKind.DELIVERY, received_after=since, limit=BATCH - len(own))
        return _unique([*own, *more])

    def apply_waiting(self, tickets: Collection[str]) -> Applied:
        """Reports of these tickets that arrived before their activities (just written)."""
        return self.apply(self.targets.awaiting(tickets)) if tickets else Applied()

    def sweep(self) -> Applied:
        """Unprocessed reports of the last SWEEP_DAYS, oldest first, a batch at a time."""
        done = Applied()
        since = self.clock() - timedelta(days=SWEEP_DAYS)
        for _ in range(SWEEP_PAGES):
            page = self.events.unprocessed(CallbackKind.DELIVERY, received_after=since, limit=BATCH)
            done.add(self.apply(page))
            if len(page) < BATCH:
                break
            since = _next_page(page, since)
        return done

    # -- one batch ------------------------------------------------------------------------------
    def resolve(self, reports: Sequence[ProviderEvent]) -> Applied:
        """Writes the statuses these reports (at most a batch) decide, and opts out the numbers that
        stay undeliverable; says which reports were applied, without marking them."""
        done = Applied()
        pairs = {(r.callback.ticket or "", r.callback.number) for r in reports}
        found = dict(self.targets.find(pairs))
        adopted = self._adopt(pairs - found.keys())
        for pair, targets in adopted.found.items():
            found[pair] = [*found.get(pair, ()), *targets]
        by_activity: dict[str, tuple[DeliveryTarget, list[str]]] = {}
        applied_to: dict[str, list[str]] = defaultdict(list)
        for report in reports:
            matches = found.get((report.callback.ticket or "", report.callback.number), ())
            if not matches:
                done.waiting.append(report.id)
                continue
            for target in matches:
                by_activity.setdefault(target.activity_id, (target, []))[1].append(report.callback.status or "")
                applied_to[report.id].append(target.activity_id)
        changes = [c for c in (self._change(target, statuses) for target, statuses in by_activity.values()) if c]
        changes = [replace(c, ticket=adopted.tickets.get(c.activity_id)) for c in changes]
        changed = {c.activity_id for c in changes}
        changes += [StatusChange(activity_id, None, ticket=ticket) for activity_id, ticket in adopted.tickets.items()
                    if activity_id not in changed]
        done.failed = list(self.targets.write(changes)) if changes else []
        failed = set(done.failed)
        if failed:
            log.warning("%d SMS statuses could not be written; their reports stay unprocessed", len(failed))
        done.changed = sum(1 for c in changes if c.status is not None and c.activity_id not in failed)
        done.outcomes = {event_id: activities[0] for event_id, activities in applied_to.items()
                         if not failed.intersection(activities)}
        undeliverable = {by_activity[c.activity_id][0].number for c in changes
                         if c.status == SmsStatus.UNDELIVERABLE and c.activity_id not in failed}
        if undeliverable:
            done.opted_out = opt_out_undeliverable(undeliverable, self.targets, self.optouts,
                                                   self.configuration.get().undeliverable_after)
        return done

    def _adopt(self, unmatched: set[tuple[str, str]]) -> Adoption:
        """The tickets of unmatched reports adopted by the activities of an uncertain request (none
        without a ledger); a failure to read or write leaves the reports waiting for the next sweep."""
        if self.ledger is None or not unmatched:
            return Adoption()
        try:
            return adopt_tickets(unmatched, self.targets, self.ledger, ticket_per_request=self.ticket_per_request)
        except SmscError as error:
            log.warning("reports of unknown tickets stay waiting, their tickets could not be adopted: %s", error)
            return Adoption()

    def _change(self, target: DeliveryTarget, statuses: Sequence[str]) -> StatusChange | None:
        settled = settle(target.status, statuses)
        if settled is None:
            return None
        if settled.status != SmsStatus.UNDELIVERABLE:
            return StatusChange(target.activity_id, settled.status)
        lang = self.users.user_format(target.owner_id).language
        return StatusChange(target.activity_id, settled.status,
                            failure_reason(lang, self.provider, settled.provider_status))


def _next_page(page: Sequence[ProviderEvent], since: datetime) -> datetime:
    """Where the next page of a full one starts. Dates are second-grained: the page's last second is
    read again (what it applied has left the list), unless the whole page is that one second, still
    waiting; then the sweep moves past it (what that second held beyond a page waits for its ticket's
    activities: `apply_waiting` reads by ticket, with no such limit)."""
    first, last = (page[0].received_on.replace(microsecond=0), page[-1].received_on.replace(microsecond=0))
    return max(since, last if first == last else last - timedelta(seconds=1))


def _unique(events) -> list[ProviderEvent]:
    seen: dict[str, ProviderEvent] = {}
    for event in events:
        seen.setdefault(event.id, event)
    return list(seen.values())

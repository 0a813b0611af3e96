import itertools
from dataclasses import dataclass

from connector.activity import SmsStatus
from connector.idempotency import parse_campaign_request_id
from connector.repositories.delivery_targets import DeliveryTarget
from connector.sms.callbacks import CallbackKind

SENT = (SmsStatus.SENT, SmsStatus.DELIVERED, SmsStatus.UNDELIVERABLE)


@dataclass
class Row:
    ticket: str
    number: str
    status: SmsStatus
    owner: str | None
    error: str | None
    order: int
    campaign: str | None = None


class FakeDeliveryTargets:
    """Activities by id (created in order); counts its queries and keeps each write batch. `events`: the
    provider events `awaiting` reads. Ids in `refuse` fail to be written."""

    def __init__(self, events=None, ledger=None):
        self.rows: dict[str, Row] = {}
        self.events, self.ledger = events, ledger      # ledger: a FakeSendLedger `ledger_requests` reads
        self.finds, self.writes, self.refuse = 0, [], set()
        self.lookups = 0            # unticketed and sent_in queries
        self.order = itertools.count()

    def add(self, activity_id, ticket, number, status=SmsStatus.SENT, owner=None, campaign=None):
        self.rows[activity_id] = Row(ticket, number, SmsStatus(status), owner, None, next(self.order), campaign)
        return activity_id

    def _target(self, activity_id, row):
        return DeliveryTarget(activity_id, row.ticket, row.number, row.status, row.owner, row.campaign)

    def find(self, pairs):
        self.finds += 1
        found = {}
        for activity_id, row in self.rows.items():
            if (row.ticket, row.number) in set(pairs):
                found.setdefault((row.ticket, row.number), []).append(self._target(activity_id, row))
        return found

    def write(self, changes):
        self.writes.append(list(changes))
        for change in changes:
            if change.activity_id not in self.refuse:
                row = self.rows[change.activity_id]
                if change.status is not None:
                    row.status, row.error = change.status, change.error
                if change.ticket is not None:
                    row.ticket = change.ticket
        return [c.activity_id for c in changes if c.activity_id in self.refuse]

    def latest_statuses(self, number, count):
        rows = sorted((r for r in self.rows.values() if r.number == number and r.status in SENT),
                      key=lambda r: r.order, reverse=True)
        return [r.status for r in rows[:count]]

    def awaiting(self, tickets):
        return [e for e in self.events.unprocessed(CallbackKind.DELIVERY) if e.callback.ticket in set(tickets)]

    def unticketed(self, numbers):
        self.lookups += 1
        found = {}
        for activity_id, row in self.rows.items():
            if row.number in set(numbers) and parse_campaign_request_id(row.ticket) is not None:
                found.setdefault(row.number, []).append(self._target(activity_id, row))
        return found

    def sent_in(self, request_ids):
        self.lookups += 1
        return [self._target(activity_id, row) for activity_id, row in self.rows.items() if row.ticket in set(request_ids)]

    def ledger_requests(self, tickets):
        self.lookups += 1
        found = {}
        for entry in self.ledger.entries.values() if self.ledger else ():
            if entry.ticket in set(tickets):
                found.setdefault(entry.ticket, set()).add(entry.request_id)
        return found

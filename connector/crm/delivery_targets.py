"""The SMS activities (`smsc_textmessage`) delivery reports apply to, behind the `DeliveryTargets` port.

Matching reads `smsc_providermessageid` (the send's ticket) and `smsc_phonenumber` together. A ticket
with many reported numbers is read whole (one Octopush ticket covers at most 500 recipients: one
page); the others are combined, many (ticket, numbers) clauses per `$filter`, so a batch of 1,000
reports costs a handful of queries, not 1,000.

An activity written without its ticket (an Uncertain campaign request) carries the request id in
`smsc_providermessageid`: `unticketed` finds such activities by number (`startswith` the campaign
request prefix, then parsed), `sent_in` all those of given request ids, and `write` puts the adopted
ticket in their place."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from connector.activity import SmsStatus
from connector.crm.odata import odata_literal
from connector.crm.port import Crm
from connector.crm.provider_events import COLUMNS as EVENT_COLUMNS
from connector.crm.provider_events import EVENT_SET, event_from_row
from connector.crm.send_ledger import LEDGER_SET
from connector.crm.sms_activities import ACTIVITY_SET, ERROR_LENGTH
from connector.idempotency import CAMPAIGN_REQUEST_PREFIX, parse_campaign_request_id
from connector.repositories.delivery_targets import DeliveryTarget, StatusChange
from connector.repositories.provider_events import ProviderEvent
from connector.sms.callbacks import CallbackKind

SELECT = ("activityid", "smsc_providermessageid", "smsc_phonenumber", "smsc_status", "_ownerid_value",
          "_smsc_campaignid_value")
NOT_INCOMING = "(smsc_direction eq 1 or smsc_direction eq null)"    # unit SMS leave the direction empty
WHOLE_TICKET = 40           # from this many numbers of one ticket, read the ticket's rows instead
NUMBERS_PER_QUERY = 120     # number clauses per `$filter` (~6 KB of URL, well inside the limit)
TICKETS_PER_QUERY = 50
BATCH = 1000                # rows per $batch (the Web API's limit)
SENT = (SmsStatus.SENT, SmsStatus.DELIVERED, SmsStatus.UNDELIVERABLE)


def _target(row: Mapping[str, Any]) -> DeliveryTarget:
    status = row.get("smsc_status")
    return DeliveryTarget(row["activityid"], row.get("smsc_providermessageid") or "", row.get("smsc_phonenumber") or "",
                          SmsStatus(status) if status else None, row.get("_ownerid_value"),
                          row.get("_smsc_campaignid_value"))


def _columns(change: StatusChange) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    if change.status is not None:
        columns |= {"smsc_status": int(change.status),
                    "smsc_error": change.error[:ERROR_LENGTH] if change.error else None}
    if change.ticket is not None:
        columns["smsc_providermessageid"] = change.ticket
    return columns


def _either(clauses: Sequence[str]) -> str:
    return clauses[0] if len(clauses) == 1 else "(" + " or ".join(clauses) + ")"


def match_filters(pairs: Collection[tuple[str, str]]) -> Iterator[str]:
    """`$filter`s that together cover these (ticket, number) pairs (and may return a little more)."""
    by_ticket: dict[str, set[str]] = defaultdict(set)
    for ticket, number in pairs:
        by_ticket[ticket].add(number)
    clauses: list[str] = []
    size = 0
    for ticket, numbers in sorted(by_ticket.items()):
        same_ticket = f"smsc_providermessageid eq {odata_literal(ticket)}"
        if len(numbers) >= WHOLE_TICKET:
            yield f"{same_ticket} and {NOT_INCOMING}"
            continue
        ordered = sorted(numbers)
        for start in range(0, len(ordered), NUMBERS_PER_QUERY):
            chunk = ordered[start:start + NUMBERS_PER_QUERY]
            if size + len(chunk) > NUMBERS_PER_QUERY and clauses:
                yield f"{_either(clauses)} and {NOT_INCOMING}"
                clauses, size = [], 0
            numbers_clause = _either([f"smsc_phonenumber eq {odata_literal(n)}" for n in chunk])
            clauses.append(f"({same_ticket} and {numbers_clause})")
            size += len(chunk)
    if clauses:
        yield f"{_either(clauses)} and {NOT_INCOMING}"


class DataverseDeliveryTargets:
    def __init__(self, crm: Crm):
        self.crm = crm

    def find(self, pairs: Collection[tuple[str, str]]) -> Mapping[tuple[str, str], Sequence[DeliveryTarget]]:
        wanted = set(pairs)
        found: dict[tuple[str, str], list[DeliveryTarget]] = defaultdict(list)
        seen: set[str] = set()
        for condition in match_filters(wanted):
            for row in self.crm.retrieve_multiple(ACTIVITY_SET, select=SELECT, filter=condition):
                target = _target(row)
                if (target.ticket, target.number) in wanted and target.activity_id not in seen:
                    seen.add(target.activity_id)
                    found[(target.ticket, target.number)].append(target)
        return dict(found)

    def write(self, changes: Sequence[StatusChange]) -> Sequence[str]:
        updates = [(c.activity_id, _columns(c)) for c in changes]
        failed: list[str] = []
        for start in range(0, len(updates), BATCH):
            chunk = updates[start:start + BATCH]
            results = self.crm.batch_update(ACTIVITY_SET, chunk)
            failed += [record_id for (record_id, _), result in zip(chunk, results) if result.error is not None]
        return failed

    def latest_statuses(self, number: str, count: int) -> Sequence[SmsStatus]:
        went_out = " or ".join(f"smsc_status eq {int(s)}" for s in SENT)
        rows = self.crm.retrieve_multiple(
            ACTIVITY_SET, select=["smsc_status"], top=count, orderby="createdon desc",
            filter=f"smsc_phonenumber eq {odata_literal(number)} and ({went_out}) and {NOT_INCOMING}")
        return [SmsStatus(row["smsc_status"]) for row in rows]

    def awaiting(self, tickets: Collection[str]) -> Sequence[ProviderEvent]:
        ordered = sorted(set(tickets))
        events: list[ProviderEvent] = []
        for start in range(0, len(ordered), TICKETS_PER_QUERY):
            chunk = ordered[start:start + TICKETS_PER_QUERY]
            same_ticket = _either([f"smsc_ticket eq {odata_literal(t)}" for t in chunk])
            rows = self.crm.retrieve_multiple(
                EVENT_SET, select=EVENT_COLUMNS, orderby="smsc_receivedon asc",
                filter=f"smsc_kind eq {int(CallbackKind.DELIVERY)} and smsc_processedon eq null and {same_ticket}")
            events += [event_from_row(row) for row in rows]
        return events

    def unticketed(self, numbers: Collection[str]) -> Mapping[str, Sequence[DeliveryTarget]]:
        ordered = sorted(set(numbers))
        found: dict[str, list[DeliveryTarget]] = defaultdict(list)
        request_reference = f"startswith(smsc_providermessageid,{odata_literal(CAMPAIGN_REQUEST_PREFIX)})"
        for start in range(0, len(ordered), NUMBERS_PER_QUERY):
            numbers_clause = _either([f"smsc_phonenumber eq {odata_literal(n)}"
                                      for n in ordered[start:start + NUMBERS_PER_QUERY]])
            for row in self.crm.retrieve_multiple(ACTIVITY_SET, select=SELECT, filter=(
                    f"{request_reference} and {numbers_clause} and {NOT_INCOMING}")):
                target = _target(row)
                if parse_campaign_request_id(target.ticket) is not None:
                    found[target.number].append(target)
        return dict(found)

    def sent_in(self, request_ids: Collection[str]) -> Sequence[DeliveryTarget]:
        ordered = sorted(set(request_ids))
        targets: list[DeliveryTarget] = []
        for start in range(0, len(ordered), TICKETS_PER_QUERY):
            same_request = _either([f"smsc_providermessageid eq {odata_literal(r)}"
                                    for r in ordered[start:start + TICKETS_PER_QUERY]])
            rows = self.crm.retrieve_multiple(ACTIVITY_SET, select=SELECT, filter=f"{same_request} and {NOT_INCOMING}")
            targets += [_target(row) for row in rows]
        return targets

    def ledger_requests(self, tickets: Collection[str]) -> Mapping[str, Collection[str]]:
        ordered = sorted(set(tickets))
        found: dict[str, set[str]] = defaultdict(set)
        for start in range(0, len(ordered), TICKETS_PER_QUERY):
            chunk = ordered[start:start + TICKETS_PER_QUERY]
            same_ticket = _either([f"smsc_ticket eq {odata_literal(t)}" for t in chunk])
            for row in self.crm.retrieve_multiple(LEDGER_SET, select=["smsc_requestid", "smsc_ticket"],
                                                  filter=same_ticket):
                if row.get("smsc_ticket") and row.get("smsc_requestid"):
                    found[row["smsc_ticket"]].add(row["smsc_requestid"])
        return dict(found)

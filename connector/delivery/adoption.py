"""A lost ticket adopted from the delivery reports (issue 17).

A campaign request sent again after a kill between the provider's answer and the ledger's Accepted write
is answered "duplicate": its ledger entry is Uncertain and its SMS activities carry the request id
instead of the ticket (connector.campaigns.release). The provider's reports still carry the real ticket.
A report (ticket T, number N) that matches no activity is looked for among the activities to N still
carrying a campaign request id, and T written on them:

- a provider with one ticket per request (`Capabilities.ticket_per_request`, Octopush): the request R is
  the one every unmatched report of T in the batch points to (the intersection of their numbers'
  requests); T goes on *every* activity of R — so the reports still to come match as any other — and the
  ledger entry of R becomes Accepted with T, written first;
- a provider with one ticket per recipient: T goes on the one activity to N carrying a request id.

Never a guess: two requests left for T (two campaigns to the same numbers, both uncertain), one request
claimed by two tickets, one activity by two reports, a ticket the ledger already records for another
request (that request's activities, not written yet, will take it: the usual report that comes before
its activities), or a ledger entry that is not Uncertain (or already Accepted with T) leave the reports
waiting, and the reason is logged. Bounded: one combined query for the candidates of a batch
(`DeliveryTargets.unticketed`), one for the tickets the ledger holds, one read of the ledger per part
concerned, one write of the entries, one combined query for the requests' activities
(`DeliveryTargets.sent_in`).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace

from connector.idempotency import parse_campaign_request_id
from connector.repositories.delivery_targets import DeliveryTarget, DeliveryTargets
from connector.repositories.send_ledger import LedgerEntry, LedgerState, SendLedger

log = logging.getLogger(__name__)


@dataclass
class Adoption:
    """Activities now known under their adopted ticket: `found` as `DeliveryTargets.find` answers (their
    `ticket` the adopted one), `tickets` the provider reference to write on each (activity id -> ticket)."""
    found: dict[tuple[str, str], list[DeliveryTarget]] = field(default_factory=dict)
    tickets: dict[str, str] = field(default_factory=dict)


def adopt_tickets(pairs: Collection[tuple[str, str]], targets: DeliveryTargets, ledger: SendLedger,
                  *, ticket_per_request: bool) -> Adoption:
    """The tickets of these unmatched (ticket, number) reports adopted where they can be without guessing;
    the ledger entries of the requests adopted whole are written Accepted (raises when that fails)."""
    wanted = {(ticket, number) for ticket, number in pairs if ticket and number}
    candidates = targets.unticketed({number for _, number in wanted}) if wanted else {}
    if not candidates:
        return Adoption()
    if ticket_per_request:
        return _whole_requests(wanted, candidates, targets, ledger)
    return _one_each(wanted, candidates, targets, ledger)


def _whole_requests(wanted, candidates, targets: DeliveryTargets, ledger: SendLedger) -> Adoption:
    numbers_of: dict[str, set[str]] = defaultdict(set)
    for ticket, number in wanted:
        numbers_of[ticket].add(number)
    chosen: dict[str, str] = {}                         # request id -> ticket
    claimed: dict[str, set[str]] = defaultdict(set)
    sample: dict[str, DeliveryTarget] = {}              # request id -> one of its activities
    for ticket, numbers in numbers_of.items():
        per_number = [{target.ticket for target in candidates.get(number, ())} for number in numbers]
        if not any(per_number):
            continue                                    # an ordinary report waiting for its activity
        common = set.intersection(*per_number)
        if len(common) != 1:
            log.warning("delivery reports of ticket %s stay waiting: %s", ticket,
                        f"{len(common)} uncertain requests hold all of its {len(numbers)} numbers" if common
                        else "no uncertain request holds all of its numbers")
            continue
        [request_id] = common
        claimed[request_id].add(ticket)
    for request_id, tickets in claimed.items():
        if len(tickets) > 1:
            log.warning("request %s stays without a ticket: reports of %d tickets point to it (%s)", request_id,
                        len(tickets), ", ".join(sorted(tickets)))
            continue
        chosen[request_id] = next(iter(tickets))
    elsewhere = _recorded_elsewhere(chosen.items(), targets)
    chosen = {request_id: ticket for request_id, ticket in chosen.items() if (request_id, ticket) not in elsewhere}
    for number_targets in candidates.values():
        for target in number_targets:
            sample.setdefault(target.ticket, target)
    entries = _entries(chosen, sample, ledger)
    accepted = [entry.accepted(chosen[entry.request_id]) for entry in entries.values() if entry.ticket is None]
    if accepted:
        ledger.write(accepted)
    adoption = Adoption()
    for target in targets.sent_in(list(entries)) if entries else ():
        ticket = chosen.get(target.ticket)
        if ticket is not None and target.ticket in entries:
            adoption.tickets[target.activity_id] = ticket
            adoption.found.setdefault((ticket, target.number), []).append(replace(target, ticket=ticket))
    return adoption


def _one_each(wanted, candidates, targets: DeliveryTargets, ledger: SendLedger) -> Adoption:
    chosen: dict[str, tuple[str, DeliveryTarget]] = {}          # activity id -> (ticket, activity)
    refused: set[str] = set()
    for ticket, number in wanted:
        found = candidates.get(number, ())
        if len(found) != 1:
            if found:
                log.warning("delivery report of ticket %s stays waiting: %d SMS to its number carry a request id",
                            ticket, len(found))
            continue
        target = found[0]
        if target.activity_id in chosen and chosen[target.activity_id][0] != ticket:
            refused.add(target.activity_id)
        chosen[target.activity_id] = (ticket, target)
    for activity_id in refused:
        log.warning("SMS %s stays without a ticket: reports of two tickets point to it", activity_id)
        del chosen[activity_id]
    elsewhere = _recorded_elsewhere([(target.ticket, ticket) for ticket, target in chosen.values()], targets)
    chosen = {a: (ticket, target) for a, (ticket, target) in chosen.items() if (target.ticket, ticket) not in elsewhere}
    entries = _entries({target.ticket: ticket for ticket, target in chosen.values()},
                       {target.ticket: target for _, target in chosen.values()}, ledger, per_recipient=True)
    adoption = Adoption()
    for activity_id, (ticket, target) in chosen.items():
        if target.ticket in entries:
            adoption.tickets[activity_id] = ticket
            adoption.found.setdefault((ticket, target.number), []).append(replace(target, ticket=ticket))
    return adoption


def _recorded_elsewhere(pairs: Iterable[tuple[str, str]], targets: DeliveryTargets) -> set[tuple[str, str]]:
    """The (request id, ticket) pairs whose ticket the ledger records for another request (one query)."""
    pairs = list(pairs)
    recorded = targets.ledger_requests({ticket for _, ticket in pairs}) if pairs else {}
    refused = set()
    for request_id, ticket in pairs:
        if others := set(recorded.get(ticket, ())) - {request_id}:
            log.warning("reports of ticket %s stay waiting: the ledger records it for request %s, not %s", ticket,
                        ", ".join(sorted(others)), request_id)
            refused.add((request_id, ticket))
    return refused


def _entries(chosen: dict[str, str], sample: dict[str, DeliveryTarget], ledger: SendLedger, *,
             per_recipient: bool = False) -> dict[str, LedgerEntry]:
    """The ledger entries of the chosen requests that allow the adoption (read once per campaign part):
    Uncertain, or (one ticket per request) already Accepted with the same ticket (a run that wrote the
    ledger and not every activity)."""
    parts: dict[tuple[str, int], list[str]] = defaultdict(list)
    for request_id in chosen:
        request, campaign_id = parse_campaign_request_id(request_id), sample[request_id].campaign_id
        if request is not None and campaign_id:
            parts[(campaign_id, request.part)].append(request_id)
    allowed: dict[str, LedgerEntry] = {}
    for (campaign_id, part), request_ids in parts.items():
        known = {entry.request_id: entry for entry in ledger.part_entries(campaign_id, part)}
        for request_id in request_ids:
            entry = known.get(request_id)
            if entry is not None and (entry.state == LedgerState.UNCERTAIN and entry.ticket is None
                                      or not per_recipient and entry.ticket == chosen[request_id]):
                allowed[request_id] = entry
            else:
                log.warning("request %s keeps its SMS without a ticket: its ledger entry is %s", request_id,
                            "missing" if entry is None else f"{entry.state.name} ({entry.ticket or 'no ticket'})")
    return allowed

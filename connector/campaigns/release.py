"""Validate ("Envoyer les SMS"): sends exactly what preparation staged in the `resume.xml` notes —
text, SMS type, sender and replies as the marketer approved them — then writes one SMS activity per
recipient, one `$batch` request per window of up to 5,000 (its CreateMultiple operations of 1,000).

Exactly once, whatever is killed or retried: the send ledger (`connector.repositories.send_ledger`)
records each provider request Reserved before it leaves (a part's requests in one write, before its
first send) and Accepted with its ticket once its window's requests are back, ahead of the window's
activities and its Written entry, in one request (`SendLedger.record_window`: the CRM runs them in
order and stops at the first failure); a Written window is skipped by a resume. Each activity also
carries an idempotency key campaign + recipient (an alternate key: a second create is refused and
ignored).

A provider without idempotency (smsmode, ACS: its capabilities say so) cannot answer "duplicate": each
group of its requests is marked Sending in the ledger just before it leaves, and a resume makes a
Sending request Uncertain (never again) while it sends what stayed Reserved (never left). Requests
are of the provider's size (`Capabilities.recipients_per_request`), carry placeholders only where it
merges them, and go `parallel_requests` at a time; numbers its capabilities refuse (ACS: marketing to
France from a name) are left out before anything is sent.

Schedules are held here, not handed to the provider (DESIGN §7 « Schedules »): before a deferred
start, or when a marketing window falls in quiet times, the part stops before that window and says
until when (`Released.held_until`); the caller puts it back on the queue for then. Nothing is sent
with `send_at`, so a cancel until that moment leaves nothing at the provider.

The ticket of a request lost between its send and the ledger's Accepted write (a kill in that
instant) is not known: the provider only answers "duplicate" to the same request id. The request
is then Uncertain (sent, never again), and its activities carry the request id as their provider
reference — so they say which request they left in (the ledger row of that id), and a delivery
report of that unknown ticket, kept with the provider events, can be matched to them by number.
When it is the CRM that fails right after the send (the ticket known, the ledger write refused), the
activities of what left are written with the ticket before the failure surfaces: the resume finds
the request Uncertain, but its activities already hold the ticket (their keys refuse a second row).
"""
from __future__ import annotations

import io
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime

from connector.campaigns.model import Campaign
from connector.campaigns.progress import chunked
from connector.errors import SmscError
from connector.idempotency import campaign_recipient_key, campaign_request_id, campaign_window_key
from connector.quiet_times import QuietTimes, next_allowed
from connector.repositories.campaign_activities import CampaignActivities, CampaignSms
from connector.repositories.report_notes import ReportNotes
from connector.repositories.send_ledger import (EntriesUnwritten, LedgerEntry, LedgerState, SendLedger,
                                                WindowActivities, entries_room)
from connector.sms.capabilities import Capabilities, Refusal
from connector.sms.port import MERGE_SLOTS, DuplicateRequest, ProviderError, Recipient, SmsRequest, SmsType
from connector.text.encoding import GSM7, GSM_BASIC, GSM_EXTENSION, UCS2, segment_count

log = logging.getLogger(__name__)

# SMS per window: sent, then recorded with its activities in one request. A part says the window it was
# staged with (`fenetre`), so a resume cuts it as its first run did (the request ids derive from it);
# parts staged before they said it were cut in windows of LEGACY_WINDOW.
WINDOW = 5000
LEGACY_WINDOW = 1000
MAX_WINDOW = 10_000
PROVIDER_MAX = 500        # a ceiling on recipients per request, below what the provider takes (tests lower it)
LEDGER_WRITE = 1000       # ledger entries in one write
GSM_ALL = GSM_BASIC | GSM_EXTENSION


@dataclass(frozen=True)
class Staged:
    number: str
    table: str
    id: str
    text: str
    model: str | None = None               # the text with provider placeholders
    slots: tuple = ()                      # (slot, value) pairs for the placeholders


@dataclass(frozen=True)
class StagedSending:
    """How a part was staged to be sent (the `<transmission>` attributes `type`, `expediteur`,
    `reponses`, `fenetre`); parts staged before they were written there have none."""
    sms_type: SmsType
    sender: str | None
    with_replies: bool
    window: int = LEGACY_WINDOW


def staged_messages(content: bytes) -> Iterator[Staged]:
    """The SUCCES entries of one preparation part (parsed as it streams)."""
    models: dict[str, str] = {}
    for _, element in ET.iterparse(io.BytesIO(content), events=("end",)):
        if element.tag == "modele":
            models[element.get("id")] = element.text or ""
        elif element.tag == "sms" and element.get("statut") == "SUCCES":
            slots = tuple((s, element.get(s)) for s in MERGE_SLOTS if element.get(s) is not None)
            yield Staged(element.get("numero"), element.get("entite"), element.get("id"), element.text or "",
                         models.get(element.get("modele")), slots)
        element.clear()


def staged_sending(content: bytes) -> StagedSending | None:
    """The SMS type, sender and replies the part was staged with (its root element only)."""
    for _, element in ET.iterparse(io.BytesIO(content), events=("start",)):
        kind = element.get("type")
        if kind is None:
            return None
        window = element.get("fenetre")
        return StagedSending(SmsType(int(kind)), element.get("expediteur") or None, element.get("reponses") == "1",
                             min(max(int(window), 1), MAX_WINDOW) if window and window.isdigit() else LEGACY_WINDOW)
    return None


def campaign_sms(campaign: Campaign, staged: Staged, ticket: str | None) -> CampaignSms:
    text = staged.text
    encoding = GSM7 if GSM_ALL.issuperset(text) else UCS2      # a set test in C, as segment_count does
    return CampaignSms(campaign_recipient_key(campaign.id, staged.table, staged.id), staged.table, staged.id,
                       staged.number, text, encoding, segment_count(text), ticket)


def with_costs(messages: list[CampaignSms], charged: float | None) -> list[CampaignSms]:
    """The request's charge shared by its SMS in proportion to their parts (the provider charges per part;
    None when it tells no cost: smsmode, ACS, or a request sent by a run that did not come back)."""
    parts = sum(m.segments for m in messages)
    if charged is None or not parts:
        return messages
    return [replace(m, cost=round(charged * m.segments / parts, 4)) for m in messages]


@dataclass(frozen=True)
class WindowRequest:
    """One provider request of a window: its id, the text (or placeholder model), who it goes to."""
    request_id: str
    text: str
    staged: tuple[Staged, ...]

    merged: bool = True                   # `text` is a placeholder model the provider merges

    def sms_request(self, sending: StagedSending) -> SmsRequest:
        recipients = tuple(Recipient.merged(s.number, dict(s.slots)) if self.merged and s.model
                           else Recipient(s.number) for s in self.staged)
        return SmsRequest(recipients, self.text, sending.sms_type, self.request_id, sender=sending.sender,
                          with_replies=sending.with_replies)


def window_requests(window: Sequence[Staged], key: str, excludes: Callable[[str], bool] | None = None,
                    capabilities: Capabilities | None = None) -> list[WindowRequest]:
    """One request per text, or per placeholder model where the provider merges placeholders, of at
    most the provider's recipients per request (one each for smsmode: one ledger entry per recipient).
    The ids follow the staged order, not who is left out since (late opt-outs), so a resume finds the
    same ids. `capabilities`: the provider's (None: Octopush's shapes, 500 and placeholders)."""
    merges = capabilities is None or capabilities.placeholders
    size = min(PROVIDER_MAX, capabilities.recipients_per_request if capabilities else PROVIDER_MAX)
    by_text: dict[str, list[Staged]] = {}
    for staged in window:
        by_text.setdefault((staged.model if merges else None) or staged.text, []).append(staged)
    requests = []
    for group_no, (text, group) in enumerate(by_text.items()):
        for request_no, chunk in enumerate(chunked(group, size)):
            kept = tuple(s for s in chunk if excludes is None or not excludes(s.number))
            if kept:
                requests.append(WindowRequest(campaign_request_id(key, group_no, request_no), text, kept, merges))
    return requests


@dataclass
class Released:
    messages: int = 0               # SMS of the part released so far (this run or an earlier one)
    refused_activities: int = 0     # refused for a reason other than already existing
    held_until: datetime | None = None      # stopped before a window that may not leave before then
    uncertain: int = 0              # requests found sent with their ticket lost (see the module's doc)
    refused_by_provider: int = 0    # numbers the provider's capabilities rule out: never sent
    refusal: Refusal | None = None  # why (a user_texts key and its values), for the caller to say


def hold(campaign: Campaign, now: datetime, sending: StagedSending, first_number: str,
         quiet: QuietTimes | None) -> datetime | None:
    """When a window may leave, if not now: the deferred start (its quiet times checked when it comes),
    or the end of the quiet times for a marketing SMS (the window's first number's time zone)."""
    if campaign.deferred(now):
        return campaign.start
    if sending.sms_type == SmsType.MARKETING:
        return next_allowed(now, first_number, quiet)
    return None


def send_request(provider, ledger: SendLedger, request: WindowRequest, entry: LedgerEntry,
                 sending: StagedSending, ids: dict[tuple[str, str], str] | None = None,
                 costs: dict[str, float] | None = None) -> LedgerEntry:
    """Sends a Reserved request; what came of it (Accepted with its ticket, or Uncertain), for the
    caller to record before anything else happens. A clear refusal is recorded here, then raised.
    `ids` receives the provider's id of each accepted recipient (ACS: one per recipient, which its
    delivery reports name), by (request id, number)."""
    try:
        result = provider.send(request.sms_request(sending))
        ticket = result.ticket
    except DuplicateRequest:        # a run killed before recording it sent it: not again, ticket unknown
        return entry.uncertain()
    except ProviderError as error:
        if not error.retryable:     # a clear refusal; a time-out or 5xx may have gone: it stays Reserved
            ledger.write([entry.refused(str(error))])
        raise
    entry = entry.accepted(ticket)
    if costs is not None and result.cost is not None:     # what the provider charged for the request
        costs[request.request_id] = result.cost
    if ids is not None:
        ids.update({(request.request_id, r.number): r.provider_id for r in result.results
                    if r.accepted and r.provider_id})
    if result.refused:              # some recipients refused (the others accepted): said with the entry
        entry = replace(entry, error="; ".join(f"{r.number}: {r.reason}" for r in result.refused)[:2000])
    return entry


def send_all(provider, ledger: SendLedger, requests: Sequence[WindowRequest], entries: dict[str, LedgerEntry],
             sending: StagedSending, ids: dict[tuple[str, str], str], unrecorded: list[LedgerEntry],
             costs: dict[str, float] | None = None
             ) -> Iterator[tuple[WindowRequest, LedgerEntry | BaseException]]:
    """Sends the requests, up to the provider's `parallel_requests` at once (smsmode: one request per
    recipient); yields each request with its entry or its failure, in order, and stops at the first
    failure. The outcomes gather in `unrecorded`, for the caller's next ledger write. For a provider
    without idempotency, each group is marked Sending in the ledger just before it leaves, with the
    outcomes of the groups before it: a resume finds which may have left (Sending: never again) and
    which never did (Reserved: sent then)."""
    parallel = max(1, min(provider.capabilities.parallel_requests, len(requests)))
    marks = not provider.capabilities.idempotent_requests
    pool = ThreadPoolExecutor(max_workers=parallel) if parallel > 1 else None
    try:
        for start in range(0, len(requests), parallel):
            group = requests[start:start + parallel]
            if marks:
                for chunk in chunked([*unrecorded, *(replace(entries[r.request_id], state=LedgerState.SENDING)
                                                     for r in group)], LEDGER_WRITE):
                    ledger.write(chunk)
                unrecorded.clear()
            outcomes = _send_group(pool, provider, ledger, group, entries, sending, ids, costs)
            unrecorded += [o for o in outcomes if isinstance(o, LedgerEntry)]
            for request, outcome in zip(group, outcomes, strict=True):
                yield request, outcome
            if any(not isinstance(o, LedgerEntry) for o in outcomes):
                return
    finally:
        if pool is not None:
            pool.shutdown()


def _send_group(pool: ThreadPoolExecutor | None, provider, ledger: SendLedger, group: Sequence[WindowRequest],
                entries: dict[str, LedgerEntry], sending: StagedSending, ids: dict[tuple[str, str], str],
                costs: dict[str, float] | None = None
                ) -> list[LedgerEntry | BaseException]:
    """Each request's entry or failure; in this thread when they go one at a time (Octopush)."""
    if pool is None:
        try:
            return [send_request(provider, ledger, group[0], entries[group[0].request_id], sending, ids, costs)]
        except ProviderError as error:
            return [error]
    futures = [pool.submit(send_request, provider, ledger, r, entries[r.request_id], sending, ids, costs)
               for r in group]
    return [future.exception() or future.result() for future in futures]


def release_part(notes: ReportNotes, activities: CampaignActivities, provider, campaign: Campaign, part_no: int,
                 note_id: str, *, ledger: SendLedger, sms_type: SmsType, sender: str | None, now: datetime,
                 quiet: QuietTimes | None = None, excludes: Callable[[str], bool] | None = None,
                 with_replies: bool = False, apply_waiting: Callable[[set[str]], object] | None = None,
                 first: bool = False) -> Released:
    """One preparation part, end to end, window after window. Parts are independent (keys carry the
    part number), so they can run in any order, again, or on several workers (one at a time per part:
    the caller's lease). `sms_type`, `sender`, `with_replies`: for parts staged before the part
    carried its own. `excludes`: numbers opted out since the preparation, left out. Returns early
    with `held_until` set when a window must wait (nothing of it sent). `apply_waiting`: applies the
    delivery reports that came before the activities of these tickets (once per part; activities
    written through `activities` apply theirs themselves). `first`: no run ever released this part
    (validate's own release of a campaign no one held before): its ledger entries, none, are not read."""
    if campaign.deferred(now):      # nothing can have left before the start: not even read
        return Released(held_until=campaign.start)
    content = notes.content(note_id)
    part = _Part(campaign, part_no, ledger, staged_sending(content) or StagedSending(sms_type, sender, with_replies),
                 first)
    windows = list(chunked(staged_messages(content), part.sending.window))
    try:
        part.reserve(windows, provider, now, quiet, excludes)
        for window_no, window in enumerate(windows):
            if not part.release_window(window_no, window, activities, provider, now):
                break
    except ProviderError:           # the windows written so far stay done (the CRM answers)
        part.record_written()
        raise
    finally:
        part.apply_waiting(apply_waiting)
    part.record_written()
    return part.done


def _refused(entry: LedgerEntry, number: str) -> bool:
    """An accepted request's recipient the provider refused (the entry's error lists them)."""
    return entry.state == LedgerState.ACCEPTED and bool(entry.error) and f"{number}: " in (entry.error or "")


@dataclass
class _Plan:
    """A window's provider requests and their ledger entries, as planned before the part's first send."""
    requests: list[WindowRequest]
    entries: dict[str, LedgerEntry]


class _Part:
    """A part under way: its ledger entries as read once, each window's requests planned and reserved
    at once, and the ledger entries not yet recorded (they go with the next write)."""

    def __init__(self, campaign: Campaign, part_no: int, ledger: SendLedger, sending: StagedSending, first: bool):
        self.campaign, self.part_no, self.ledger, self.sending = campaign, part_no, ledger, sending
        self.known = {} if first else {entry.request_id: entry for entry in ledger.part_entries(campaign.id, part_no)}
        self.written: list[LedgerEntry] = []           # Written entries (and marks) for the next write
        self.ids: dict[tuple[str, str], str] = {}      # (request id, number) -> the provider's id for it
        self.costs: dict[str, float] = {}              # request id -> what the provider charged for it
        self.plans: dict[int, _Plan] = {}
        self.held_until: datetime | None = None
        self.tickets: set[str] = set()                 # of activities written with the ledger
        self.done = Released()

    def reserve(self, windows: Sequence[list[Staged]], provider, now: datetime, quiet: QuietTimes | None,
                excludes: Callable[[str], bool] | None) -> None:
        """Plans every window not written yet, up to the first that must wait, and writes at once what
        must be in the ledger before anything leaves: each request to send Reserved (new ones, and
        refused ones tried again), and, for a provider without idempotency, Uncertain for each one an
        earlier run marked Sending (it may have left: only the ledger can refuse a resend)."""
        left_out = self._excluding(excludes, provider.capabilities)
        marks = not provider.capabilities.idempotent_requests
        ahead: list[LedgerEntry] = []
        for window_no, window in enumerate(windows):
            key = campaign_window_key(self.campaign.ticket or "", self.part_no, window_no)
            if (mark := self.known.get(key)) is not None and mark.state == LedgerState.WRITTEN:
                continue
            requests = window_requests(window, key, left_out, provider.capabilities)
            entries = {r.request_id: self.known.get(r.request_id) or self._entry(window_no, r.request_id, len(r.staged))
                       for r in requests}
            if marks:
                maybe = [entries[r.request_id].uncertain() for r in requests
                         if (known := self.known.get(r.request_id)) is not None and known.state == LedgerState.SENDING]
                entries |= {e.request_id: e for e in maybe}
                ahead += maybe
            to_send = [r for r in requests if not entries[r.request_id].sent]
            if to_send and (until := hold(self.campaign, now, self.sending, window[0].number, quiet)) is not None:
                self.held_until = until
                break
            reserve = [self._entry(window_no, r.request_id, len(r.staged)) for r in to_send
                       if r.request_id not in self.known or entries[r.request_id].state != LedgerState.RESERVED]
            entries |= {e.request_id: e for e in reserve}
            ahead += reserve
            self.plans[window_no] = _Plan(requests, entries)
        for chunk in chunked(ahead, LEDGER_WRITE):
            self.ledger.write(chunk)
        self.known |= {e.request_id: e for e in ahead}

    def release_window(self, window_no: int, window: list[Staged], activities: CampaignActivities, provider,
                       now: datetime) -> bool:
        """False when the window is held (nothing of it sent)."""
        key = campaign_window_key(self.campaign.ticket or "", self.part_no, window_no)
        if (mark := self.known.get(key)) is not None and mark.state == LedgerState.WRITTEN:
            self.done.messages += mark.recipients
            return True
        if (plan := self.plans.get(window_no)) is None:
            self.done.held_until = self.held_until
            return False
        requests, entries = plan.requests, plan.entries
        to_send = [r for r in requests if not entries[r.request_id].sent]
        unrecorded: list[LedgerEntry] = []
        if to_send:
            failure: BaseException | None = None
            try:
                for request, outcome in send_all(provider, self.ledger, to_send, entries, self.sending, self.ids,
                                                 unrecorded, self.costs):
                    if isinstance(outcome, LedgerEntry):
                        entries[request.request_id] = outcome
                    else:
                        failure = failure or outcome
            except Exception:           # a ledger write between sends failed: the activities keep what left
                if unrecorded:
                    self._keep_tickets(requests, entries, activities, now)
                raise
            if failure is not None:     # what left is recorded before the failure goes up
                self._record(unrecorded, requests, entries, activities, now)
                raise failure
        messages = self._messages(requests, entries)
        written = self._entry(window_no, key, len(messages), LedgerState.WRITTEN)
        if not messages:
            self._record(unrecorded, requests, entries, activities, now)
            self.written.append(written)
            return True
        self._write_window(unrecorded, messages, written, requests, entries, activities, now)
        self.done.messages += len(messages)
        self.done.uncertain += sum(entries[r.request_id].state == LedgerState.UNCERTAIN for r in requests)
        return True

    def _write_window(self, unrecorded: list[LedgerEntry], messages: list[CampaignSms], written: LedgerEntry,
                      requests: Sequence[WindowRequest], entries: dict[str, LedgerEntry],
                      activities: CampaignActivities, now: datetime) -> None:
        """The requests' outcomes, then the window's activities and its Written entry: in one request
        when the ledger can (outcomes first: a ticket is recorded before anything else can fail)."""
        ahead, self.written = self.written + unrecorded, []
        room = entries_room(len(messages))
        while len(ahead) > room:                    # the ledger's share of one request, the rest first
            self._record(ahead[:LEDGER_WRITE], requests, entries, activities, now, keep=bool(unrecorded))
            ahead = ahead[LEDGER_WRITE:]
        sending = self.sending
        try:
            refused = self.ledger.record_window(ahead, WindowActivities(self.campaign, messages, sending.sms_type,
                                                                        sending.sender, now), written)
        except EntriesUnwritten as error:
            if unrecorded:          # the ledger failed after a send: the activities keep what left
                self._keep_tickets(requests, entries, activities, now)
            raise error.__cause__ or error from None
        self.written = []
        if refused is None:         # the ledger wrote the outcomes only: the activities, then Written
            refused = activities.create(self.campaign, messages, sms_type=sending.sms_type, sender=sending.sender,
                                        sent_at=now)
            self.written = [written]
        else:
            self.tickets |= {m.provider_ticket for m in messages if m.provider_ticket}
        self.done.refused_activities += refused

    def _record(self, entries: list[LedgerEntry], requests: Sequence[WindowRequest],
                window_entries: dict[str, LedgerEntry], activities: CampaignActivities, now: datetime, *,
                keep: bool = True) -> None:
        """Writes the pending entries and these; when that fails after a send, the activities of what
        left are written with their tickets first (`keep`)."""
        pending, self.written = self.written + entries, []
        if not pending:
            return
        try:
            for chunk in chunked(pending, LEDGER_WRITE):
                self.ledger.write(chunk)
        except Exception:
            if keep and entries:
                self._keep_tickets(requests, window_entries, activities, now)
            raise

    def _excluding(self, excludes: Callable[[str], bool] | None, capabilities: Capabilities
                   ) -> Callable[[str], bool]:
        """`excludes`, and the numbers this provider cannot carry the part's SMS to (ACS: marketing to
        France from a name): left out before anything is sent, counted, the reason kept. Without
        rules by country, the provider's answer is the same for every number: asked once."""
        if not capabilities.by_country:
            refusal = capabilities.refusal(self.sending.sms_type, "", self.sending.sender)
            if refusal is None:
                return excludes or (lambda number: False)
        def left_out(number: str) -> bool:
            if excludes is not None and excludes(number):
                return True
            refusal = capabilities.refusal(self.sending.sms_type, number, self.sending.sender)
            if refusal is not None:
                self.done.refused_by_provider += 1
                self.done.refusal = refusal
            return refusal is not None
        return left_out

    def _messages(self, requests: Sequence[WindowRequest], entries: dict[str, LedgerEntry]) -> list[CampaignSms]:
        """The window's activities, each with the provider's id for its recipient when this run sent it,
        else its request's ticket (its request id when Uncertain), but for the recipients the provider
        refused (named in the entry's error)."""
        messages = []
        for r in requests:
            sms = [campaign_sms(self.campaign, s, self.ids.get((r.request_id, s.number))
                                or entries[r.request_id].ticket or r.request_id)
                   for s in r.staged if not _refused(entries[r.request_id], s.number)]
            messages += with_costs(sms, self.costs.get(r.request_id))
        return messages

    def _keep_tickets(self, requests: Sequence[WindowRequest], entries: dict[str, LedgerEntry],
                      activities: CampaignActivities, now: datetime) -> None:
        """The ledger failed right after a send: the activities of what left are written with their
        tickets, so a resume (which finds that request Uncertain) keeps them. Best effort: the
        ledger's failure is the one the caller must see."""
        sent = [r for r in requests if entries[r.request_id].sent]
        try:
            activities.create(self.campaign, self._messages(sent, entries), sms_type=self.sending.sms_type,
                              sender=self.sending.sender, sent_at=now)
        except Exception:
            log.warning("campaign %s part %s: activities not written after the ledger failed", self.campaign.id,
                        self.part_no, exc_info=True)

    def record_written(self) -> None:
        if self.written:
            for chunk in chunked(self.written, LEDGER_WRITE):
                self.ledger.write(chunk)
            self.written = []

    def apply_waiting(self, apply: Callable[[set[str]], object] | None) -> None:
        """The delivery reports that came before the activities written with the ledger, applied (the
        sweep timer is the safety net when this fails)."""
        if apply is None or not self.tickets:
            return
        try:
            apply(self.tickets)
        except SmscError as error:
            log.warning("reports waiting for campaign %s stay for the sweep: %s", self.campaign.id, error)
        self.tickets = set()

    def _entry(self, window_no: int, request_id: str, recipients: int,
               state: LedgerState = LedgerState.RESERVED) -> LedgerEntry:
        return LedgerEntry(self.campaign.id, self.part_no, window_no, request_id, recipients, state)

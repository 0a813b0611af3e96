"""release_part with the send ledger, on fakes: kills at the worst moments, resumes, held schedules,
and the sending the part was staged with."""
from collections import Counter
from datetime import timedelta
from xml.sax.saxutils import quoteattr

import pytest

from connector.campaigns.release import release_part
from connector.quiet_times import QuietTimes
from connector.repositories.report_notes import Attachment
from connector.repositories.send_ledger import LedgerState
from connector.sms.port import ProviderError, SmsType
from tests.fakes.campaign_activities import FakeCampaignActivities
from tests.fakes.campaign_world import NOW, FakeProvider, a_campaign
from tests.fakes.report_notes import FakeReportNotes
from tests.fakes.send_ledger import FakeSendLedger

TICKET = "smsc-camp-1-20261123100000-abcdef"
NIGHT = NOW.replace(hour=22)                 # 23:00 in Paris
QUIET = QuietTimes(hours=(20, 8))


class Killed(Exception):
    """The process dies here (no handler of the release catches it)."""


class CountingActivities(FakeCampaignActivities):
    """Counts the `$batch` calls; dies before the `kill_on`-th writes anything."""

    def __init__(self):
        super().__init__()
        self.batches = 0
        self.kill_on: int | None = None

    def create(self, campaign, messages, **kw) -> int:
        self.batches += 1
        if self.batches == self.kill_on:
            raise Killed()
        return super().create(campaign, messages, **kw)


class KillingProvider(FakeProvider):
    """Accepts the `kill_after`-th request, then dies before its answer is used; or dies before the
    `kill_before`-th request leaves."""

    def __init__(self):
        super().__init__()
        self.calls = 0
        self.kill_after: int | None = None
        self.kill_before: int | None = None

    def send(self, request):
        self.calls += 1
        if self.calls == self.kill_before:
            raise Killed()
        result = super().send(request)
        if self.calls == self.kill_after:
            raise Killed()
        return result

    def per_number(self) -> Counter:
        return Counter(r.phone_number for request in self.sends for r in request.recipients)


def staged_part(count: int, *, attributes: str = ' type="1" reponses="0"', text: str = "Promo STOP au 30101",
                start: int = 0) -> bytes:
    lines = [f'<?xml version="1.0" encoding="UTF-8"?>\n<transmission campagne="camp-1" nom="Promo" '
             f'ticket="{TICKET}" partie="1"{attributes}>']
    lines += [f'  <sms statut="SUCCES" numero={quoteattr(number(n))} entite="contact" id="c-{n}" segments="1">'
              f'{text}</sms>' for n in range(start, start + count)]
    lines.append(f'  <sms statut="ECHEC" numero="12345" entite="contact" id="c-bad" segments="0" detail="x">{text}</sms>')
    return ("\n".join(lines) + "\n</transmission>\n").encode()


def number(n: int) -> str:
    return f"+336{n:08d}"


class Part:
    """One staged part and everything a release touches; `run()` releases it as a worker would."""

    def __init__(self, count: int, **staged):
        self.campaign = a_campaign(ticket=TICKET)
        self.notes = FakeReportNotes()
        self.note_id = self.notes.create("camp-1", "Résumé", Attachment("resume.xml", "application/xml",
                                                                        staged_part(count, **staged)), ticket=TICKET)
        self.activities = CountingActivities()
        self.provider = KillingProvider()
        self.ledger = FakeSendLedger(self.activities)

    def run(self, now=NOW, **kw):
        options = {"sms_type": SmsType.MARKETING, "sender": None, "now": now, "quiet": QUIET} | kw
        return release_part(self.notes, self.activities, self.provider, self.campaign, 1, self.note_id,
                            ledger=self.ledger, **options)

    def tickets(self) -> Counter:
        return Counter(row["sms"].provider_ticket for row in self.activities.rows.values())


def test_a_whole_part_sends_each_number_once_with_its_ticket_and_records_every_step():
    part = Part(2500)
    done = part.run()

    assert (done.messages, done.refused_activities, done.held_until, done.uncertain) == (2500, 0, None, 0)
    assert len(part.provider.sends) == 5 and set(part.provider.per_number().values()) == {1}   # 2 + 2 + 1
    assert all(row["sms"].provider_ticket.startswith("ticket-") for row in part.activities.rows.values())
    assert {r.send_at for r in part.provider.sends} == {None}           # held by us, never by the provider
    assert {row["sent_at"] for row in part.activities.rows.values()} == {NOW}
    states = Counter(e.state for e in part.ledger.entries.values())
    assert states == {LedgerState.ACCEPTED: 5, LedgerState.WRITTEN: 3}
    # 1 read; every request Reserved in one write; per window, one write: outcomes, activities, Written
    assert (part.ledger.reads, part.ledger.writes) == (1, 1 + 3)
    again = part.run()                              # a redelivered message: nothing left to do
    assert (again.messages, len(part.provider.sends), part.activities.batches) == (2500, 5, 3)
    assert (part.ledger.reads, part.ledger.writes) == (2, 4)


def test_a_part_is_cut_in_the_windows_it_was_staged_with():
    part = Part(5000, attributes=' type="1" reponses="0" fenetre="2500"')
    done = part.run()

    assert done.messages == 5000 and len(part.provider.sends) == 10
    written = sorted(e.window for e in part.ledger.entries.values() if e.state == LedgerState.WRITTEN)
    assert written == [0, 1]                                  # two windows of 2,500, not five of 1,000
    assert (part.ledger.reads, part.ledger.writes) == (1, 1 + 2)
    legacy = Part(2500, attributes=' type="1" reponses="0"')  # staged before parts said their window
    legacy.run()
    assert sum(e.state == LedgerState.WRITTEN for e in legacy.ledger.entries.values()) == 3


def test_killed_right_after_the_provider_accepted_the_resume_sends_nothing_twice():
    part = Part(10_000)
    part.provider.kill_after = 9                    # window 5's first request: accepted, not recorded
    with pytest.raises(Killed):
        part.run()
    assert part.activities.batches == 4
    lost = f"{TICKET}-1-4-0-0"
    assert part.ledger.entries[lost].state == LedgerState.RESERVED      # as every request still to send

    calls, batches = part.provider.calls, part.activities.batches
    done = part.run()

    assert done.messages == 10_000 and done.uncertain == 1
    assert set(part.provider.per_number().values()) == {1} and len(part.provider.per_number()) == 10_000
    assert part.provider.calls - calls == 1 + 1 + 10    # the unrecorded one asked again (duplicate), the rest
    assert part.activities.batches - batches == 6   # windows 5-10; 1-4 skipped
    assert part.ledger.entries[lost].state == LedgerState.UNCERTAIN
    tickets = part.tickets()
    assert sum(tickets.values()) == 10_000
    assert tickets[lost] == 500                     # its ticket is lost: the activities name the request
    assert all(t.startswith("ticket-") for t in tickets if t != lost)


def test_killed_after_the_ledger_recorded_the_ticket_the_resume_writes_it_on_every_activity():
    part = Part(10_000)
    part.activities.kill_on = 5                     # window 5 sent and recorded, its activities not written
    with pytest.raises(Killed):
        part.run()
    calls = part.provider.calls
    assert calls == 10

    done = part.run()

    assert done.messages == 10_000 and done.uncertain == 0
    assert part.provider.calls - calls == 10        # windows 6-10 only: window 5's tickets come from the ledger
    assert set(part.provider.per_number().values()) == {1}
    assert part.activities.batches == 5 + 6         # window 5's activities, then 6-10
    tickets = part.tickets()
    assert sum(tickets.values()) == 10_000 and all(t.startswith("ticket-") for t in tickets)


def test_when_the_ledger_fails_right_after_a_send_the_activities_keep_the_ticket_anyway():
    part = Part(2000)
    part.ledger.fail_on_write = 3                   # window 2's write (after the reservation and window 1's)
    with pytest.raises(ConnectionError):
        part.run()
    assert part.activities.batches == 2 and len(part.activities.rows) == 2000     # window 1, and what left
    part.ledger.fail_on_write = None

    done = part.run()

    assert done.messages == 2000 and done.uncertain == 2          # the ledger could not learn their tickets…
    assert set(part.provider.per_number().values()) == {1}
    assert all(t.startswith("ticket-") for t in part.tickets())   # …but its activities have it


def test_killed_after_the_activities_before_the_window_was_marked_written_the_resume_writes_it_again():
    part = Part(2000)
    part.ledger.fail_written_on = 1                 # window 1: outcomes and activities written, Written not
    with pytest.raises(ConnectionError):
        part.run()
    assert len(part.activities.rows) == 1000 and len(part.provider.sends) == 2
    part.ledger.fail_written_on = None

    done = part.run()

    assert done.messages == 2000 and done.uncertain == 0 and len(part.provider.sends) == 4
    assert part.activities.batches == 1 + 2         # window 1's activities again (already there), window 2
    assert len(part.activities.rows) == 2000 and all(t.startswith("ticket-") for t in part.tickets())


def test_an_entry_holding_a_ticket_is_never_sent_again_whatever_its_state():
    from connector.repositories.send_ledger import LedgerEntry

    part = Part(600)
    first = f"{TICKET}-1-0-0-0"
    part.ledger.entries[first] = LedgerEntry("camp-1", 1, 0, first, 500, LedgerState.RESERVED, "sms_known")
    assert part.run().messages == 600
    assert [r.request_id for r in part.provider.sends] == [f"{TICKET}-1-0-0-1"]
    assert part.tickets()["sms_known"] == 500


def test_a_failed_reservation_sends_nothing():
    part = Part(3000)
    part.ledger.fail_on_write = 1                   # every window's requests, Reserved in one write
    with pytest.raises(ConnectionError):
        part.run()
    assert len(part.provider.sends) == 0
    part.ledger.fail_on_write = None
    assert part.run().messages == 3000 and set(part.provider.per_number().values()) == {1}


def test_a_refusal_is_recorded_with_its_reason_and_tried_again_next_time():
    part = Part(1500)
    part.provider.fail_send = ProviderError("STOP mention missing (Octopush code 121)", code=121)
    with pytest.raises(ProviderError):
        part.run()
    refused, waiting, later = part.ledger.entries.values()   # every request reserved together
    assert later.state == LedgerState.RESERVED and waiting.state == LedgerState.RESERVED and refused.state == LedgerState.REFUSED and refused.error == "STOP mention missing (Octopush code 121)"
    part.provider.fail_send = None
    assert part.run().messages == 1500
    assert {e.state for e in part.ledger.entries.values()} == {LedgerState.ACCEPTED, LedgerState.WRITTEN}
    assert part.ledger.entries[refused.request_id].error is None


def test_a_time_out_stays_reserved_the_request_may_have_left():
    part = Part(600)
    part.provider.fail_send = ProviderError("Octopush did not answer in time", retryable=True)
    with pytest.raises(ProviderError):
        part.run()
    assert {e.state for e in part.ledger.entries.values()} == {LedgerState.RESERVED}
    part.provider.fail_send = None
    assert part.run().messages == 600 and len(part.provider.sends) == 2


def test_an_opt_out_in_a_window_already_written_does_not_shift_the_next_windows():
    part = Part(1200)
    part.ledger.fail_on_write = 2                   # window 1's write: its SMS left, window 2 not sent
    with pytest.raises(ConnectionError):
        part.run()
    part.ledger.fail_on_write = None
    done = part.run(excludes={number(5), number(1100)}.__contains__)     # two opt-outs since the first run

    # Window 1's outcomes and Written went with the failed write (its activities were kept with their
    # tickets): written again (already there), now without number 5; window 2 keeps its staged
    # recipients, less number 1100.
    assert done.messages == 999 + 199 and number(1100) not in part.provider.per_number()
    assert len(part.activities.rows) == 1199
    assert set(part.provider.per_number().values()) == {1} and len(part.provider.per_number()) == 1199
    [second] = [r for r in part.provider.sends if r.request_id.endswith("-1-1-0-0")]
    assert len(second.recipients) == 199 and second.recipients[0].phone_number == number(1000)


# -- held by the connector ----------------------------------------------------------------------------
def test_a_marketing_part_at_night_is_held_until_the_quiet_hours_end_and_nothing_leaves():
    part = Part(1500)
    done = part.run(now=NIGHT)

    assert done.held_until.isoformat() == "2026-11-24T08:00:00+01:00"
    assert (done.messages, part.provider.calls, part.activities.batches, part.ledger.writes) == (0, 0, 0, 0)
    morning = part.run(now=done.held_until)
    assert morning.held_until is None and morning.messages == 1500


def test_windows_already_written_stay_written_when_the_rest_is_held():
    part = Part(2500)
    part.provider.kill_before = 5                   # window 3's request: windows 1 and 2 written
    with pytest.raises(Killed):
        part.run()
    sent, batches = len(part.provider.sends), part.activities.batches
    done = part.run(now=NIGHT)

    assert done.messages == 2000 and done.held_until.isoformat() == "2026-11-24T08:00:00+01:00"
    assert len(part.provider.sends) == sent == 4    # window 3 waits, nothing of it sent
    assert part.activities.batches == batches == 2  # windows 1 and 2 stay written
    morning = part.run(now=done.held_until)
    assert morning.messages == 2500 and set(part.provider.per_number().values()) == {1}


def test_a_window_sent_before_the_quiet_hours_began_is_written_at_night_without_sending():
    part = Part(2500)
    part.activities.kill_on = 3                     # window 3 sent and recorded, its activities not written
    with pytest.raises(Killed):
        part.run()
    sent = part.provider.calls
    done = part.run(now=NIGHT)
    assert done.messages == 2500 and done.held_until is None and part.provider.calls == sent
    assert sum(part.tickets().values()) == 2500 and None not in part.tickets()


def test_a_deferred_start_holds_the_part_until_it_comes_without_reading_anything():
    start = NOW + timedelta(days=2)
    part = Part(100)
    part.campaign = a_campaign(ticket=TICKET, start=start)
    part.notes.content = None                     # not even read
    done = part.run()
    assert done.held_until == start and done.messages == 0 and part.ledger.reads == 0
    assert part.provider.calls == 0


def test_transactional_sms_are_not_held_at_night():
    part = Part(10, attributes=' type="2" reponses="0"')
    done = part.run(now=NIGHT)
    assert done.held_until is None and done.messages == 10


# -- what was staged is what is sent -------------------------------------------------------------------
def test_the_part_is_sent_with_the_type_sender_and_replies_it_was_staged_with():
    part = Part(3, attributes=' type="2" expediteur="ShopA" reponses="1"')
    part.run(sms_type=SmsType.MARKETING, sender="ShopB", with_replies=False)
    [request] = part.provider.sends
    assert (request.sms_type, request.sender, request.with_replies) == (SmsType.TRANSACTIONAL, "ShopA", True)
    assert {(r["sms_type"], r["sender"]) for r in part.activities.rows.values()} == {(SmsType.TRANSACTIONAL, "ShopA")}


def test_a_part_staged_without_a_sender_sends_none_whatever_the_campaign_says_now():
    part = Part(3, attributes=' type="1" reponses="0"')
    part.run(sender="ShopB")
    assert part.provider.sends[0].sender is None


def test_a_part_staged_before_it_carried_its_sending_uses_the_values_given():
    part = Part(3, attributes="")
    part.run(sms_type=SmsType.TRANSACTIONAL, sender="ShopB", with_replies=True, now=NIGHT)
    [request] = part.provider.sends
    assert (request.sms_type, request.sender, request.with_replies) == (SmsType.TRANSACTIONAL, "ShopB", True)


def test_prepared_with_sender_a_then_changed_to_b_the_release_sends_a():
    from dataclasses import replace

    from connector.campaigns.model import CampaignAction as A
    from tests.fakes.campaign_world import world

    w = world(a_campaign(sender="ShopA", sms_type=2))
    assert w.run(A.PREPARE).ok
    [note_id] = w.notes.staged_parts("camp-1", w.campaign.ticket)
    root = w.notes.content(note_id).split(b"\n")[1]
    assert b' type="2" expediteur="ShopA" reponses="0" fenetre="5000">' in root
    w.campaigns.rows["camp-1"] = replace(w.campaign, sender="ShopB", sms_type=1)      # changed after approval

    done = release_part(w.notes, w.activities, w.provider, w.campaign, 1, note_id, ledger=FakeSendLedger(),
                        sms_type=SmsType.MARKETING, sender="ShopB", now=NOW)
    assert done.messages == 3
    [request] = w.provider.sends
    assert (request.sender, request.sms_type) == ("ShopA", SmsType.TRANSACTIONAL)


def test_a_requests_charge_is_shared_by_its_sms_in_proportion_to_their_parts():
    from connector.campaigns.release import with_costs
    from connector.repositories.campaign_activities import CampaignSms

    def sms(segments: int) -> CampaignSms:
        return CampaignSms("k", "contact", "id", "+33600000001", "x", "GSM-7", segments, "t")

    shared = with_costs([sms(1), sms(2), sms(1)], 0.36)
    assert [m.cost for m in shared] == [0.09, 0.18, 0.09]
    assert [m.cost for m in with_costs([sms(1)], None)] == [None]        # the provider told no cost

"""Validate's fan-out on in-memory fakes: one queue message per staged part, part workers in any order,
redeliveries, progress, poison, leases (one validate at a time), held parts, cancel, the resume timer."""
import itertools
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest

import connector.campaigns.parts as parts_module
from connector.campaigns.model import CampaignAction as A
from connector.campaigns.model import CampaignStatus as S
from connector.campaigns.parts import PART_LEASE, drain_parts, release_queued_part
from connector.campaigns.poison import part_failed
from connector.campaigns.resume import resume_campaigns
from connector.errors import BadInput
from connector.repositories.campaigns import PartsProgress
from connector.repositories.leases import LeaseKey, LeaseState, take
from connector.repositories.optouts import OptOutReason
from tests.fakes.campaign_world import FRENCH, NOW, a_campaign, contact, world
from tests.fakes.report_notes import FakeReportNotes

SIX = [contact(n) for n in range(1, 7)]
NUMBERS = [f"+336000000{n:02d}" for n in range(1, 7)]


def three_parts(**kw):
    """A prepared campaign of 6 contacts staged in 3 `resume.xml` parts (a small attachment limit)."""
    w = world(candidates=SIX, **kw)
    w.notes = FakeReportNotes(upload_limit=3500)
    assert w.run(A.PREPARE).ok
    assert len(w.notes.staged_parts("camp-1", w.campaign.ticket)) == 3
    return w


def worker(w):
    return lambda user: w.service()


def part_lease(w, part):
    return w.leases.read(LeaseKey("camp-1", w.campaign.ticket, part))


def test_validate_puts_one_message_per_part_and_moves_the_campaign_to_sending_with_its_progress():
    w = three_parts()
    result = w.run(A.VALIDATE)

    assert result.ok and result.status == S.SENDING
    assert result.summary == "3 of 3 part(s) queued for sending: the progress shows on the campaign."
    assert w.campaign.status == S.SENDING and w.campaign.parts == PartsProgress(3, 0, 0)
    assert w.campaign.last_result == result.summary and w.provider.sends == []
    notes = w.notes.staged_parts("camp-1", w.campaign.ticket)
    assert w.parts_queue.put_messages == [
        ({"campaignid": "camp-1", "ticket": w.campaign.ticket, "part": n, "note": notes[n - 1], "userid": "user-en",
          "lang": "en"},
         None) for n in (1, 2, 3)]
    assert "+33" not in json.dumps(w.parts_queue.put_messages)        # ids only, never a number


def test_the_result_is_in_the_users_language():
    w = three_parts()
    assert w.run(A.VALIDATE, FRENCH).summary == ("3 partie(s) sur 3 mise(s) en file d'envoi : l'avancement "
                                                 "s'affiche sur la campagne.")


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_parts_released_in_any_order_send_every_recipient_once_and_the_progress_counts_them(order):
    w = three_parts()
    w.run(A.VALIDATE)
    messages = w.parts_queue.take()
    progress = []
    for index in order:
        release_queued_part(worker(w), messages[index])
        progress.append(w.campaign.parts)

    assert progress == [PartsProgress(3, 1, 0), PartsProgress(3, 2, 0), PartsProgress(3, 3, 0)]
    assert w.provider.numbers == NUMBERS and len(w.activities.of("camp-1")) == 6
    assert w.campaign.status == S.SENT and w.campaign.last_result == "6 SMS sent."
    assert w.campaign.start == NOW
    assert part_lease(w, 0).state == LeaseState.DONE


def test_a_redelivered_message_sends_nothing_twice():
    w = three_parts()
    w.run(A.VALIDATE)
    messages = w.parts_queue.take()
    release_queued_part(worker(w), messages[0])
    sends = len(w.provider.sends)

    again = release_queued_part(worker(w), messages[0])

    assert again == "part 1: already done"
    assert len(w.provider.sends) == sends and w.campaign.parts == PartsProgress(3, 1, 0)
    for message in messages[1:] + messages:                          # every one delivered twice
        release_queued_part(worker(w), message)
    assert w.provider.numbers == NUMBERS and w.campaign.status == S.SENT


def test_a_part_in_another_workers_hands_comes_back_when_its_lease_ends():
    w = three_parts()
    w.run(A.VALIDATE)
    [first, *_] = w.parts_queue.take()
    take(w.leases, LeaseKey("camp-1", w.campaign.ticket, 1), "part-other", NOW + PART_LEASE, NOW)

    assert release_queued_part(worker(w), first) == "part 1: in another worker's hands"
    assert w.parts_queue.put_messages == [(first, PART_LEASE)] and w.provider.sends == []


def test_the_numbers_opted_out_since_the_preparation_are_left_out_and_reported_at_the_end():
    w = three_parts()
    w.optouts.opt_out("+33600000002", OptOutReason.STOP)
    w.optouts.opt_out("+33600000005", OptOutReason.STOP)
    assert w.validate().ok

    assert w.provider.numbers == ["+33600000001", "+33600000003", "+33600000004", "+33600000006"]
    assert w.campaign.last_result == ("4 SMS sent. 2 number(s) opted out since the preparation, not sent: "
                                      "+33600000002, +33600000005.")


def test_a_message_for_a_campaign_no_longer_sending_does_nothing():
    w = three_parts()
    w.run(A.VALIDATE)
    messages = w.parts_queue.take()
    w.campaigns.restore("camp-1", S.NOT_TRANSMITTED, ticket=None)     # cancelled meanwhile

    assert [release_queued_part(worker(w), m) for m in messages] == [
        f"part {n}: the campaign is no longer being sent (not_transmitted)" for n in (1, 2, 3)]
    assert w.provider.sends == [] and w.activities.of("camp-1") == [] and w.parts_queue.put_messages == []


def test_a_message_with_no_campaign_id_is_bad_input():
    with pytest.raises(BadInput, match="campaignid"):
        release_queued_part(lambda user: None, {"ticket": "t", "part": 1, "note": "n"})


# -- poison --------------------------------------------------------------------------------------------
def test_a_part_that_kept_failing_counts_as_failed_and_the_campaign_says_which_and_why():
    from connector.sms.port import ProviderError

    w = three_parts()
    w.run(A.VALIDATE, FRENCH)
    messages = [json.dumps(m) for m in w.parts_queue.take()]
    original = w.provider.send

    def send(request):
        if "+33600000003" in [r.phone_number for r in request.recipients]:
            raise ProviderError("Octopush ne répond pas (HTTP 503)", http_status=503)
        return original(request)

    w.provider.send = send
    drain_parts(lambda: [messages.pop(0)] if messages else [], worker(w), max_attempts=3)

    assert w.campaign.status == S.SENDING and w.campaign.parts == PartsProgress(3, 2, 1)
    failed_part = part_lease(w, 2)
    assert failed_part.state == LeaseState.FAILED and failed_part.reason == "Octopush ne répond pas (HTTP 503)"
    assert w.campaign.last_result == (
        "4 SMS envoyés. Partie 2 sur 3 en échec après plusieurs tentatives : Octopush ne répond pas (HTTP 503). "
        "Cliquez à nouveau sur Envoyer pour reprendre : ce qui est parti ne repartira pas.")
    assert part_lease(w, 0).state == LeaseState.FREE          # nothing in flight: validating again resumes now

    w.provider.send = original
    resumed = w.run(A.VALIDATE, FRENCH)
    assert resumed.ok and resumed.summary.startswith("1 partie(s) sur 3")
    assert [m["part"] for m, _ in w.parts_queue.put_messages] == [2]
    assert w.campaign.parts == PartsProgress(3, 2, 0)
    w.release_parts()
    assert w.provider.numbers == NUMBERS and w.campaign.status == S.SENT
    assert w.campaign.parts == PartsProgress(3, 3, 0) and w.campaign.last_result == "6 SMS envoyés."


def test_the_poison_step_while_other_parts_are_on_their_way_says_it_at_once():
    w = three_parts()
    w.run(A.VALIDATE)
    messages = w.parts_queue.take()

    assert part_failed(worker(w), messages[0]).startswith("part 1: failed (no reason recorded)")
    assert w.campaign.parts == PartsProgress(3, 0, 1) and w.campaign.status == S.SENDING
    assert w.campaign.last_result == ("0 of 3 part(s) sent. Part 1 of 3 failed after several attempts: no reason "
                                      "recorded. Validate again to resume: what went out will not go again.")


def test_the_poison_step_leaves_a_part_done_after_all_alone():
    w = three_parts()
    w.run(A.VALIDATE)
    [first, *_] = w.parts_queue.take()
    release_queued_part(worker(w), first)
    assert part_failed(worker(w), first) == "part 1: done after all"
    assert w.campaign.parts == PartsProgress(3, 1, 0)


# -- one validate at a time ----------------------------------------------------------------------------
class ValidateInTheMiddle:
    """Leases that let a second validate run right before the first one writes the campaign's lease."""

    def __init__(self, leases, second):
        self.leases, self.second, self.done = leases, second, False

    def __getattr__(self, name):
        return getattr(self.leases, name)

    def create(self, lease, **kw):
        if not self.done and lease.key.part == 0:
            self.done = True
            self.result = self.second()
        return self.leases.create(lease, **kw)


def test_of_two_validates_at_once_one_queues_the_parts_and_the_other_says_the_campaign_is_being_sent():
    w = three_parts()
    fake = w.leases
    racing = ValidateInTheMiddle(fake, lambda: w.run(A.VALIDATE))
    w.leases = racing
    first = w.run(A.VALIDATE)
    second = racing.result

    results = sorted([first, second], key=lambda r: r.ok)
    assert [r.ok for r in results] == [False, True]
    assert results[0].summary == ("The campaign is being sent: validating again starts nothing while its parts "
                                  "are on their way.")
    assert len(w.parts_queue.put_messages) == 3 and w.campaign.parts == PartsProgress(3, 0, 0)
    w.leases = fake
    w.release_parts()
    assert w.provider.numbers == NUMBERS


def test_validate_again_while_the_parts_are_on_their_way_does_nothing():
    w = three_parts()
    w.run(A.VALIDATE)
    w.now = NOW + timedelta(minutes=5)
    again = w.run(A.VALIDATE, FRENCH)

    assert not again.ok and again.status == S.SENDING
    assert again.summary == ("La campagne est en cours d'envoi : un nouvel envoi ne relance rien tant que ses "
                             "parties sont en route.")
    assert len(w.parts_queue.put_messages) == 3
    assert w.campaign.last_result.startswith("3 of 3 part(s) queued")   # the send's own result stays


def test_validate_again_after_the_lease_ran_out_queues_the_parts_not_done():
    w = three_parts()
    w.run(A.VALIDATE)
    first, *lost = w.parts_queue.take()                       # two messages lost with a crashed worker
    release_queued_part(worker(w), first)
    w.now = NOW + timedelta(minutes=40)

    resumed = w.run(A.VALIDATE)

    assert resumed.ok and resumed.summary.startswith("2 of 3 part(s) queued")
    assert [m["part"] for m, _ in w.parts_queue.put_messages] == [2, 3]
    w.release_parts()
    assert w.provider.numbers == NUMBERS and w.campaign.status == S.SENT


# -- held parts, deferred start, cancel ------------------------------------------------------------------
@dataclass
class Held:
    messages: int = 0
    refused_activities: int = 0
    held_until: datetime | None = None


def test_a_part_held_by_a_window_to_come_goes_back_to_the_queue_until_then(monkeypatch):
    morning = NOW + timedelta(hours=10)
    monkeypatch.setattr(parts_module, "release_part", lambda *a, **kw: Held(held_until=morning))
    w = three_parts()
    w.run(A.VALIDATE)
    [first, *_] = w.parts_queue.take()

    assert release_queued_part(worker(w), first).startswith("part 1: held until")
    assert w.parts_queue.put_messages == [(first, timedelta(hours=10))]
    assert part_lease(w, 1).state == LeaseState.FREE and w.campaign.parts == PartsProgress(3, 0, 0)
    assert part_lease(w, 0).expires >= morning                # the resume timer leaves it alone until then


def test_a_deferred_campaigns_parts_wait_in_the_queue_and_an_early_one_goes_back():
    start = NOW + timedelta(days=9)
    w = three_parts(campaign=a_campaign(start=start))
    w.run(A.VALIDATE)
    assert {delay for _, delay in w.parts_queue.put_messages} == {timedelta(days=7)}     # the queue's maximum
    [first, *_] = w.parts_queue.take()
    w.now = NOW + timedelta(days=7)

    assert release_queued_part(worker(w), first) == "part 1: held until the deferred start"
    assert w.parts_queue.put_messages == [(first, timedelta(days=2))] and w.provider.sends == []


def test_a_deferred_campaign_cancelled_a_minute_before_its_start_sends_nothing_when_its_parts_arrive():
    start = NOW + timedelta(hours=2)
    people = [contact(n, f"+3361{n:07d}") for n in range(2000)]
    w = world(a_campaign(start=start), candidates=people)
    assert w.run(A.PREPARE).ok and w.run(A.VALIDATE).ok
    assert w.campaign.status == S.SENDING and w.provider.sends == []

    w.now = start - timedelta(minutes=1)
    cancelled = w.run(A.CANCEL)
    assert cancelled.ok and w.campaign.status == S.NOT_TRANSMITTED and w.campaign.parts is None

    w.now = start + timedelta(seconds=1)                      # the queue hands the parts over at the start
    outcomes = w.release_parts()
    assert outcomes and all("no longer being sent" in outcome for outcome in outcomes)
    assert w.provider.sends == [] and w.provider.cancelled == [] and w.activities.of("camp-1") == []


# -- the resume timer ----------------------------------------------------------------------------------
def test_the_timer_queues_again_the_lost_parts_of_a_campaign_whose_lease_ran_out():
    w = three_parts()
    w.run(A.VALIDATE, FRENCH)
    first, *lost = w.parts_queue.take()
    release_queued_part(worker(w), first)

    w.now = NOW + timedelta(minutes=5)
    assert resume_campaigns(w.service()).requeued == {}       # still in hand
    w.now = NOW + timedelta(minutes=20)
    resumed = resume_campaigns(w.service())

    assert resumed.requeued == {"camp-1": 2}
    # As the user who validated, in their language (the lease keeps the user, not a language asked for).
    assert w.parts_queue.put_messages == [({**m, "lang": None}, None) for m in lost]
    assert resume_campaigns(w.service()).requeued == {}       # the lease is taken again: once
    w.release_parts()
    assert w.provider.numbers == NUMBERS and w.campaign.status == S.SENT
    assert w.campaign.last_result == "6 SMS envoyés."


def test_the_timer_leaves_failed_parts_to_the_user_and_ends_a_campaign_whose_end_was_not_written():
    w = three_parts()
    w.run(A.VALIDATE)
    messages = w.parts_queue.take()
    part_failed(worker(w), messages[0])
    for message in messages[1:]:
        release_queued_part(worker(w), message)
    w.now = NOW + timedelta(hours=1)
    assert resume_campaigns(w.service()).requeued == {} and w.parts_queue.put_messages == []

    done = three_parts()
    done.validate()
    done.campaigns.rows["camp-1"] = replace(done.campaign, status=S.SENDING)    # a crash before its end
    done.now = NOW + timedelta(hours=1)
    assert resume_campaigns(done.service()).ended == ["camp-1"] and done.campaign.status == S.SENT


def test_the_poison_step_says_the_failure_in_the_language_validate_was_asked_in():
    """`smsc campaign validate --lang en` by the app, whose user reads French: the failure reason the
    workers left is English, and so is the sentence around it."""
    w = three_parts()
    w.run(A.VALIDATE, FRENCH)
    message = {**w.parts_queue.take()[0], "lang": "en"}

    part_failed(worker(w), message)
    assert w.campaign.last_result.startswith("0 of 3 part(s) sent. Part 1 of 3 failed after several attempts")

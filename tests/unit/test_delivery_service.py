"""Delivery reports applied with fakes (connector.delivery, connector.loopback): matching on ticket and
number, batched writes, reports that wait for their activity, the Undeliverable opt-out, the queue step."""
from datetime import datetime, timedelta, timezone

import pytest

from connector.activity import SmsStatus
from connector.configuration import Configuration
from connector.delivery.service import BATCH, DeliveryService
from connector.delivery.waiting import AppliesWaitingReports
from connector.errors import Unavailable
from connector.loopback import process_events
from connector.repositories.optouts import OptOut, OptOutReason
from connector.repositories.users import UserFormat
from connector.sms.callbacks import CallbackKind, ProviderCallback
from tests.fakes.configuration import FakeConfigurationSource
from tests.fakes.delivery_targets import FakeDeliveryTargets
from tests.fakes.optouts import FakeOptOuts
from tests.fakes.provider_events import FakeProviderEvents
from tests.fakes.users import FakeUsers

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
NUMBER, OTHER = "+33611111111", "+33622222222"


class CountingEvents(FakeProviderEvents):
    def __init__(self):
        super().__init__()
        self.marks = []

    def mark_processed(self, outcomes, processed_on):
        self.marks.append(dict(outcomes))
        super().mark_processed(outcomes, processed_on)


class World:
    def __init__(self, undeliverable_after=3, users=None):
        self.events = CountingEvents()
        self.targets = FakeDeliveryTargets(self.events)
        self.optouts = FakeOptOuts()
        self.now = NOW
        self.service = DeliveryService(self.targets, self.events, self.optouts,
                                       FakeConfigurationSource(Configuration(undeliverable_after=undeliverable_after)),
                                       users or FakeUsers(), lambda: self.now)

    def report(self, ticket, number, status, *, at=None):
        callback = ProviderCallback(CallbackKind.DELIVERY, number, ticket=ticket, status=status,
                                    raw={"message_id": ticket, "number": number, "status": status})
        return self.events.record(callback, at or self.now)

    def status(self, activity_id):
        return self.targets.rows[activity_id].status

    def pending(self):
        return [e.id for e in self.events.unprocessed(CallbackKind.DELIVERY)]

    def apply(self, *event_ids):
        return self.service.apply(self.events.get_many(list(event_ids)))


def test_a_report_applies_when_ticket_and_number_both_match_and_links_the_event():
    world = World()
    mine = world.targets.add("a1", "sms_1", NUMBER)
    same_number_other_ticket = world.targets.add("a2", "sms_2", NUMBER)
    event = world.report("sms_1", NUMBER, "DELIVERED")
    done = world.apply(event)
    assert world.status(mine) == SmsStatus.DELIVERED and world.status(same_number_other_ticket) == SmsStatus.SENT
    assert done.outcomes == {event: "a1"} and world.events.rows[event].activity_id == "a1"
    assert world.events.rows[event].processed_on == NOW


def test_an_unknown_ticket_changes_nothing_even_for_a_number_we_sent_to_and_is_kept():
    world = World()
    world.targets.add("a1", "sms_1", NUMBER)
    event = world.report("sms_unknown", NUMBER, "NOT_DELIVERED")
    done = world.apply(event)
    assert world.status("a1") == SmsStatus.SENT and done.waiting == [event] and world.pending() == [event]
    assert world.targets.writes == [] and world.events.marks == []


def test_a_failure_is_written_with_a_reason_in_the_owners_language():
    world = World(users=FakeUsers({"fr-user": UserFormat("fr_FR"), "en-user": UserFormat("en_US")}))
    world.targets.add("fr", "sms_1", NUMBER, owner="fr-user")
    world.targets.add("en", "sms_1", OTHER, owner="en-user")
    world.apply(world.report("sms_1", NUMBER, "NOT_DELIVERED"), world.report("sms_1", OTHER, "BAD_DESTINATION"))
    assert world.status("fr") == world.status("en") == SmsStatus.UNDELIVERABLE
    assert "non délivré" in world.targets.rows["fr"].error and "NOT_DELIVERED" in world.targets.rows["fr"].error
    assert "not delivered" in world.targets.rows["en"].error and "BAD_DESTINATION" in world.targets.rows["en"].error


def test_a_campaigns_reports_are_written_in_batches_not_one_request_per_report():
    world = World()
    numbers = [f"+336{n:08d}" for n in range(2500)]
    for n, number in enumerate(numbers):
        world.targets.add(f"a{n}", f"sms_{n // 500}", number)
    events = [world.report(f"sms_{n // 500}", number, "DELIVERED" if n % 10 else "ACK")
              for n, number in enumerate(numbers)]
    done = world.apply(*events)
    assert len(done.outcomes) == 2500 and done.changed == 2250
    assert [len(w) for w in world.targets.writes] == [900, 900, 450]      # one write per batch of 1,000 reports
    assert world.targets.finds == 3 and [len(m) for m in world.events.marks] == [BATCH, BATCH, 500]


def test_duplicates_in_one_batch_change_the_activity_once():
    world = World()
    world.targets.add("a1", "sms_1", NUMBER)
    world.apply(*[world.report("sms_1", NUMBER, s) for s in ("DELIVERED", "ACK", "DELIVERED", "NOT_DELIVERED")])
    assert world.status("a1") == SmsStatus.DELIVERED and [len(w) for w in world.targets.writes] == [1]


def test_a_refused_write_leaves_its_reports_unprocessed_for_the_next_run():
    world = World()
    world.targets.add("a1", "sms_1", NUMBER)
    world.targets.add("a2", "sms_1", OTHER)
    world.targets.refuse = {"a2"}
    kept, refused = world.report("sms_1", NUMBER, "DELIVERED"), world.report("sms_1", OTHER, "DELIVERED")
    done = world.apply(kept, refused)
    assert done.failed == ["a2"] and world.pending() == [refused]
    world.targets.refuse = set()
    world.service.sweep()
    assert world.status("a2") == SmsStatus.DELIVERED and world.pending() == []


def test_a_report_before_its_activity_is_applied_once_the_activity_exists():
    world = World()
    early = world.report("sms_1", NUMBER, "DELIVERED")
    world.apply(early)
    assert world.pending() == [early]
    world.targets.add("a1", "sms_1", NUMBER)                 # the campaign writes its activities
    done = world.service.apply_waiting({"sms_1"})
    assert done.outcomes == {early: "a1"} and world.status("a1") == SmsStatus.DELIVERED


def test_the_sweep_takes_reports_of_the_last_week_only():
    world = World()
    old = world.report("sms_1", NUMBER, "DELIVERED", at=NOW - timedelta(days=8))
    recent = world.report("sms_2", OTHER, "DELIVERED", at=NOW - timedelta(days=1))
    world.targets.add("a1", "sms_1", NUMBER)
    world.targets.add("a2", "sms_2", OTHER)
    world.service.sweep()
    assert world.status("a2") == SmsStatus.DELIVERED and world.status("a1") == SmsStatus.SENT
    assert world.pending() == [old] and world.events.rows[recent].activity_id == "a2"


def test_the_sweep_goes_on_past_a_full_batch_of_reports_that_still_wait():
    world = World()
    for n in range(BATCH + 5):                                # a thousand unknown tickets in the same second
        world.report(f"sms_unknown_{n}", NUMBER, "DELIVERED", at=NOW - timedelta(hours=2))
    late = world.report("sms_1", OTHER, "DELIVERED", at=NOW - timedelta(hours=1))
    world.targets.add("a1", "sms_1", OTHER)
    world.service.sweep()
    assert world.status("a1") == SmsStatus.DELIVERED and late not in world.pending()


def undeliverable_sends(world, number, count, *, first=0):
    for n in range(first, first + count):
        world.targets.add(f"u{n}", f"sms_u{n}", number)
        world.apply(world.report(f"sms_u{n}", number, "NOT_DELIVERED"))


def test_a_number_undeliverable_three_times_in_a_row_is_opted_out():
    world = World()
    undeliverable_sends(world, NUMBER, 2)
    assert world.optouts.find(NUMBER) is None
    undeliverable_sends(world, NUMBER, 1, first=2)
    assert world.optouts.find(NUMBER) == OptOut(NUMBER, OptOutReason.UNDELIVERABLE, True)


def test_a_delivered_sms_among_the_last_ones_breaks_the_run():
    world = World()
    undeliverable_sends(world, NUMBER, 2)
    world.targets.add("ok", "sms_ok", NUMBER)
    world.apply(world.report("sms_ok", NUMBER, "DELIVERED"))
    undeliverable_sends(world, NUMBER, 2, first=2)
    assert world.optouts.find(NUMBER) is None
    undeliverable_sends(world, NUMBER, 1, first=4)
    assert world.optouts.find(NUMBER).reason == OptOutReason.UNDELIVERABLE


def test_an_active_stop_is_never_turned_into_an_undeliverable_opt_out():
    world = World()
    world.optouts.opt_out(NUMBER, OptOutReason.STOP)
    undeliverable_sends(world, NUMBER, 4)
    assert world.optouts.find(NUMBER) == OptOut(NUMBER, OptOutReason.STOP, True)


@pytest.mark.parametrize("after, opted_out", [(1, True), (0, False)])
def test_the_number_of_failures_comes_from_the_configuration(after, opted_out):
    world = World(undeliverable_after=after)
    undeliverable_sends(world, NUMBER, 1)
    assert (world.optouts.find(NUMBER) is not None) == opted_out


class RecordingInbound:
    def __init__(self):
        self.seen = []

    def handle(self, events):
        self.seen += [e.id for e in events]
        return {e.id: f"reply-{e.id}" for e in events}


def test_the_queue_step_sends_each_kind_to_its_service_and_marks_all_in_one_batch():
    world = World()
    world.targets.add("a1", "sms_1", NUMBER)
    report = world.report("sms_1", NUMBER, "DELIVERED")
    reply = world.events.record(ProviderCallback(CallbackKind.INBOUND, NUMBER, text="Merci"), NOW)
    stop = world.events.record(ProviderCallback(CallbackKind.OPT_OUT, OTHER, text="STOP"), NOW)
    inbound = RecordingInbound()
    result = process_events([report, reply, stop], events=world.events, delivery=world.service,
                            inbound=lambda: inbound, clock=lambda: NOW)
    assert inbound.seen == [reply, stop] and world.status("a1") == SmsStatus.DELIVERED
    assert world.events.marks == [{report: "a1", reply: f"reply-{reply}", stop: f"reply-{stop}"}]
    assert "1 reports applied" in result.summary()

    again = process_events([report, reply], events=world.events, delivery=world.service,   # redelivered
                           inbound=lambda: inbound, clock=lambda: NOW)
    assert inbound.seen == [reply, stop] and len(world.events.marks) == 1 and not again.delivery.outcomes


def test_a_queued_report_takes_the_burst_received_since_with_it():
    world = World()
    events = []
    for n in range(30):
        world.targets.add(f"a{n}", "sms_1", f"+3361000{n:04d}")
        events.append(world.report("sms_1", f"+3361000{n:04d}", "DELIVERED"))
    process_events([events[0]], events=world.events, delivery=world.service, inbound=RecordingInbound,
                   clock=lambda: NOW)
    assert world.pending() == [] and len(world.events.marks) == 1 and world.targets.finds == 1
    process_events([events[5]], events=world.events, delivery=world.service, inbound=RecordingInbound,
                   clock=lambda: NOW)
    assert len(world.events.marks) == 1 and world.targets.finds == 1         # already applied: nothing to do


class FakeActivities:
    def __init__(self):
        self.created = []

    def create(self, campaign, messages, *, sms_type, sender, sent_at):
        self.created += messages
        return 0


def test_a_campaigns_activities_apply_the_reports_waiting_for_their_tickets_once_written():
    from types import SimpleNamespace

    asked = []
    activities = AppliesWaitingReports(FakeActivities(), asked.append)
    messages = [SimpleNamespace(provider_ticket=t) for t in ("sms_1", "sms_1", "sms_2", None)]
    assert activities.create(SimpleNamespace(id="c1"), messages, sms_type=1, sender=None, sent_at=NOW) == 0
    assert asked == [{"sms_1", "sms_2"}]

    def unavailable(tickets):
        raise Unavailable("Dataverse is down")

    failing = AppliesWaitingReports(FakeActivities(), unavailable)       # the campaign goes on: the sweep applies them
    assert failing.create(SimpleNamespace(id="c1"), messages, sms_type=1, sender=None, sent_at=NOW) == 0

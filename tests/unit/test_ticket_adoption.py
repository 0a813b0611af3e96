"""A ticket lost by a kill adopted from the delivery reports (connector.delivery.adoption), with fakes: the
activities of an Uncertain campaign request carry its request id until a report of the real ticket
matches one of their numbers; never a guess."""
import logging
from datetime import datetime, timezone

from connector.activity import SmsStatus
from connector.campaigns.transmit import new_ticket
from connector.configuration import Configuration
from connector.delivery.service import DeliveryService
from connector.errors import Unavailable
from connector.idempotency import (CampaignRequest, campaign_request_id, campaign_window_key, inbound_key,
                                   parse_campaign_request_id, unit_key)
from connector.repositories.send_ledger import LedgerEntry, LedgerState
from connector.sms.callbacks import CallbackKind, ProviderCallback
from connector.sms.octopush import CAPABILITIES as OCTOPUSH
from connector.sms.smsmode import capabilities as smsmode_capabilities
from tests.fakes.configuration import FakeConfigurationSource
from tests.fakes.delivery_targets import FakeDeliveryTargets
from tests.fakes.optouts import FakeOptOuts
from tests.fakes.provider_events import FakeProviderEvents
from tests.fakes.send_ledger import FakeSendLedger
from tests.fakes.users import FakeUsers

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
CAMPAIGN, OTHER_CAMPAIGN = "c0000000-0000-4000-8000-000000000001", "c0000000-0000-4000-8000-000000000002"
A, B, C = "+33611111111", "+33622222222", "+33633333333"


def request_id(campaign_id=CAMPAIGN, part=2, window=1, request=0):
    return campaign_request_id(campaign_window_key(new_ticket(campaign_id, NOW), part, window), 0, request)


class UncertainLedger(FakeSendLedger):
    def __init__(self):
        super().__init__()
        self.fail_with = None

    def uncertain(self, request, campaign_id=CAMPAIGN, recipients=3, state=LedgerState.UNCERTAIN, ticket=None):
        parsed = parse_campaign_request_id(request)
        self.entries[request] = LedgerEntry(campaign_id, parsed.part, parsed.window, request, recipients, state,
                                            ticket)

    def write(self, entries):
        if self.fail_with:
            raise self.fail_with
        super().write(entries)


class World:
    def __init__(self, ticket_per_request=True):
        self.events = FakeProviderEvents()
        self.ledger = UncertainLedger()
        self.targets = FakeDeliveryTargets(self.events, self.ledger)
        self.service = DeliveryService(self.targets, self.events, FakeOptOuts(),
                                       FakeConfigurationSource(Configuration()), FakeUsers(), lambda: NOW,
                                       ledger=self.ledger, ticket_per_request=ticket_per_request)

    def sent_in(self, request, numbers, campaign_id=CAMPAIGN):
        return [self.targets.add(f"{request}/{n}", request, n, campaign=campaign_id) for n in numbers]

    def reports(self, ticket, *numbers, status="DELIVERED"):
        return [self.events.record(ProviderCallback(CallbackKind.DELIVERY, n, ticket=ticket, status=status,
                                                    raw={"message_id": ticket, "number": n}), NOW) for n in numbers]

    def apply(self, events):
        return self.service.apply(self.events.get_many(list(events)))

    def row(self, activity_id):
        row = self.targets.rows[activity_id]
        return row.ticket, row.status


def test_a_campaign_request_id_is_recognised_and_nothing_else_is():
    rid = campaign_request_id(campaign_window_key(new_ticket(CAMPAIGN, NOW), 12, 3), 1, 4)
    assert parse_campaign_request_id(rid) == CampaignRequest(rid, 12, 3)
    for other in ("sms_5f3a9c2e1b7d4", unit_key("a1"), inbound_key("e1"), "", "smsc-x-1-2-3", "smsc-abc"):
        assert parse_campaign_request_id(other) is None


def test_octopush_says_its_ticket_is_per_request_smsmode_per_recipient():
    assert OCTOPUSH.ticket_per_request and not smsmode_capabilities().ticket_per_request


def test_a_report_of_the_lost_ticket_puts_it_on_every_activity_of_the_request_and_accepts_the_entry():
    world = World()
    rid = request_id()
    a, b, c = world.sent_in(rid, [A, B, C])
    world.ledger.uncertain(rid)

    done = world.apply(world.reports("sms_T1", A, B))

    assert done.waiting == [] and done.changed == 2 and set(done.outcomes.values()) == {a, b}
    assert world.row(a) == world.row(b) == ("sms_T1", SmsStatus.DELIVERED)
    assert world.row(c) == ("sms_T1", SmsStatus.SENT)                 # its report is still to come
    entry = world.ledger.entries[rid]
    assert (entry.state, entry.ticket) == (LedgerState.ACCEPTED, "sms_T1")
    assert len(world.targets.writes) == 1 and world.targets.lookups == 3     # one write, two combined queries
    assert (world.ledger.reads, world.ledger.writes) == (1, 1)
    # The last report now matches as any other: no lookup for it.
    lookups = world.targets.lookups
    assert world.apply(world.reports("sms_T1", C)).waiting == []
    assert world.row(c) == ("sms_T1", SmsStatus.DELIVERED) and world.targets.lookups == lookups


def test_two_uncertain_requests_to_the_same_number_leave_the_report_waiting_and_say_why(caplog):
    world = World()
    first, second = request_id(), request_id(OTHER_CAMPAIGN)
    [one], [two] = world.sent_in(first, [A]), world.sent_in(second, [A], OTHER_CAMPAIGN)
    world.ledger.uncertain(first)
    world.ledger.uncertain(second, OTHER_CAMPAIGN)

    with caplog.at_level(logging.WARNING):
        done = world.apply(world.reports("sms_T1", A))

    assert done.waiting and done.outcomes == {} and world.targets.writes == []
    assert world.row(one) == (first, SmsStatus.SENT) and world.row(two) == (second, SmsStatus.SENT)
    assert {e.state for e in world.ledger.entries.values()} == {LedgerState.UNCERTAIN}
    assert "sms_T1" in caplog.text and "2 uncertain requests" in caplog.text


def test_the_tickets_other_numbers_tell_which_of_two_requests_it_is():
    world = World()
    first, second = request_id(), request_id(OTHER_CAMPAIGN)
    a1, b1 = world.sent_in(first, [A, B])
    a2, c2 = world.sent_in(second, [A, C], OTHER_CAMPAIGN)
    world.ledger.uncertain(first)
    world.ledger.uncertain(second, OTHER_CAMPAIGN)

    assert world.apply(world.reports("sms_T1", A, B)).waiting == []
    assert world.row(a1)[0] == world.row(b1)[0] == "sms_T1"
    assert world.row(a2)[0] == world.row(c2)[0] == second                  # the other campaign's stays


def test_one_request_claimed_by_two_tickets_adopts_neither(caplog):
    world = World()
    rid = request_id()
    a, b = world.sent_in(rid, [A, B])
    world.ledger.uncertain(rid)

    with caplog.at_level(logging.WARNING):
        done = world.apply(world.reports("sms_T1", A) + world.reports("sms_T2", B))

    assert len(done.waiting) == 2 and world.row(a)[0] == world.row(b)[0] == rid
    assert "reports of 2 tickets" in caplog.text


def test_a_request_whose_ledger_entry_is_not_uncertain_keeps_its_reports_waiting(caplog):
    world = World()
    rid = request_id()
    [a] = world.sent_in(rid, [A])
    world.ledger.uncertain(rid, state=LedgerState.RESERVED)

    with caplog.at_level(logging.WARNING):
        assert world.apply(world.reports("sms_T1", A)).waiting
    assert world.row(a) == (rid, SmsStatus.SENT) and "RESERVED" in caplog.text


def test_an_entry_already_accepted_with_the_same_ticket_completes_the_activities_left():
    world = World()
    rid = request_id()
    a, b = world.sent_in(rid, [A, B])
    world.ledger.uncertain(rid, state=LedgerState.ACCEPTED, ticket="sms_T1")

    assert world.apply(world.reports("sms_T1", A)).waiting == []
    assert world.row(a) == ("sms_T1", SmsStatus.DELIVERED) and world.row(b)[0] == "sms_T1"
    assert world.ledger.writes == 0


def test_a_ledger_that_cannot_be_written_leaves_everything_for_the_next_sweep():
    world = World()
    rid = request_id()
    [a] = world.sent_in(rid, [A])
    world.ledger.uncertain(rid)
    world.ledger.fail_with = Unavailable("the CRM is unavailable")

    assert world.apply(world.reports("sms_T1", A)).waiting
    assert world.row(a) == (rid, SmsStatus.SENT) and world.targets.writes == []
    world.ledger.fail_with = None
    assert world.service.sweep().waiting == [] and world.row(a) == ("sms_T1", SmsStatus.DELIVERED)


def test_an_unknown_ticket_for_a_number_sent_with_its_ticket_adopts_nothing():
    world = World()
    world.targets.add("sent", "sms_T0", A, campaign=CAMPAIGN)

    assert world.apply(world.reports("sms_T9", A)).waiting
    assert world.row("sent") == ("sms_T0", SmsStatus.SENT) and world.ledger.reads == 0


def test_with_a_ticket_per_recipient_only_the_reported_activity_takes_it_and_the_entry_stays():
    world = World(ticket_per_request=False)
    rid = request_id()
    a, b = world.sent_in(rid, [A, B])
    world.ledger.uncertain(rid)

    assert world.apply(world.reports("msg-a", A, status="DELIVERED")).waiting == []
    assert world.row(a) == ("msg-a", SmsStatus.DELIVERED) and world.row(b) == (rid, SmsStatus.SENT)
    assert world.ledger.entries[rid].state == LedgerState.UNCERTAIN and world.ledger.writes == 0
    assert world.apply(world.reports("msg-b", B)).waiting == [] and world.row(b)[0] == "msg-b"


def test_many_reports_cost_a_bounded_number_of_lookups():
    world = World()
    requests = [request_id(part=p) for p in range(3)]
    numbers = [f"+336{n:08d}" for n in range(300)]
    for n, rid in enumerate(requests):
        world.sent_in(rid, numbers[n * 100:(n + 1) * 100])
        world.ledger.uncertain(rid, recipients=100)

    events = []
    for n in range(len(requests)):
        events += world.reports(f"sms_T{n}", *numbers[n * 100:(n + 1) * 100])
    done = world.apply(events)

    assert done.waiting == [] and done.changed == 300
    assert world.targets.lookups == 3 and world.ledger.reads == 3 and world.ledger.writes == 1
    assert {world.ledger.entries[r].ticket for r in requests} == {"sms_T0", "sms_T1", "sms_T2"}


def test_a_ticket_the_ledger_records_for_another_request_is_not_adopted(caplog):
    # Campaign 2's report came before its activities (its ledger entry holds the ticket already); campaign
    # 1's uncertain request to the same number must not take that ticket.
    world = World()
    old, new = request_id(), request_id(OTHER_CAMPAIGN)
    [a] = world.sent_in(old, [A])
    world.ledger.uncertain(old)
    world.ledger.uncertain(new, OTHER_CAMPAIGN, state=LedgerState.ACCEPTED, ticket="sms_T2")

    with caplog.at_level(logging.WARNING):
        assert world.apply(world.reports("sms_T2", A)).waiting
    assert world.row(a) == (old, SmsStatus.SENT) and world.ledger.entries[old].state == LedgerState.UNCERTAIN
    assert f"records it for request {new}" in caplog.text

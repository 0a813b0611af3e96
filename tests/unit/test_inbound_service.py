"""Replies, STOP / START and keyword workflows on in-memory fakes: where each inbound SMS lands."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from connector.configuration import Configuration
from connector.crm.port import CrmError
from connector.inbound.service import InboundService
from connector.repositories.conversations import OutgoingSms
from connector.repositories.optouts import OptOut, OptOutReason
from connector.repositories.provider_events import ProviderEvent
from connector.repositories.sms_activities import RowRef
from connector.sms.callbacks import CallbackKind, ProviderCallback
from tests.fakes.configuration import FakeConfigurationSource
from tests.fakes.conversations import FakeConversations
from tests.fakes.optouts import FakeOptOuts

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
NUMBER, OTHER = "+33611223344", "+33699887766"
LEA = RowRef("contact", "c-lea")
CONTOSO = RowRef("account", "a-contoso")
ORDER = RowRef("salesorder", "o-1")


class RecordingWorkflows:
    def __init__(self):
        self.messages = []

    def run(self, message):
        self.messages.append(message)
        return []


def sent(hours_ago: float, *, regarding=LEA, recipient=None, campaign=None, closed=None, ticket="sms_1",
         activity_id="out-1", number=NUMBER) -> OutgoingSms:
    return OutgoingSms(activity_id, number, NOW - timedelta(hours=hours_ago), regarding, recipient or regarding,
                       campaign, closed, ticket)


def reply(text: str, number: str = NUMBER, *, event_id: str = "ev-1", ticket: str | None = None,
          kind: CallbackKind = CallbackKind.INBOUND, at: datetime = NOW) -> ProviderEvent:
    return ProviderEvent(event_id, ProviderCallback(kind, number, ticket=ticket, text=text, occurred_at=at), at)


def service(conversations=None, optouts=None, config=None, workflows=None):
    conversations = conversations or FakeConversations()
    optouts = optouts if optouts is not None else FakeOptOuts()
    inbound = InboundService(conversations, optouts, FakeConfigurationSource(config or Configuration()),
                             workflows=workflows)
    return inbound, conversations, optouts


def test_a_reply_within_the_window_joins_the_conversation_and_its_campaign():
    inbound, conversations, _ = service(FakeConversations(sent(3, campaign="camp-1")))
    outcome = inbound.handle([reply("Merci, à demain")])

    [(activity_id, sms)] = conversations.incoming.items()
    assert outcome == {"ev-1": activity_id}
    assert (sms.text, sms.number, sms.regarding, sms.sender, sms.campaign_id) == (
        "Merci, à demain", NUMBER, LEA, LEA, "camp-1")
    assert sms.subject == f"Réponse de {NUMBER}" and sms.received_on == NOW
    assert sms.idempotency_key == "in:ev-1"


def test_the_most_recent_sms_within_the_window_is_the_one_answered():
    conversations = FakeConversations(sent(30, regarding=LEA, activity_id="old"),
                                      sent(2, regarding=ORDER, recipient=LEA, activity_id="new", ticket="sms_2"))
    inbound, conversations, _ = service(conversations)
    inbound.handle([reply("ok")])
    [sms] = conversations.incoming.values()
    assert (sms.regarding, sms.sender) == (ORDER, LEA)       # a workflow's SMS: its order, from the contact


def test_a_reply_with_a_ticket_prefers_the_sms_sent_under_it():
    conversations = FakeConversations(sent(30, regarding=CONTOSO, ticket="sms_A", activity_id="a"),
                                      sent(2, regarding=LEA, ticket="sms_B", activity_id="b"))
    inbound, conversations, _ = service(conversations)
    inbound.handle([reply("ok", ticket="sms_A")])
    [sms] = conversations.incoming.values()
    assert sms.regarding == CONTOSO


def test_an_account_recipient_is_answered_on_the_account_not_its_primary_contact():
    inbound, conversations, _ = service(FakeConversations(sent(1, regarding=CONTOSO)))
    inbound.handle([reply("oui")])
    [sms] = conversations.incoming.values()
    assert (sms.regarding, sms.sender) == (CONTOSO, CONTOSO)


def test_after_the_campaign_closed_the_reply_keeps_its_record_but_not_the_campaign():
    closed = FakeConversations(sent(10, campaign="camp-1", closed=NOW - timedelta(hours=1)))
    inbound, conversations, _ = service(closed)
    inbound.handle([reply("trop tard ?")])
    [sms] = conversations.incoming.values()
    assert (sms.regarding, sms.campaign_id) == (LEA, None)


def test_a_campaign_older_than_its_duration_is_closed_for_replies():
    config = Configuration(campaign_duration_hours=24, reply_window_hours=48)
    inbound, conversations, _ = service(FakeConversations(sent(30, campaign="camp-1")), config=config)
    inbound.handle([reply("bonjour")])
    [sms] = conversations.incoming.values()
    assert (sms.regarding, sms.campaign_id) == (LEA, None)


def test_the_campaigns_duration_counts_from_its_start():
    held = replace(sent(2, campaign="camp-1"), campaign_started_on=NOW - timedelta(hours=30))
    inbound, conversations, _ = service(FakeConversations(held), config=Configuration(campaign_duration_hours=24))
    inbound.handle([reply("ok")])
    assert [sms.campaign_id for sms in conversations.incoming.values()] == [None]


def test_a_campaign_closing_after_the_reply_keeps_it():
    later = FakeConversations(sent(10, campaign="camp-1", closed=NOW + timedelta(hours=1)))
    inbound, conversations, _ = service(later)
    inbound.handle([reply("ok")])
    assert [sms.campaign_id for sms in conversations.incoming.values()] == ["camp-1"]


def test_outside_the_window_the_contact_with_that_mobile_is_the_record():
    conversations = FakeConversations(sent(49, regarding=CONTOSO, campaign="camp-1"),
                                      mobiles={LEA: "06 11 22 33 44", RowRef("contact", "c-x"): "06 00 00 00 00"})
    inbound, conversations, _ = service(conversations)
    inbound.handle([reply("c'est encore valable ?")])
    [sms] = conversations.incoming.values()
    assert (sms.regarding, sms.sender, sms.campaign_id) == (LEA, LEA, None)


def test_a_configurable_window():
    conversations = FakeConversations(sent(5, regarding=CONTOSO))
    inbound, conversations, _ = service(conversations, config=Configuration(reply_window_hours=4))
    inbound.handle([reply("ok")])
    assert [sms.regarding for sms in conversations.incoming.values()] == [None]


def test_two_records_with_the_number_leave_the_reply_without_one_and_create_no_lead():
    conversations = FakeConversations(mobiles={LEA: "+33611223344", RowRef("lead", "l-1"): "0611223344"})
    inbound, conversations, _ = service(conversations, config=Configuration(unknown_reply_creates_lead=True))
    inbound.handle([reply("qui ?")])
    assert [sms.regarding for sms in conversations.incoming.values()] == [None] and conversations.leads == []


def test_an_unknown_number_is_kept_without_a_record():
    inbound, conversations, _ = service()
    outcome = inbound.handle([reply("Bonjour, c'est Paul")])
    [(activity_id, sms)] = conversations.incoming.items()
    assert outcome == {"ev-1": activity_id} and (sms.regarding, sms.sender, sms.campaign_id) == (None, None, None)
    assert conversations.leads == []


def test_an_unknown_number_creates_a_lead_once_when_configured():
    inbound, conversations, _ = service(config=Configuration(unknown_reply_creates_lead=True))
    inbound.handle([reply("Bonjour")])
    inbound.handle([reply("Bonjour")])                         # redelivered
    inbound.handle([reply("Encore moi", event_id="ev-2")])     # a second SMS: the lead is known now
    assert conversations.leads == [RowRef("lead", "lead-1")]
    assert [sms.regarding for sms in conversations.incoming.values()] == [RowRef("lead", "lead-1")] * 2


def test_handling_the_same_events_twice_creates_nothing_more():
    inbound, conversations, optouts = service(FakeConversations(sent(1)))
    events = [reply("Merci"), reply("STOP", event_id="ev-2"), reply("stop", kind=CallbackKind.OPT_OUT, event_id="ev-3")]
    first = inbound.handle(events)
    again = inbound.handle(events)
    assert first == again and len(conversations.incoming) == 2 and first["ev-3"] is None
    assert optouts.rows == {NUMBER: OptOut(NUMBER, OptOutReason.STOP, True)}


def test_stop_opts_out_and_stays_in_the_conversation_then_start_opts_back_in():
    workflows = RecordingWorkflows()
    inbound, conversations, optouts = service(FakeConversations(sent(1)), workflows=workflows)
    outcome = inbound.handle([reply(" Arrêt ! ")])
    assert optouts.find(NUMBER) == OptOut(NUMBER, OptOutReason.STOP, True)
    assert conversations.incoming[outcome["ev-1"]].text == " Arrêt ! "
    inbound.handle([reply("Start", event_id="ev-2")])
    assert optouts.find(NUMBER) == OptOut(NUMBER, OptOutReason.STOP, False)
    assert workflows.messages == []                   # STOP and START never start workflows


def test_start_from_another_number_does_not_lift_the_stop():
    optouts = FakeOptOuts({NUMBER})
    inbound, _, optouts = service(optouts=optouts)
    inbound.handle([reply("START", OTHER)])
    assert optouts.is_opted_out(NUMBER) and optouts.find(OTHER) is None


def test_start_does_not_lift_an_undeliverable_opt_out():
    optouts = FakeOptOuts()
    optouts.opt_out(NUMBER, OptOutReason.UNDELIVERABLE)
    inbound, _, optouts = service(optouts=optouts)
    inbound.handle([reply("START")])
    assert optouts.find(NUMBER) == OptOut(NUMBER, OptOutReason.UNDELIVERABLE, True)


def test_the_providers_opt_out_callback_opts_out_without_an_activity():
    inbound, conversations, optouts = service()
    assert inbound.handle([reply("stop", kind=CallbackKind.OPT_OUT)]) == {"ev-1": None}
    assert optouts.find(NUMBER) == OptOut(NUMBER, OptOutReason.STOP, True) and conversations.incoming == {}


def test_other_texts_go_to_the_keyword_workflows_with_the_conversations_records():
    workflows = RecordingWorkflows()
    conversations = FakeConversations(sent(2, regarding=ORDER, recipient=LEA))
    inbound, conversations, _ = service(conversations, workflows=workflows)
    outcome = inbound.handle([reply("OUI")])
    [message] = workflows.messages
    assert (message.event_id, message.number, message.text, message.records, message.activity_id) == (
        "ev-1", NUMBER, "OUI", (ORDER, LEA), outcome["ev-1"])


@pytest.mark.parametrize("kind", [CallbackKind.DELIVERY])
def test_a_delivery_report_is_not_the_inbound_services(kind):
    inbound, conversations, optouts = service()
    assert inbound.handle([reply("DELIVERED", kind=kind)]) == {"ev-1": None}
    assert conversations.incoming == {} and optouts.rows == {}


def test_a_reply_whose_conversation_the_crm_refuses_is_kept_without_it():
    conversations = FakeConversations(sent(1, campaign="camp-gone"))
    conversations.refuse_links = CrmError(404, "0x80040217", "campaign With Id = camp-gone Does Not Exist")
    inbound, conversations, _ = service(conversations)
    outcome = inbound.handle([reply("ok")])
    [(activity_id, sms)] = conversations.incoming.items()
    assert outcome == {"ev-1": activity_id} and (sms.text, sms.regarding, sms.campaign_id) == ("ok", None, None)


def test_an_unavailable_crm_fails_the_event_for_the_queue_to_deliver_again():
    conversations = FakeConversations(sent(1))
    conversations.refuse_links = CrmError(503, "", "Service Unavailable")
    inbound, conversations, _ = service(conversations)
    with pytest.raises(CrmError):
        inbound.handle([reply("ok")])
    assert conversations.incoming == {}

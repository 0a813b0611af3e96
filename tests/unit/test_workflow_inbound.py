"""The `inbound` trigger: its definition and validation, and keyword workflows run on the reply's record."""
from datetime import datetime, timezone

import pytest

from connector.crm.webhook import EntityRef, RemoteExecutionContext
from connector.inbound.keyword_workflows import InboundMessage
from connector.repositories.sms_activities import RowRef
from connector.repositories.workflows import StoredWorkflow
from emulators.webhook_bodies import remote_execution_context
from connector.repositories.recipients import RecipientRecord
from tests.fakes.records import FakeRecords
from tests.fakes.sending import fake_sending
from tests.fakes.users import FakeUsers
from tests.fakes.workflows import fake_workflow_repositories
from workflows.actions import HookOutcome
from workflows.catalog import forget_parsed
from workflows.definition import DefinitionError, InboundTrigger, load_definition
from workflows.dryrun import dry_run
from workflows.engine import HookEngine, required_steps
from workflows.inbound import KeywordWorkflowRunner
from workflows.schema import StaticTableSchema
from workflows.validation import validate

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
NUMBER = "+33611223344"
ORDER, LEA = RowRef("salesorder", "o-1"), RowRef("contact", "c-lea")
CONFIRM = """name: Confirmation de RDV
entity: salesorder
trigger: {event: inbound, keywords: [OUI, "Je confirme"]}
condition: {column: totalamount, operator: greater_than, value: 0}
steps:
  - send_sms: {recipient: customerid, text: "Merci, votre commande {{ ordernumber }} est confirmée."}
"""
THANKS = """name: Merci contact
entity: contact
trigger: {event: inbound, keywords: [merci]}
steps:
  - send_sms: {recipient: self, text: "Avec plaisir {{ firstname }}"}
"""


@pytest.fixture(autouse=True)
def _fresh_catalog():
    forget_parsed()
    yield
    forget_parsed()


class FakeSender:
    def __init__(self):
        self.runs = []

    def send(self, run, planned) -> HookOutcome:
        self.runs.append((run, planned))
        return HookOutcome(run.workflow_id, run.workflow_name, "sent", None, "activity-1", planned.step_path,
                           run.record_id)


def stored(workflow_id: str, definition: str, entity: str) -> StoredWorkflow:
    return StoredWorkflow(workflow_id, workflow_id, definition, entity, "2026-01-01T00:00:00Z")


RECORDS = FakeRecords({
    "salesorder": {"o-1": {"totalamount": 120, "ordernumber": "CMD-1", "customerid": EntityRef("contact", "c-lea")}},
    "contact": {"c-lea": {"firstname": "Léa", "mobilephone": NUMBER}},
})


def runner(*workflows: StoredWorkflow):
    sender = FakeSender()
    repositories = fake_workflow_repositories(list(workflows), records=RECORDS, users=FakeUsers())
    return KeywordWorkflowRunner(repositories, None, clock=lambda: NOW, actions=sender), sender


def message(text: str, records=(ORDER, LEA), event_id="ev-1") -> InboundMessage:
    return InboundMessage(event_id, NUMBER, text, tuple(records), "in-1")


def test_the_trigger_loads_with_its_keywords():
    trigger = load_definition(CONFIRM).trigger
    assert isinstance(trigger, InboundTrigger) and trigger.keywords == ["OUI", "Je confirme"]


@pytest.mark.parametrize("keywords", ["[]", "['  ']"])
def test_an_empty_keyword_list_is_refused_with_a_clear_error(keywords):
    with pytest.raises(DefinitionError) as refused:
        load_definition(CONFIRM.replace('[OUI, "Je confirme"]', keywords))
    [issue] = refused.value.issues
    assert issue.path == "trigger.keywords" and "at least one keyword" in issue.message


def test_a_missing_keyword_list_is_named():
    with pytest.raises(DefinitionError) as refused:
        load_definition(CONFIRM.replace('{event: inbound, keywords: [OUI, "Je confirme"]}', "{event: inbound}"))
    assert [i.path for i in refused.value.issues] == ["trigger.keywords"]


def test_validation_flags_an_opt_out_keyword():
    issues = validate(CONFIRM.replace('"Je confirme"', "Stop"), StaticTableSchema())
    assert [(i.path, "opt-out keyword" in i.message) for i in issues] == [("trigger.keywords[1]", True)]
    assert validate(CONFIRM, StaticTableSchema()) == []


def test_a_keyword_runs_the_workflow_on_the_conversations_record_of_its_table():
    hooks, sender = runner(stored("w-confirm", CONFIRM, "salesorder"), stored("w-thanks", THANKS, "contact"))
    outcomes = hooks.run(message(" oui ! "))
    assert [(o.workflow_id, o.outcome) for o in outcomes] == [("w-confirm", "sent")]
    [(run, planned)] = sender.runs
    assert (run.table, run.record_id, run.event_key, run.values["totalamount"]) == (
        "salesorder", "o-1", "inbound:ev-1", 120)
    assert planned.recipient_path == "customerid"


def test_a_contact_workflow_runs_on_the_senders_contact():
    hooks, sender = runner(stored("w-thanks", THANKS, "contact"))
    assert [o.outcome for o in hooks.run(message("Merci."))] == ["sent"]
    assert [(run.table, run.record_id) for run, _ in sender.runs] == [("contact", "c-lea")]


def test_other_texts_run_nothing():
    hooks, sender = runner(stored("w-confirm", CONFIRM, "salesorder"))
    assert hooks.run(message("oui mais demain")) == [] and sender.runs == []


def test_without_a_record_of_its_table_the_workflow_is_skipped_and_says_why():
    hooks, sender = runner(stored("w-confirm", CONFIRM, "salesorder"))
    [outcome] = hooks.run(message("OUI", records=()))
    assert outcome.outcome == "skipped" and NUMBER in outcome.detail and sender.runs == []


def test_its_conditions_still_hold_sway():
    records = FakeRecords({"salesorder": {"o-1": {"totalamount": 0, "ordernumber": "CMD-1"}}})
    repositories = fake_workflow_repositories([stored("w-confirm", CONFIRM, "salesorder")], records=records)
    hooks = KeywordWorkflowRunner(repositories, None, clock=lambda: NOW, actions=FakeSender())
    assert [o.outcome for o in hooks.run(message("OUI"))] == ["skipped"]


def test_webhook_events_never_fire_an_inbound_trigger_and_it_needs_no_webhook_step():
    repositories = fake_workflow_repositories([stored("w-confirm", CONFIRM, "salesorder")], records=RECORDS)
    sender = FakeSender()
    engine = HookEngine(repositories, None, clock=lambda: NOW, actions=sender)
    context = RemoteExecutionContext.model_validate(remote_execution_context(
        "Update", "salesorder", "00000000-0000-4000-8000-000000000001",
        user_id="00000000-0000-4000-8000-000000000002", attributes={"description": "OUI"}))
    assert engine.dispatch(context) == [] and sender.runs == []
    assert required_steps(repositories) == []


def test_a_dry_run_shows_what_the_first_keyword_would_send():
    sending = fake_sending(recipients=(RecipientRecord("contact", "c-lea", "Léa Dubois", NUMBER),))
    answer = dry_run(fake_workflow_repositories(records=RECORDS, sending=sending), CONFIRM, "salesorder", "o-1",
                     now=NOW)
    assert answer["valid"] and answer["message"] == "Inbound" and answer["trigger"] == {
        "event": "inbound", "matched": True}
    [sms] = answer["sms"]
    assert sms["phone_number"] == NUMBER and sms["text"] == "Merci, votre commande CMD-1 est confirmée."

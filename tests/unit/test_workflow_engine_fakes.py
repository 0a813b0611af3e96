"""The hook engine and the scheduler against in-memory repositories: no HTTP, no emulator."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from connector.crm.port import CrmError
from connector.crm.webhook import EntityRef, RemoteExecutionContext
from connector.repositories.records import AllOf, AtOrBefore, HasData
from connector.repositories.users import UserFormat
from connector.repositories.workflows import StoredWorkflow
from emulators.webhook_bodies import option, reference, remote_execution_context
from tests.fakes.records import FakeRecords
from tests.fakes.users import FakeUsers
from tests.fakes.workflows import FakeWorkflowRepository, fake_workflow_repositories
from workflows.actions import HookOutcome
from workflows.catalog import forget_parsed
from workflows.definition import BUILTIN_DIR
from workflows.engine import HookEngine, required_steps
from workflows.scheduler import period_start, run_scheduled

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
USER = "8e1a1d3e-2e51-ef11-a317-000d3a5a1f2c"
ORDER, CONTACT, ACCOUNT = ("00000000-0000-4000-8000-0000000000%02d" % i for i in (1, 2, 3))
ORDER_FULFILLED = (BUILTIN_DIR / "order_fulfilled.yaml").read_text(encoding="utf-8")
CONTACT_CREATED = """name: Bienvenue
entity: contact
trigger: {event: create}
condition: {column: mobilephone, operator: contains_data}
steps:
  - send_sms: {recipient: self, text: "Bienvenue {{ firstname }}"}
"""


class FakeSender:
    """Records what the engine asks to send; answers `sent`."""

    def __init__(self):
        self.runs = []

    def send(self, run, planned) -> HookOutcome:
        self.runs.append((run, planned))
        return HookOutcome(run.workflow_id, run.workflow_name, "sent", None, "activity-1", planned.step_path,
                           run.record_id)


def stored(workflow_id: str, definition: str, entity: str, name: str | None = None) -> StoredWorkflow:
    return StoredWorkflow(workflow_id, name or workflow_id, definition, entity, "2026-01-01T00:00:00Z")


@pytest.fixture(autouse=True)
def _fresh_catalog():
    forget_parsed()
    yield
    forget_parsed()


def engine(workflows, records=None, users=None, sender=None) -> tuple[HookEngine, FakeSender]:
    sender = sender or FakeSender()
    repositories = fake_workflow_repositories(workflows, records=records or FakeRecords({}), users=users or FakeUsers())
    return HookEngine(repositories, None, clock=lambda: NOW, actions=sender), sender


def event(message: str, table: str, record_id: str, attributes: dict, pre: dict | None = None,
          depth: int = 1) -> RemoteExecutionContext:
    return RemoteExecutionContext.model_validate(remote_execution_context(
        message, table, record_id, user_id=USER, attributes=attributes, pre_image=pre, depth=depth,
        operation_id="0f8fad5b-d9cb-469f-a165-70867728950e"))


def test_a_created_contact_gets_its_welcome_sms_with_the_users_formats():
    users = FakeUsers({USER: UserFormat("en_GB", "dd/MM/yyyy", "HH:mm", "Europe/London")})
    hooks, sender = engine([stored("w1", CONTACT_CREATED, "contact")], users=users)
    outcomes = hooks.dispatch(event("Create", "contact", CONTACT, {"firstname": "Léa", "mobilephone": "+33600000001"}))
    assert [(o.workflow_id, o.outcome, o.step) for o in outcomes] == [("w1", "sent", "steps[0]")]
    [(run, planned)] = sender.runs
    assert (run.table, run.record_id, run.event_key, run.user_id, run.record_exists) == (
        "contact", CONTACT, "create", USER, True)
    assert run.values["firstname"] == "Léa" and planned.recipient_path == "self"
    assert run.text_format == {"locale": "en_GB", "date_format": "dd/MM/yyyy", "time_format": "HH:mm",
                               "time_zone": "Europe/London"}


def test_conditions_that_do_not_hold_skip_and_send_nothing():
    hooks, sender = engine([stored("w1", CONTACT_CREATED, "contact")],
                           records=FakeRecords({"contact": {CONTACT: {"mobilephone": None}}}))
    [outcome] = hooks.dispatch(event("Create", "contact", CONTACT, {"firstname": "Léa"}))
    assert (outcome.outcome, outcome.detail) == ("skipped", "its conditions do not hold") and sender.runs == []


def test_columns_the_event_lacks_are_read_once_from_the_record():
    records = FakeRecords({"salesorder": {ORDER: {"ordernumber": "ORD-7", "totalamount": 12.5,
                                                  "customerid": EntityRef("contact", CONTACT, "Léa")}}})
    hooks, sender = engine([stored("w1", ORDER_FULFILLED, "salesorder")], records=records)
    outcomes = hooks.dispatch(event("Update", "salesorder", ORDER, {"statecode": option(3)},
                                    pre={"statecode": option(1), "statuscode": option(2)}))
    assert [o.outcome for o in outcomes] == ["sent"]
    assert records.reads == [("salesorder", ORDER, frozenset({"customerid", "ordernumber", "totalamount"}))]
    [(run, planned)] = sender.runs
    assert run.event_key == "1>3" and run.values["ordernumber"] == "ORD-7"
    assert planned.step_path == "steps[0].elif[0].then[0]"        # a contact customer


def test_only_the_tables_workflows_run_and_an_invalid_one_is_reported_by_name():
    workflows = [stored("w1", CONTACT_CREATED, "contact", "b"), stored("w2", "name: x\n", "contact", "a"),
                 stored("w3", ORDER_FULFILLED, "salesorder")]
    hooks, sender = engine(workflows)
    outcomes = hooks.dispatch(event("Create", "contact", CONTACT, {"firstname": "A", "mobilephone": "+33600000001"}))
    assert [(o.workflow_id, o.outcome) for o in outcomes] == [("w2", "invalid"), ("w1", "sent")]
    assert outcomes[0].detail == "entity: required; trigger: required; steps: required"


def test_a_deep_event_is_ignored_without_reading_anything():
    records = FakeRecords({})
    hooks, sender = engine([stored("w1", CONTACT_CREATED, "contact")], records=records)
    [outcome] = hooks.dispatch(event("Create", "contact", CONTACT, {}, depth=3))
    assert outcome.outcome == "ignored" and records.reads == [] and sender.runs == []


def test_a_deleted_record_is_not_read_and_its_sms_has_no_regarding():
    delete = ("name: Au revoir\nentity: contact\ntrigger: {event: delete}\n"
              "steps:\n  - send_sms: {recipient: parentcustomerid, text: Au revoir}\n")
    records = FakeRecords({"contact": {}})
    hooks, sender = engine([stored("w1", delete, "contact")], records=records)
    pre = {"parentcustomerid": reference("account", ACCOUNT, "Contoso")}
    [outcome] = hooks.dispatch(event("Delete", "contact", CONTACT, {}, pre=pre))
    assert outcome.outcome == "sent" and records.reads == []
    [(run, _)] = sender.runs
    assert run.record_exists is False and run.event_key == "delete"


def test_a_record_gone_fails_that_workflow_alone_and_an_unavailable_crm_fails_the_call():
    hooks, _ = engine([stored("w1", ORDER_FULFILLED, "salesorder")], records=FakeRecords({"salesorder": {}}))
    update = event("Update", "salesorder", ORDER, {"statecode": option(3)}, pre={"statecode": option(1)})
    [outcome] = hooks.dispatch(update)
    assert outcome.outcome == "failed" and "Does Not Exist" in outcome.detail

    class Unavailable(FakeRecords):
        def read(self, *args, **kwargs):
            raise CrmError(503, "", "Service Unavailable")

    hooks, _ = engine([stored("w1", ORDER_FULFILLED, "salesorder")], records=Unavailable({}))
    with pytest.raises(CrmError):
        hooks.dispatch(update)


def test_required_steps_come_from_the_active_workflows():
    [step] = required_steps(fake_workflow_repositories([stored("w1", CONTACT_CREATED, "contact")]))
    assert (step.table, step.message) == ("contact", "Create")


REMINDER = """name: Relance
entity: contact
trigger:
  event: schedule
  period_days: 90
  query: {all: [{column: createdon, operator: older_than, value: 90}, {column: mobilephone, operator: contains_data}]}
steps:
  - send_sms: {recipient: self, text: "Vous nous manquez {{ firstname }}"}
"""


def test_a_schedule_sends_to_the_records_its_query_selects_once_per_period():
    old, recent = NOW - timedelta(days=200), NOW - timedelta(days=10)
    records = FakeRecords({"contact": {
        "c1": {"createdon": old, "mobilephone": "+33600000001", "firstname": "A"},
        "c2": {"createdon": old, "mobilephone": "+33600000002", "firstname": "B"},     # sent this period
        "c3": {"createdon": recent, "mobilephone": "+33600000003", "firstname": "C"},  # too young
        "c4": {"createdon": old, "mobilephone": None, "firstname": "D"},               # no mobile
    }})
    workflows = FakeWorkflowRepository([stored("w1", REMINDER, "contact"), stored("w2", CONTACT_CREATED, "contact")])
    workflows.sent = [("w1", "c2", NOW - timedelta(days=5)), ("w1", "c1", NOW - timedelta(days=95))]
    sender = FakeSender()

    [report] = run_scheduled(fake_workflow_repositories(workflows, records=records), None, NOW, actions=sender)

    assert (report.workflow_id, report.examined, report.matched, report.sent_before) == ("w1", 4, 2, 1)
    assert [o.record_id for o in report.outcomes] == ["c1"] and report.counts() == {"sent": 1}
    [(run, _)] = sender.runs
    assert run.event_key == period_start(NOW, 90).date().isoformat() and run.text_format == {"locale": "fr_FR"}
    assert records.queries == [("contact", AllOf((AtOrBefore("createdon", NOW - timedelta(days=90)),
                                                  HasData("mobilephone"))))]


def test_a_schedule_on_an_unknown_table_fails_alone():
    custom = REMINDER.replace("entity: contact", "entity: new_member")
    workflows = FakeWorkflowRepository([stored("w1", custom, "new_member"), stored("w2", REMINDER, "contact")])
    records = FakeRecords({"contact": {"c1": {"createdon": NOW - timedelta(days=200), "mobilephone": "+33600000001"}}})
    reports = run_scheduled(fake_workflow_repositories(workflows, records=records), None, NOW, actions=FakeSender())
    assert [(r.workflow_id, [o.outcome for o in r.outcomes]) for r in reports] == [
        ("w1", ["failed"]), ("w2", ["sent"])]
    assert "new_member" in reports[0].outcomes[0].detail


def test_a_definition_is_parsed_once_per_version_of_its_row(monkeypatch):
    import workflows.catalog as catalog

    parsed = []
    real = catalog.load_definition
    monkeypatch.setattr(catalog, "load_definition", lambda text: parsed.append(text) or real(text))
    repository = FakeWorkflowRepository([stored("w1", CONTACT_CREATED, "contact")])
    for _ in range(3):
        [workflow] = catalog.active_workflows(repository, "contact")
    assert len(parsed) == 1 and workflow.definition is not None and workflow.definition.name == "Bienvenue"
    edited = CONTACT_CREATED.replace("Bienvenue", "Welcome")
    repository.workflows = [StoredWorkflow("w1", "w1", edited, "contact", "2026-02-01T00:00:00Z")]
    [workflow] = catalog.active_workflows(repository, "contact")
    assert len(parsed) == 2 and workflow.definition.name == "Welcome"


def test_a_row_whose_table_differs_from_its_definition_is_invalid():
    from workflows.catalog import active_workflows

    [workflow] = active_workflows(FakeWorkflowRepository([stored("w1", CONTACT_CREATED, "lead")]), "lead")
    assert workflow.definition is None
    assert workflow.problem == "entity: the definition is for contact, the workflow row for lead"

"""The engine's pure parts: event keys, schedule periods, the coarse OData filter, webhook steps."""
from datetime import datetime, timedelta, timezone

import pytest

from connector.crm.records import odata_filter, plain_row, select_names
from connector.crm.webhook import EntityRef
from connector.idempotency import MAX_KEY, workflow_key as idempotency_key
from workflows.catalog import ActiveWorkflow
from workflows.definition import builtin_definitions, from_data, load_definition
from workflows.engine import event_key
from workflows.records import condition_columns, lookup_columns, needed_columns
from workflows.scheduler import narrowing, period_start
from workflows.steps import StepRegistration, required_steps
from workflows.triggers import HookEvent

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)


def coarse_filter(condition, table: str, now: datetime) -> str | None:
    """The `$filter` the scheduler's query sends: its narrowing, as the Dataverse adapter writes it."""
    where = narrowing(condition, table, now)
    return odata_filter(where, lookup_columns(table, condition_columns(condition))) if where else None


def web_select(table: str, columns: list[str]) -> list[str]:
    return select_names(columns, lookup_columns(table, columns))
OWNER = "8e1a1d3e-2e51-ef11-a317-000d3a5a1f2c"


@pytest.mark.parametrize("trigger, event, key", [
    ("status_change", HookEvent("Update", "salesorder", "r", {"statecode": 3}, {"statecode": 1}), "1>3"),
    ("status_change", HookEvent("Update", "salesorder", "r", {"statecode": 3}), "?>3"),
    ("create", HookEvent("Create", "incident", "r", {}), "create"),
    ("delete", HookEvent("Delete", "incident", "r", {}), "delete"),
    ("assign", HookEvent("Update", "incident", "r", {"ownerid": EntityRef("systemuser", OWNER)}), f"assign:{OWNER}"),
    ("update", HookEvent("Update", "incident", "r", {}, operation_id="op-1"), "op-1"),
])
def test_the_event_key_names_the_event_for_the_trigger(trigger, event, key):
    assert event_key(trigger, event) == key


def test_a_long_key_keeps_workflow_and_record_and_hashes_the_rest():
    key = idempotency_key("w" * 36, "r" * 36, "o" * 36, "steps[0].elif[3].then[0].else[1]" * 3)
    assert len(key) <= MAX_KEY and key.startswith(f"wf:{'w' * 36}:{'r' * 36}:")
    assert key == idempotency_key("w" * 36, "r" * 36, "o" * 36, "steps[0].elif[3].then[0].else[1]" * 3)


def test_periods_are_aligned_on_the_epoch_so_every_run_in_one_agrees():
    start = period_start(NOW, 90)
    assert start <= NOW < start + timedelta(days=90) and (start.hour, start.minute) == (0, 0)
    assert all(period_start(start + timedelta(hours=h), 90) == start for h in (0, 1, 24 * 89 + 23))
    assert period_start(start + timedelta(days=90), 90) == start + timedelta(days=90)


def test_the_reminder_query_becomes_a_coarse_odata_filter():
    query = builtin_definitions()["contact_inactive_90_days"].trigger.query
    assert coarse_filter(query, "contact", NOW) == "createdon le 2025-12-01T09:30:00Z and mobilephone ne null"


@pytest.mark.parametrize("condition, expected", [
    ({"column": "parentcustomerid", "operator": "contains_data"}, "_parentcustomerid_value ne null"),
    ({"column": "statecode", "operator": "equals", "value": 0}, "statecode eq 0"),
    ({"column": "lastname", "operator": "equals", "value": "O'Brien"}, None),      # strings: in Python only
    ({"any": [{"column": "statecode", "operator": "equals", "value": 0},
              {"column": "modifiedon", "operator": "equals_column", "value": "createdon"}]}, None),
    ({"not": {"column": "mobilephone", "operator": "contains_data"}}, None),
])
def test_what_has_no_safe_odata_form_is_left_to_python(condition, expected):
    definition = from_data({"name": "x", "entity": "contact", "steps": [{"send_sms": {"recipient": "self", "text": "x"}}],
                            "trigger": {"event": "schedule", "period_days": 1, "query": condition}})
    assert coarse_filter(definition.trigger.query, "contact", NOW) == expected


def test_columns_a_definition_reads_and_how_the_web_api_names_them():
    definition = builtin_definitions()["order_fulfilled"]
    assert needed_columns(definition) == {"statecode", "statuscode", "customerid", "ordernumber", "totalamount"}
    assert web_select("salesorder", ["customerid", "ordernumber"]) == ["_customerid_value", "ordernumber"]
    row = {"_customerid_value": "a1", "_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account",
           "_customerid_value@OData.Community.Display.V1.FormattedValue": "Contoso", "@odata.etag": "W/1",
           "ordernumber": "ORD-1"}
    assert plain_row(row) == {"customerid": EntityRef("account", "a1", "Contoso"), "ordernumber": "ORD-1"}


def _workflow(yaml: str) -> ActiveWorkflow:
    return ActiveWorkflow("id", "name", load_definition(yaml))


def test_steps_merge_per_table_and_message_and_an_unfiltered_update_wins():
    base = "name: x\nentity: contact\nsteps: [{send_sms: {recipient: self, text: '{{ firstname }}'}}]\n"
    workflows = [_workflow(base + "trigger: {event: update, columns: [emailaddress1]}"),
                 _workflow(base + "trigger: {event: status_change, to: {statecode: 1}}"),
                 _workflow(base + "trigger: {event: delete}"),
                 ActiveWorkflow("bad", "broken", None, "invalid")]
    assert required_steps(workflows) == [
        StepRegistration("contact", "Delete", (), ("firstname",)),
        StepRegistration("contact", "Update", ("emailaddress1", "statecode", "statuscode"),
                         ("emailaddress1", "firstname", "statecode", "statuscode")),
    ]
    unfiltered = required_steps(workflows + [_workflow(base + "trigger: {event: update}")])
    assert unfiltered[1].filtering_columns == ()

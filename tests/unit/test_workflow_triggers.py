"""Trigger matching on hook events, and webhook bodies turned into hook events."""
from datetime import datetime, timezone

import pytest

from connector.crm.webhook import EntityRef, RemoteExecutionContext
from emulators.webhook_bodies import option, reference, remote_execution_context
from workflows.definition import load_definition
from workflows.events import hook_event, snapshot
from workflows.triggers import HookEvent, fires, matches

ORDER = "3b1a1d3e-2e51-ef11-a317-000d3a5a1f2c"
USER = "8e1a1d3e-2e51-ef11-a317-000d3a5a1f2c"
OWNER = "9f1a1d3e-2e51-ef11-a317-000d3a5a1f2c"
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def trigger(yaml_trigger: str):
    text = (f"name: t\nentity: salesorder\ntrigger: {yaml_trigger}\n"
            "steps: [{send_sms: {recipient: customerid, text: x}}]")
    return load_definition(text).trigger


def event(message="Update", target=None, pre=None, post=None, table="salesorder") -> HookEvent:
    return HookEvent(message, table, ORDER, target or {}, pre, post)


@pytest.mark.parametrize("spec, message, expected", [
    ("{event: create}", "Create", True), ("{event: create}", "Update", False),
    ("{event: delete}", "Delete", True), ("{event: delete}", "Create", False),
    ("{event: assign}", "Assign", True), ("{event: assign}", "Update", False),
    ("{event: update}", "Update", True), ("{event: update}", "Create", False),
])
def test_message_triggers(spec, message, expected):
    assert matches(trigger(spec), event(message, target={"name": "x"})) is expected


def test_schedule_trigger_only_fires_on_scheduler_events():
    spec = "{event: schedule, period_days: 1, query: {column: createdon, operator: older_than, value: 1}}"
    assert matches(trigger(spec), event("Schedule"))
    assert not matches(trigger(spec), event("Create"))


@pytest.mark.parametrize("target, pre, expected", [
    ({"name": "new"}, {"name": "old"}, True),
    ({"name": "same"}, {"name": "same"}, False),            # re-sent unchanged value
    ({"totalamount": 3}, {"name": "old"}, False),           # another column
    ({"name": "new"}, None, True),                          # no pre image: sent counts as changed
    ({"customerid": EntityRef("account", "a", "x")}, {"customerid": EntityRef("account", "a", "y")}, False),
])
def test_update_with_filtering_columns(target, pre, expected):
    assert matches(trigger("{event: update, columns: [name, customerid]}"), event(target=target, pre=pre)) is expected


def test_assign_as_an_update_of_the_owner():
    owner = trigger("{event: assign}")
    assert matches(owner, event(target={"ownerid": EntityRef("systemuser", "b")},
                                pre={"ownerid": EntityRef("systemuser", "a")}))
    assert not matches(owner, event(target={"ownerid": EntityRef("systemuser", "a")},
                                    pre={"ownerid": EntityRef("systemuser", "a")}))


@pytest.mark.parametrize("spec, target, pre, expected", [
    ("{statecode: 3}", {"statecode": 3, "statuscode": 100001}, {"statecode": 1, "statuscode": 3}, True),
    ("{statecode: 3}", {"statecode": 3, "statuscode": 100002}, {"statecode": 3, "statuscode": 100001}, False),
    ("{statecode: 3}", {"statecode": 3}, {"statecode": 3}, False),              # unchanged, re-sent
    ("{statecode: 3}", {"statecode": 2, "statuscode": 4}, {"statecode": 1}, False),
    ("{statecode: 3}", {"name": "x"}, {"statecode": 1}, False),                 # no status in Target
    ("{statecode: 3, statuscode: 100002}", {"statecode": 3, "statuscode": 100001}, {"statecode": 1}, False),
    ("{statecode: 3, statuscode: 100002}", {"statuscode": 100002}, {"statecode": 3, "statuscode": 100001}, True),
    ("{statecode: 3, statuscode: [100001, 100002]}", {"statecode": 3, "statuscode": 100002},
     {"statecode": 1, "statuscode": 3}, True),
    ("{statecode: 3}", {"statecode": 3}, None, True),                          # no pre image: `to` alone
])
def test_status_change_to(spec, target, pre, expected):
    assert matches(trigger(f"{{event: status_change, to: {spec}}}"), event(target=target, pre=pre)) is expected


@pytest.mark.parametrize("pre, expected", [
    ({"statecode": 0}, True), ({"statecode": 2}, False), (None, False), ({"name": "no state"}, False),
])
def test_status_change_from(pre, expected):
    quote = trigger("{event: status_change, from: {statecode: 0}, to: {statecode: 1}}")
    assert matches(quote, event(target={"statecode": 1, "statuscode": 2}, pre=pre)) is expected


def test_status_change_ignores_other_messages():
    fulfilled = trigger("{event: status_change, to: {statecode: 3}}")
    assert not matches(fulfilled, event("Create", target={"statecode": 3}))


def test_fires_checks_the_table():
    definition = load_definition("name: t\nentity: salesorder\ntrigger: {event: create}\n"
                                 "steps: [{send_sms: {recipient: customerid, text: x}}]")
    assert fires(definition, event("Create"))
    assert not fires(definition, event("Create", table="quote"))


def parsed(body: dict) -> HookEvent:
    return hook_event(RemoteExecutionContext.model_validate(body))


def test_hook_event_from_an_update_body():
    body = remote_execution_context(
        "Update", "salesorder", ORDER, user_id=USER, depth=2,
        attributes={"statecode": option(3), "statuscode": option(100001)},
        pre_image={"statecode": option(1), "ordernumber": "CMD-1", "customerid": reference("contact", "C1")},
        post_image={"statecode": option(3)})
    hook = parsed(body)
    assert (hook.message, hook.table, hook.record_id, hook.depth) == ("Update", "salesorder", ORDER, 2)
    assert hook.target["statecode"] == 3 and hook.target["statuscode"] == 100001
    assert hook.pre["customerid"] == EntityRef("contact", "c1", None)
    assert hook.post == {"statecode": 3}
    assert hook.operation_id == body["OperationId"]
    snap = snapshot(hook, now=NOW)
    assert snap.before == hook.pre and snap.now == NOW
    assert snap.after["ordernumber"] == "CMD-1" and snap.after["statecode"] == 3 and "modifiedon" in snap.after


def legacy(message: str, parameters: list[dict]) -> dict:
    body = remote_execution_context(message, "salesorder", ORDER, user_id=USER, pre_image={"statecode": option(1)})
    body["InputParameters"] = parameters
    return body


def test_hook_event_from_a_legacy_set_state():
    hook = parsed(legacy("SetStateDynamicEntity", [
        {"key": "EntityMoniker", "value": reference("salesorder", ORDER)},
        {"key": "State", "value": option(3)}, {"key": "Status", "value": option(-1)}]))
    assert hook.target == {"statecode": 3}
    assert matches(trigger("{event: status_change, to: {statecode: 3}}"), hook)
    assert not matches(trigger("{event: status_change, to: {statecode: 3, statuscode: 100001}}"), hook)


def test_hook_event_from_a_legacy_assign_and_a_delete():
    assign = parsed(legacy("Assign", [{"key": "Target", "value": reference("salesorder", ORDER)},
                                      {"key": "Assignee", "value": reference("systemuser", OWNER)}]))
    assert assign.target == {"ownerid": EntityRef("systemuser", OWNER, None)}
    delete = parsed(legacy("Delete", [{"key": "Target", "value": reference("salesorder", ORDER)}]))
    assert delete.target == {} and delete.record_id == ORDER
    assert matches(trigger("{event: delete}"), delete)

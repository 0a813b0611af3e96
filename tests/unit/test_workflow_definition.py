"""The definition model: the documented example, strict YAML, model errors as issues, the JSON Schema."""
import json
import textwrap

import pytest

import workflows.definition as definition_module
from workflows.clauses import Comparison, StatusChangeTrigger
from workflows.conditions import OPERATORS
from workflows.definition import (
    DefinitionError, IfStep, SmsStep, builtin_definitions, json_schema, load_definition,
)

EXAMPLE = textwrap.dedent(definition_module.__doc__.split("::\n", 1)[1].split("\nTriggers:")[0])


def errors(text: str) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        load_definition(text)
    return [(issue.path, issue.message) for issue in caught.value.issues]


def minimal(**parts: str) -> str:
    fields = {"name": "t", "entity": "contact", "trigger": "{event: create}",
              "steps": "[{send_sms: {recipient: self, text: Bonjour}}]", **parts}
    return "\n".join(f"{key}: {value}" for key, value in fields.items())


def test_the_documented_example_loads():
    workflow = load_definition(EXAMPLE)
    assert workflow.entity == "salesorder" and workflow.active is False
    assert isinstance(workflow.trigger, StatusChangeTrigger)
    assert workflow.trigger.from_.statecode == 1
    assert (workflow.trigger.to.statecode, workflow.trigger.to.statuscode) == (3, [100001, 100002])
    assert workflow.condition == Comparison(column="totalamount", operator="greater_than", value=0)
    branch = workflow.steps[0]
    assert isinstance(branch, IfStep) and branch.if_.value == "account"
    assert branch.then[0].send_sms.recipient == "customerid.primarycontactid"
    contact = branch.elif_[0].then[0]
    assert isinstance(contact, SmsStep)
    assert (contact.send_sms.recipient, contact.send_sms.sms_type, contact.send_sms.sender) == (
        "customerid", "transactional", "MaBoutique")


def test_defaults():
    workflow = load_definition(minimal())
    assert workflow.active is False and workflow.condition is None
    sms = workflow.steps[0].send_sms
    assert (sms.sms_type, sms.sender, sms.template) == ("transactional", None, None)


def test_yaml_is_read_with_yaml_1_2_booleans():
    workflow = load_definition(minimal(condition="{column: firstname, operator: equals, value: no}"))
    assert workflow.condition.value == "no"
    assert load_definition(minimal(active="true")).active is True
    assert errors(minimal(on="create")) == [("on", "unknown field")]


def test_yaml_aliases_are_refused():
    text = minimal(steps="[{send_sms: {recipient: self, text: &hello Bonjour}}, {send_sms: {recipient: self, text: *hello}}]")
    assert errors(text) == [("", "YAML syntax error at line 4, column 97: aliases (*name) are not supported")]


@pytest.mark.parametrize("parts, expected", [
    ({"steps": "[]"}, [("steps", "must not be empty")]),
    ({"trigger": "{event: status_change}"}, [("trigger", "a status_change trigger needs 'to' and/or 'from'")]),
    ({"trigger": "{event: schedule, query: {column: createdon, operator: older_than, value: 90}}"},
     [("trigger.period_days", "required")]),
    ({"trigger": "{event: update, colums: [firstname]}"}, [("trigger.colums", "unknown field (did you mean 'columns'?)")]),
    ({"trigger": "{event: status_change, to: {statuscode: 2}}"}, [("trigger.to.statecode", "required")]),
    ({"trigger": "{event: status_change, to: {statecode: '3'}}"},
     [("trigger.to.statecode", "Input should be a valid integer")]),
    ({"condition": "{any: []}"}, [("condition.any", "must not be empty")]),
    ({"condition": "{not: {column: firstname}}"}, [("condition.not.operator", "required")]),
    ({"condition": "{column: firstname, operator: contains_data, value: x}"},
     [("condition.value", "operator 'contains_data' takes no value")]),
    ({"condition": "{size: 3}"},
     [("condition", "a condition is {all: [...]}, {any: [...]}, {not: ...} or {column, operator, value}")]),
    ({"steps": "[{send_sms: {recipient: self}}]"}, [("steps[0].send_sms", "give either 'text' or 'template'")]),
    ({"steps": "[{send_sms: {recipient: self, text: a, template: b}}]"},
     [("steps[0].send_sms", "give either 'text' or 'template', not both")]),
    ({"steps": "[{send_sms: {recipient: self, text: a, sms_type: promo}}]"},
     [("steps[0].send_sms.sms_type", "Input should be 'marketing' or 'transactional'")]),
    ({"steps": "[{send_sms: {recipient: self, text: a, sender: 'Ma boutique'}}]"},
     [("steps[0].send_sms.sender", "Sender 'Ma boutique' may only contain letters A-Z and digits, not ' '")]),
    ({"steps": "[{send_sms: {recipient: a.b.c, text: a}}]"},
     [("steps[0].send_sms.recipient", "'a.b.c' is not a recipient: use 'self' or a lookup path such as "
       "'customerid' or 'customerid.primarycontactid' (at most two lookups) ending on a contact, account "
       "(its primary contact) or lead")]),
    ({"steps": "[{if: {column: a, operator: changed}, then: [{send_sms: {text: a}}], elif: [{if: {all: [x]}}]}]"},
     [("steps[0].then[0].send_sms.recipient", "required"),
      ("steps[0].elif[0].if.all[0]",
       "a condition is {all: [...]}, {any: [...]}, {not: ...} or {column, operator, value}"),
      ("steps[0].elif[0].then", "required")]),
])
def test_model_errors_have_paths(parts, expected):
    assert errors(minimal(**parts)) == expected


def test_statuscode_accepts_one_value_or_a_list():
    one = load_definition(minimal(trigger="{event: status_change, to: {statecode: 1, statuscode: 5}}"))
    many = load_definition(minimal(trigger="{event: status_change, from: {statecode: 0, statuscode: [1, 2]}}"))
    assert one.trigger.to.statuscode == [5] and one.trigger.from_ is None
    assert many.trigger.from_.statuscode == [1, 2] and many.trigger.to is None


def test_json_schema_describes_the_format_for_editors():
    schema = json_schema()
    json.dumps(schema)                                   # plain JSON
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["required"]) == {"name", "entity", "trigger", "steps"}
    assert all(prop.get("description") for prop in schema["properties"].values())
    definitions = schema["$defs"]
    assert definitions["Comparison"]["properties"]["operator"]["enum"] == list(OPERATORS)
    assert "older_than" in definitions["Comparison"]["properties"]["operator"]["description"]
    assert definitions["SendSms"]["required"] == ["recipient"]
    assert {"if", "then", "elif", "else"} == set(definitions["IfStep"]["properties"])
    assert "from" in definitions["StatusChangeTrigger"]["properties"]
    events = {definitions[name]["properties"]["event"]["const"] for name in
              ("CreateTrigger", "UpdateTrigger", "StatusChangeTrigger", "AssignTrigger", "DeleteTrigger",
               "ScheduleTrigger")}
    assert events == {"create", "update", "status_change", "assign", "delete", "schedule"}


def test_the_eight_builtins_are_shipped():
    builtins = builtin_definitions()
    assert len(builtins) == 8
    assert all(not workflow.active for workflow in builtins.values())

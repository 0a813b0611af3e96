"""The RemoteExecutionContext model and the event parser (bad input -> BadEvent naming it)."""
import json
from datetime import datetime, timezone

import pytest

from connector.crm.webhook import EntityRef, plain_value
from emulators.webhook_bodies import option, reference, remote_execution_context, money
from dispatch.events import BadEvent, handle_event, is_send_request, parse_event

ACTIVITY = "0b8e8a6e-3f0e-4d8e-9a39-2f4c1a0b5d11"
USER = "5a7f0c5e-1111-4d8e-9a39-2f4c1a0b5d22"


def body(**kwargs) -> bytes:
    context = remote_execution_context("Create", "smsc_textmessage", ACTIVITY, user_id=USER,
                                       attributes={"smsc_status": option(2)}, **kwargs)
    return json.dumps(context).encode()


def test_typed_values_become_plain_values():
    assert plain_value(option(3)) == 3
    assert plain_value(money(12.5)) == 12.5
    assert plain_value(reference("contact", "ABC")) == EntityRef("contact", "abc", None)
    assert plain_value("/Date(1722582039000+0000)/") == datetime(2024, 8, 2, 7, 0, 39, tzinfo=timezone.utc)
    assert plain_value("text") == "text"


def test_parses_the_documented_shape():
    context = parse_event(body(pre_image={"smsc_status": option(1)}), {})
    assert context.message_name == "Create" and context.primary_entity_id == ACTIVITY
    assert context.target.attributes["smsc_status"] == 2
    assert context.image(pre=True).attributes == {"smsc_status": 1}
    assert context.acting_user_id == USER
    assert is_send_request(context, {})


def test_reference_sample_from_the_docs_parses():
    sample = {"MessageName": "Update", "PrimaryEntityName": "salesorder",
              "PrimaryEntityId": "3b1a1d3e-2e51-ef11-a317-000d3a5a1f2c", "Stage": 40, "Mode": 1, "Depth": 1,
              "UserId": "8e1a1d3e-2e51-ef11-a317-000d3a5a1f2c", "OperationCreatedOn": "/Date(1722582039000+0000)/",
              "InputParameters": [{"key": "Target", "value": {
                  "__type": "Entity:http://schemas.microsoft.com/xrm/2011/Contracts", "LogicalName": "salesorder",
                  "Id": "3b1a1d3e-2e51-ef11-a317-000d3a5a1f2c", "RowVersion": "5948260",
                  "Attributes": [{"key": "statecode", "value": {
                      "__type": "OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts", "Value": 3}}]}}]}
    context = parse_event(json.dumps(sample).encode(), {})
    assert context.target.attributes == {"statecode": 3}
    assert not is_send_request(context, {})


@pytest.mark.parametrize("raw, code, words", [
    (b"{not json", "malformed_json", "not valid JSON"),
    (b"[1, 2]", "malformed_event", "JSON object"),
    (b'{"PrimaryEntityName": "contact"}', "malformed_event", "MessageName"),
    (json.dumps({"MessageName": "Create", "PrimaryEntityName": "smsc_textmessage",
                 "PrimaryEntityId": ACTIVITY}).encode(), "missing_target", "Target"),
    (json.dumps({"MessageName": "Create", "PrimaryEntityName": "contact",
                 "PrimaryEntityId": "not-a-guid"}).encode(), "malformed_event", "PrimaryEntityId"),
])
def test_bad_bodies_are_refused_with_a_named_problem(raw, code, words):
    with pytest.raises(BadEvent) as caught:
        parse_event(raw, {})
    assert caught.value.code == code
    assert words in str(caught.value)


def test_a_table_the_connector_does_not_know_is_no_error_and_is_ignored():
    # A step on a custom table (or msdyn_agentstatus): a 400 would fail the user's synchronous save.
    raw = json.dumps({"MessageName": "Create", "PrimaryEntityName": "new_spaceship", "PrimaryEntityId": ACTIVITY})
    context = parse_event(raw.encode(), {})
    result = handle_event(context, {}, crm=None, sms=None)     # nothing is read or sent
    assert result.handled == "ignored" and "new_spaceship" in result.detail["reason"]


def test_oversized_message_without_target_is_accepted():
    sample = {"MessageName": "Update", "PrimaryEntityName": "smsc_textmessage", "PrimaryEntityId": ACTIVITY}
    headers = {"x-ms-dynamics-msg-size-exceeded": "true"}
    context = parse_event(json.dumps(sample).encode(), headers)
    assert context.target is None and is_send_request(context, headers)


def test_oversized_message_without_target_still_needs_the_record_id():
    sample = {"MessageName": "Update", "PrimaryEntityName": "smsc_textmessage"}
    with pytest.raises(BadEvent) as caught:
        parse_event(json.dumps(sample).encode(), {"x-ms-dynamics-msg-size-exceeded": "true"})
    assert caught.value.code == "missing_id" and "PrimaryEntityId" in str(caught.value)

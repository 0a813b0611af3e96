"""The reproductions of issue 8, one by one, through the HTTP functions on the emulators: bad input
answers 4xx naming the problem (never 5xx), events the connector has no business with are ignored,
template failures are refusals written on the SMS, and a token failure is a JSON answer."""
from __future__ import annotations

import base64
import json
import time

import pytest

from connector import bootstrap
from connector.crm.auth import AuthenticationError, StaticTokenCredential
from emulators import dataverse_seed as seed
from emulators.webhook_bodies import remote_execution_context
from functions.local_host import invoke

ROUTES = ("dataverse/events", "textmessages/preview", "workflows/validate", "workflows/dry-run")
SMITH = ("contact", seed.DAVID_SMITH_ID)


def post(stack, route: str, body: bytes | dict, content_type: str = "application/json"):
    body = json.dumps(body).encode() if isinstance(body, dict) else body
    return invoke("POST", route, body=body,
                  headers={"x-smsc-webhook-key": stack.webhook_key, "content-type": content_type})


def writes(stack) -> list:
    return [r for r in stack.dataverse.requests if r.method in ("POST", "PATCH", "DELETE")]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("body, words", [
    (b"[" * 1000 + b"]" * 1000, "nested deeper than 64 levels"),
    (b'{"a":' * 1000 + b"1" + b"}" * 1000, "nested deeper than 64 levels"),
    (b'{"a": ' + b"1" * 4301 + b"}", "4301 digits"),
    (b'{"text": "\\ud800", "message": "\\ud800"}', "lone UTF-16 surrogate"),
], ids=["deep-list", "deep-object", "huge-int", "surrogate"])
def test_bodies_that_broke_the_parser_are_400_on_every_keyed_route(stack, route, body, words):
    response = post(stack, route, body)
    assert response.status == 400 and response.json()["error"]["code"] == "malformed_json"
    assert words in response.json()["error"]["message"]
    assert writes(stack) == []


@pytest.mark.parametrize("body, content_type", [
    (b"[" * 1400 + b"]" * 1400, "text/yaml"),
    (b"extra: " + b"[" * 316 + b"]" * 316, "text/yaml"),
    (json.dumps({"definition": "{{ 7*7 }}"}).encode(), "application/json"),
    (b"name: " + b"9" * 4301, "text/yaml"),
], ids=["deep-flow", "deep-extra", "mapping-key", "huge-int"])
def test_yaml_that_broke_validation_is_an_invalid_definition(stack, body, content_type):
    response = post(stack, "workflows/validate", body, content_type)
    assert response.status == 200 and response.json()["valid"] is False
    assert response.json()["issues"][0]["message"].startswith("YAML syntax error")


def test_dry_run_of_a_definition_that_is_no_mapping_is_an_invalid_definition(stack):
    body = {"definition": "{{ 7*7 }}", "entity": "contact", "id": seed.DAVID_SMITH_ID}
    response = post(stack, "workflows/dry-run", body)
    assert response.status == 200 and response.json()["valid"] is False


@pytest.mark.parametrize("target, words", [
    ({"Attributes": "x"}, "InputParameters.Target: Attributes: Input should be a valid list"),
    ({"LogicalName": []}, "InputParameters.Target: LogicalName: Input should be a valid string"),
])
def test_events_with_a_target_of_the_wrong_shape_are_400(stack, target, words):
    body = {"MessageName": "Cre", "PrimaryEntityName": "contact",
            "InputParameters": [{"key": "Target", "value": target}]}
    response = post(stack, "dataverse/events", body)
    assert response.status == 400 and response.json()["error"]["code"] == "malformed_event"
    assert response.json()["error"]["message"] == words


def test_a_campaign_action_that_is_no_number_is_no_action(stack):
    body = remote_execution_context("Update", "campaign", seed.CAMPAIGN_ORDERS_ID, user_id=seed.CLAIRE_MARTIN_ID,
                                    attributes={"smsc_action": {}})
    response = post(stack, "dataverse/events", body)
    assert response.status == 200 and response.json()["handled"] == "ignored" and not response.outputs


@pytest.mark.parametrize("table", ["new_spaceship", "msdyn_agentstatus"])
def test_events_on_tables_the_connector_does_not_know_are_ignored(stack, table):
    body = remote_execution_context("Update", table, seed.DAVID_SMITH_ID, user_id=seed.CLAIRE_MARTIN_ID,
                                    attributes={"name": "x"})
    response = post(stack, "dataverse/events", body)
    assert response.status == 200 and response.json()["handled"] == "ignored"
    assert table in response.json()["reason"] and writes(stack) == []


GONE_TEMPLATE, GONE_CONTACT = "7e000000-0000-4000-8000-0000000000ff", "c0000000-0000-4000-8000-0000000000ff"


@pytest.mark.parametrize("body, missing", [
    ({"templateid": GONE_TEMPLATE, "regarding": {"entity": "contact", "id": seed.DAVID_SMITH_ID}},
     f"smsc_smstemplate With Id = {GONE_TEMPLATE} Does Not Exist"),
    ({"text": "Bonjour {{ firstname }}", "regarding": {"entity": "contact", "id": GONE_CONTACT}},
     f"contact With Id = {GONE_CONTACT} Does Not Exist"),
])
def test_a_preview_naming_a_missing_row_is_404_naming_it(stack, body, missing):
    response = post(stack, "textmessages/preview", body)
    assert response.status == 404 and response.json()["error"]["code"] == "not_found"
    assert missing in response.json()["error"]["message"]


@pytest.mark.parametrize("text, words", [
    ("x" * 300_000, "The SMS text has 300000 characters; the limit is 1224."),
    ("{{ firstname" + "|replace('', 'xxxxxxxxxx')" * 6 + " }}", "longest SMS (1224)"),
    ("{{ firstname" + "|trim" * 3000 + " }}", "at most 5000 are allowed"),
    ("{% if firstname %}" * 30 + "x" + "{% endif %}" * 30, "{% if %} nested more than 10 levels deep"),
    ("{{ parentcustomerid.nosuchfield }}", "Could not find a property named 'nosuchfield'"),
    ("{{ firstname }}" * 300, "longer than 1224 characters"),
], ids=["300000-chars", "replace-chain", "trim-x3000", "if-x30", "unknown-lookup-field", "long-output"])
def test_previews_refuse_what_the_send_refuses(stack, text, words):
    response = post(stack, "textmessages/preview", {"text": text, "regarding": {"entity": "contact",
                                                                                  "id": seed.DAVID_SMITH_ID}})
    assert response.status == 422 and words in response.json()["error"]["message"]
    assert len(response.body) < 2000


@pytest.mark.parametrize("text, words", [
    ("{{ parentcustomerid.nosuchfield }}", "Could not find a property named 'nosuchfield'"),
    ("{{ firstname" + "|trim" * 3000 + " }}", "at most 5000 are allowed"),
    ("{% if firstname %}" * 300 + "x" + "{% endif %}" * 300, "at most 5000 are allowed"),
    ("{{ firstname" + "|trim" * 40 + " }}", "more than 30 filters"),
    ("{{ firstname" + "|replace('', 'xxxxxxxxxx')" * 6 + " }}", "longest SMS (1224)"),
    ("{{ firstname | number(100000) }}", "decimals must be between 0 and 10"),
], ids=["unknown-lookup-field", "trim-x3000", "if-x300", "trim-x40", "replace-chain", "number-100000"])
def test_a_template_failure_fails_the_sms_with_its_reason(crm, stack, text, words):
    activity_id = crm.new_sms(SMITH, text=text)
    response = crm.webhook(activity_id)
    assert response.status == 200 and response.json()["outcome"] == "failed"
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 8 and words in activity["smsc_error"]
    assert "decimal.InvalidOperation" not in activity["smsc_error"] and stack.octopush.sends == []


def _expired_jwt() -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none'})}.{part({'exp': time.time() - 60})}.signature"


def test_an_expired_dataverse_token_is_a_json_answer_naming_it(crm, stack, monkeypatch):
    activity_id = crm.new_sms(SMITH, text="Bonjour")
    monkeypatch.setenv("DATAVERSE_ACCESS_TOKEN", _expired_jwt())
    bootstrap.reset()
    response = crm.webhook(activity_id)
    assert response.status == 500 and response.json()["error"]["code"] == "authentication_failed"
    assert "DATAVERSE_ACCESS_TOKEN" in response.json()["error"]["message"]
    monkeypatch.setenv("DATAVERSE_ACCESS_TOKEN", stack.environment["DATAVERSE_ACCESS_TOKEN"])
    bootstrap.reset()


def test_a_token_service_that_is_unreachable_answers_503_so_dataverse_retries(crm, stack, monkeypatch):
    activity_id = crm.new_sms(SMITH, text="Bonjour")

    def unreachable(self):
        raise AuthenticationError("ConnectionError", "login.microsoftonline.com: connection refused", transient=True)
    monkeypatch.setattr(StaticTokenCredential, "token", unreachable)
    response = crm.webhook(activity_id)
    assert response.status == 503 and response.json()["error"]["code"] == "authentication_unavailable"
    assert "connection refused" in response.json()["error"]["message"]
    assert crm.activity(activity_id)["smsc_status"] == 2 and stack.octopush.sends == []    # left for the retry

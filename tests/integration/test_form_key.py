"""SMSC_FORM_KEY, the key the CRM pages hold (environment variable smsc_ApiKey, readable by every CRM user):
the form and admin routes take it, the webhook route never does (it would let any user forge events)."""
import json

import pytest

from emulators import dataverse_seed as seed
from emulators.webhook_bodies import option, remote_execution_context
from functions.local_host import invoke
from workflows.definition import BUILTIN_DIR

ORDER_FULFILLED = (BUILTIN_DIR / "order_fulfilled.yaml").read_text(encoding="utf-8")
SMITH = ("contact", seed.DAVID_SMITH_ID)


def test_the_stack_has_a_form_key_apart_from_the_webhook_key(stack):
    assert len(stack.form_key) >= 16 and stack.form_key != stack.webhook_key
    assert stack.environment["SMSC_FORM_KEY"] == stack.form_key


def test_the_events_route_refuses_the_form_key_and_writes_nothing(crm, stack):
    activity_id = crm.new_sms(SMITH, text="Bonjour")
    body = remote_execution_context("Create", "smsc_textmessage", activity_id, user_id=seed.CLAIRE_MARTIN_ID,
                                    attributes={"smsc_status": option(2)})
    refused = crm.post_event(body, key=stack.form_key)
    assert refused.status == 401 and refused.json()["error"]["code"] == "unauthenticated"
    assert crm.writes() == [] and stack.octopush.sends == []
    assert crm.activity(activity_id)["smsc_status"] == 2
    accepted = crm.post_event(body)                       # the same event with the webhook key goes through
    assert accepted.status == 200 and accepted.json()["outcome"] == "sent"
    assert len(stack.octopush.sends) == 1


def _form_call(stack, method: str, route: str, body: dict | None, key: str):
    headers = {"x-smsc-webhook-key": key, "content-type": "application/json"}
    return invoke(method, route, body=json.dumps(body).encode() if body is not None else None, headers=headers)


FORM_ROUTES = [
    ("POST", "textmessages/preview", {"text": "Bonjour"}),
    ("GET", "credit", None),
    ("POST", "workflows/validate", {"definition": ORDER_FULFILLED}),
    ("POST", "workflows/dry-run", {"definition": ORDER_FULFILLED, "entity": "salesorder", "id": seed.ORDER_SMITH_ID}),
]


@pytest.mark.parametrize("method, route, body", FORM_ROUTES)
def test_the_form_and_admin_routes_take_the_form_key_and_still_the_webhook_key(stack, method, route, body):
    with_form_key = _form_call(stack, method, route, body, stack.form_key)
    with_webhook_key = _form_call(stack, method, route, body, stack.webhook_key)
    assert with_form_key.status == 200, with_form_key.json()
    assert (with_form_key.status, with_form_key.json()) == (with_webhook_key.status, with_webhook_key.json())
    assert _form_call(stack, method, route, body, stack.form_key + "x").status == 401


def test_the_form_key_previews_a_real_text(stack):
    answer = _form_call(stack, "POST", "textmessages/preview", {"text": "Bonjour"}, stack.form_key)
    assert answer.status == 200 and answer.json()["text"].startswith("Bonjour")

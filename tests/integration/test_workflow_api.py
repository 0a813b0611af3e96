"""POST /api/workflows/validate and /api/workflows/dry-run, through the HTTP functions of
functions/workflow_api.py (the app's registration when function_app has it, else the blueprint alone)."""
import json

import azure.functions as func
import pytest

from emulators import dataverse_seed as seed
from functions import workflow_api
from functions.local_host import LocalResponse, invoke, registered_functions
from workflows.definition import BUILTIN_DIR

ORDER_FULFILLED = (BUILTIN_DIR / "order_fulfilled.yaml").read_text(encoding="utf-8")
JSON = {"content-type": "application/json"}
YAML = {"content-type": "application/yaml"}


def _blueprint_routes() -> dict:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    app.register_functions(workflow_api.bp)
    return {f.get_trigger().route: f.get_user_function() for f in app.get_functions()}


BLUEPRINT_ROUTES = _blueprint_routes()


def call(stack, route: str, body, headers: dict | None = None, *, key: str | None = "default") -> LocalResponse:
    headers = dict(headers or {})
    if key is not None:
        headers["x-smsc-webhook-key"] = stack.webhook_key if key == "default" else key
    body = json.dumps(body).encode() if isinstance(body, dict) else body
    if any(getattr(f.get_trigger(), "route", None) == route for f in registered_functions()):
        return invoke("POST", route, body=body, headers=headers)
    request = func.HttpRequest("POST", f"http://localhost/api/{route}", body=body, headers=headers)
    response = BLUEPRINT_ROUTES[route](request)
    return LocalResponse(response.status_code, response.get_body())


def test_a_valid_definition_as_yaml_text(stack):
    response = call(stack, "workflows/validate", ORDER_FULFILLED.encode(), YAML)
    assert response.status == 200 and response.json() == {"valid": True, "issues": []}


BROKEN = """name: Commande
entity: salesorder
trigger: {event: status_change, to: {statecode: 9}}
condition: {column: totalamount, operator: greater_than, value: abc}
steps:
  - if: {column: customerid, operator: is_type, value: lead}
    then:
      - send_sms: {recipient: ownerid, text: "N°{{ ordernumbr }}"}
  - send_sms: {recipient: customerid, text: "x", sender: "Bad Sender!"}
"""


def test_every_problem_of_an_invalid_definition_with_its_exact_path(stack):
    response = call(stack, "workflows/validate", {"definition": BROKEN}, JSON)
    assert response.status == 200
    assert response.json()["valid"] is False
    assert [issue["path"] for issue in response.json()["issues"]] == [
        "condition.value", "steps[1].send_sms.sender"]      # model errors first: the table checks need a model
    fixed = BROKEN.replace("value: abc", "value: 0").replace("Bad Sender!", "Shop")
    issues = call(stack, "workflows/validate", {"definition": fixed}, JSON).json()["issues"]
    assert issues == [
        {"path": "trigger.to.statecode", "message": "salesorder.statecode has no value 9 (its values: 0, 1, 2, 3, 4)"},
        {"path": "steps[0].if.value", "message": "customerid points to account or contact, never to lead"},
        {"path": "steps[0].then[0].send_sms.recipient",
         "message": "'ownerid' is a systemuser or team: an SMS goes to a contact, account or lead"},
        {"path": "steps[0].then[0].send_sms.text",
         "message": "unknown column 'ordernumbr' in salesorder (merge field {{ ordernumbr }}) "
                    "(did you mean 'ordernumber'?)"},
    ]


@pytest.mark.parametrize("body, message", [
    (b"name: [unclosed", "YAML syntax error at line 1"),
    (b"- a list", "a workflow definition is a YAML mapping"),
])
def test_unreadable_yaml_is_an_issue_not_an_error(stack, body, message):
    response = call(stack, "workflows/validate", body, YAML)
    assert response.status == 200 and response.json()["valid"] is False
    [issue] = response.json()["issues"]
    assert issue["path"] == "" and issue["message"].startswith(message)


@pytest.mark.parametrize("body, headers, code", [
    (b'{"definition": ', JSON, "malformed_json"),
    (b'["a list"]', JSON, "invalid_request"),
    (b'{"definition": 42}', JSON, "invalid_request"),
    (b"", YAML, "empty_body"),
    (b"\xff\xfe name", YAML, "not_utf8"),
])
def test_a_body_that_cannot_be_read_is_a_400_naming_the_problem(stack, body, headers, code):
    response = call(stack, "workflows/validate", body, headers)
    assert response.status == 400 and response.json()["error"]["code"] == code


@pytest.mark.parametrize("route", ["workflows/validate", "workflows/dry-run"])
@pytest.mark.parametrize("key, wording", [(None, "missing"), ("wrong-key", "wrong")])
def test_the_webhook_key_is_required(stack, route, key, wording):
    response = call(stack, route, {"definition": ORDER_FULFILLED}, JSON, key=key)
    assert response.status == 401 and wording in response.json()["error"]["message"]


def test_dry_run_of_a_builtin_on_an_order_sends_and_writes_nothing(stack, crm):
    stack.dataverse.update("salesorders", seed.ORDER_SMITH_ID, {"statecode": 3, "statuscode": 100001})
    stack.dataverse.requests.clear()
    response = call(stack, "workflows/dry-run",
                    {"definition": ORDER_FULFILLED, "entity": "salesorder", "id": seed.ORDER_SMITH_ID}, JSON)

    assert response.status == 200
    report = response.json()
    assert report["trigger"] == {"event": "status_change", "matched": True} and report["sent"] is False
    assert report["conditions"] == [{"path": "steps[0].if", "matched": False},
                                    {"path": "steps[0].elif[0].if", "matched": True}]
    [sms] = report["sms"]
    assert (sms["step"], sms["phone_number"]) == ("steps[0].elif[0].then[0]", "+33649819006")
    assert sms["text"] == "Votre commande no ORD-1002 d'un montant de 89,90 € a été validée"
    assert stack.octopush.sends == [] and crm.writes() == []


def test_dry_run_says_when_the_trigger_does_not_match_the_record(stack):
    report = call(stack, "workflows/dry-run",
                  {"definition": ORDER_FULFILLED, "entity": "salesorder", "id": seed.ORDER_SMITH_ID}, JSON).json()
    assert report["trigger"]["matched"] is False                             # the order is only Submitted
    [sms] = report["sms"]                                                    # what would go once it is
    assert sms["phone_number"] == "+33649819006" and report["sent"] is False


def test_dry_run_of_an_invalid_definition_answers_its_issues(stack):
    response = call(stack, "workflows/dry-run",
                    {"definition": ORDER_FULFILLED, "entity": "incident", "id": seed.CASE_SMITH_ID}, JSON)
    assert response.status == 200
    assert response.json() == {"valid": False, "issues": [
        {"path": "entity", "message": "the definition is for salesorder, not incident"}]}


@pytest.mark.parametrize("body, status, code", [
    ({"definition": ORDER_FULFILLED, "entity": "salesorder"}, 400, "invalid_request"),
    ({"definition": ORDER_FULFILLED, "entity": "salesorder", "id": "42"}, 400, "invalid_request"),
    ({"definition": ORDER_FULFILLED, "entity": "spaceship", "id": seed.ORDER_SMITH_ID}, 400, "unknown_table"),
    ({"definition": ORDER_FULFILLED, "entity": "salesorder", "id": seed.ORDER_SMITH_ID, "message": "Explode"},
     400, "invalid_request"),
    ({"definition": ORDER_FULFILLED, "entity": "salesorder", "id": "00000000-0000-4000-8000-00000000dead"},
     404, "record_not_found"),
])
def test_dry_run_bad_requests_are_4xx_naming_the_problem(stack, crm, body, status, code):
    stack.dataverse.requests.clear()
    response = call(stack, "workflows/dry-run", body, JSON)
    assert response.status == status and response.json()["error"]["code"] == code
    assert crm.writes() == []


def test_dry_run_malformed_json_is_a_400(stack):
    response = call(stack, "workflows/dry-run", b"{nope", JSON)
    assert response.status == 400 and response.json()["error"]["code"] == "malformed_json"

"""Workflow validation against the organisation's metadata: a custom table and a custom column defined
in the Dataverse emulator validate through POST /api/workflows/validate and the dry-run; what the
organisation lacks is reported with its path. Offline (no settings) the static schema still applies."""
from __future__ import annotations

import json

import azure.functions as func
import pytest

from connector.crm.metadata import forget_table_definitions
from emulators import dataverse_seed as seed
from emulators.dataverse_schema import BY_SET, TABLES, custom_table
from functions import workflow_api
from functions.local_host import LocalResponse, invoke, registered_functions
from workflows.schema import StaticTableSchema, connected_schema
from workflows.validation import validate

JSON = {"content-type": "application/json"}
BOOKING = """name: Réservation confirmée
entity: new_booking
trigger: {event: status_change, to: {statecode: 1}}
condition: {column: new_seats, operator: greater_than, value: 0}
steps:
  - send_sms:
      recipient: new_contactid
      text: "Bonjour {{ new_contactid.firstname }} ({{ new_contactid.new_loyaltytier }}): {{ new_seats }} places."
"""


@pytest.fixture
def custom_schema(monkeypatch):
    """`new_booking` (with a lookup to contact) and a custom column on contact, as an admin made them."""
    booking = custom_table("new_booking", "new_bookings", "new_bookingid", "new_name",
                           "new_name new_seats:int new_when:datetime",
                           lookups={"new_contactid": {"contact": "new_ContactId"}})
    monkeypatch.setitem(TABLES, "new_booking", booking)
    monkeypatch.setitem(BY_SET, "new_bookings", booking)
    monkeypatch.setitem(TABLES["contact"].columns, "new_loyaltytier", "string")
    forget_table_definitions()
    yield booking
    forget_table_definitions()


def call(stack, route: str, body: dict) -> LocalResponse:
    headers = {"x-smsc-webhook-key": stack.webhook_key, **JSON}
    data = json.dumps(body).encode()
    if any(getattr(f.get_trigger(), "route", None) == route for f in registered_functions()):
        return invoke("POST", route, body=data, headers=headers)
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    app.register_functions(workflow_api.bp)
    [handler] = [f.get_user_function() for f in app.get_functions() if f.get_trigger().route == route]
    response = handler(func.HttpRequest("POST", f"http://localhost/api/{route}", body=data, headers=headers))
    return LocalResponse(response.status_code, response.get_body())


def test_a_custom_table_and_column_validate_through_the_route(stack, custom_schema):
    response = call(stack, "workflows/validate", {"definition": BOOKING})
    assert response.status == 200 and response.json() == {"valid": True, "issues": []}
    asked = [r.path for r in stack.dataverse.requests if "EntityDefinitions" in r.path]
    assert "/api/data/v9.2/EntityDefinitions(LogicalName='new_booking')" in asked
    # Offline, the static schema knows neither: the same definition is refused there.
    assert [i.path for i in validate(BOOKING, StaticTableSchema())] == ["entity"]


def test_what_the_organisation_lacks_is_reported_with_its_path(stack, custom_schema):
    broken = (BOOKING.replace("column: new_seats", "column: new_sets")
              .replace("new_contactid.new_loyaltytier", "new_contactid.new_fidelity")
              .replace("to: {statecode: 1}", "to: {statecode: 7}"))
    issues = call(stack, "workflows/validate", {"definition": broken}).json()["issues"]
    assert [(i["path"], i["message"].split(" (")[0]) for i in issues] == [
        ("trigger.to.statecode", "new_booking.statecode has no value 7"),
        ("condition.column", "unknown column 'new_sets' in new_booking"),
        ("steps[0].send_sms.text", "no column 'new_fidelity' in contact"),
    ]
    unknown = call(stack, "workflows/validate", {"definition": BOOKING.replace("new_booking", "new_nosuch")})
    assert unknown.json() == {"valid": False, "issues": [{"path": "entity", "message": "unknown table 'new_nosuch'"}]}


LOYALTY = """name: Fidélité
entity: contact
trigger: {event: update, columns: [new_loyaltytier]}
steps:
  - send_sms: {recipient: self, text: "Bonjour {{ firstname }}, vous voici client {{ new_loyaltytier }}."}
"""


def test_the_dry_run_validates_a_custom_column_with_the_metadata_too(stack, custom_schema):
    stack.dataverse.update("contacts", seed.DAVID_SMITH_ID, {"new_loyaltytier": "Or"})
    response = call(stack, "workflows/dry-run", {"definition": LOYALTY, "entity": "contact", "id": seed.DAVID_SMITH_ID})
    assert response.status == 200 and response.json()["valid"] is True
    [sms] = response.json()["sms"]
    assert sms["text"].startswith("Bonjour David, vous voici client Or.")
    assert [(i.path, i.message) for i in validate(LOYALTY, StaticTableSchema())][0][0] == "trigger.columns[0]"


def test_without_settings_validation_falls_back_to_the_static_schema(monkeypatch):
    from connector import bootstrap

    monkeypatch.delenv("DATAVERSE_URL", raising=False)
    bootstrap.reset()
    try:
        assert isinstance(connected_schema(bootstrap.connected_table_definitions()), StaticTableSchema)
    finally:
        bootstrap.reset()


@pytest.mark.parametrize("table", ["salesorder", "incident", "quote", "invoice", "contact", "account", "lead"])
def test_the_emulators_metadata_agrees_with_the_static_schema(stack, table):
    from connector.bootstrap import get_services
    from connector.crm.metadata import DataverseTableDefinitions
    from workflows.schema import STATIC_TABLES

    forget_table_definitions()
    columns = DataverseTableDefinitions(get_services().crm).columns(table)
    static = STATIC_TABLES[table]
    assert {name: columns.get(name) for name in static} == static


def test_the_cli_validates_against_the_organisation_unless_offline(stack, custom_schema, tmp_path, capsys):
    from smsc.cli import main

    path = tmp_path / "booking.yaml"
    path.write_text(BOOKING, encoding="utf-8")
    assert main(["workflows", "validate", str(path)]) == 0          # the settings name the emulator
    assert capsys.readouterr().out.strip().endswith("booking.yaml: valid")
    assert main(["workflows", "validate", "--offline", str(path)]) == 1
    assert "entity: unknown table 'new_booking'" in capsys.readouterr().out

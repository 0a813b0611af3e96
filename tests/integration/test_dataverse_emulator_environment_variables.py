"""The Dataverse emulator's environment variables (environmentvariabledefinitions, environmentvariablevalues):
created as an installer creates them, inside a solution (component types 380 and 381), and read back the way
solution/webresources/js/api.js reads them, with each definition's value expanded."""
from __future__ import annotations

import pytest

from emulators.dataverse import DataverseEmulator
from emulators.server import EmulatorServer

API = "/api/data/v9.2/"
TOKEN = "emulator-token"
SOLUTION = {"MSCRM.SolutionUniqueName": "SmsConnector"}
# The query api.js sends through Xrm.WebApi.retrieveMultipleRecords("environmentvariabledefinition", …).
PAGES_QUERY = ("environmentvariabledefinitions?$select=schemaname,defaultvalue&$filter=startswith(schemaname,'smsc_Api')"
               "&$expand=environmentvariabledefinition_environmentvariablevalue($select=value)")


@pytest.fixture(params=[False, True], ids=["demo", "bare"])
def emulator(request):
    return DataverseEmulator(bare=request.param)


@pytest.fixture
def api(emulator, make_api):
    with EmulatorServer(emulator) as server:
        yield make_api(server.url + API, TOKEN)


def created_id(response) -> str:
    assert response.status_code == 204, response.text
    return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


@pytest.fixture
def solution(api):
    publisher = created_id(api.post("publishers", json={
        "uniquename": "smsconnector", "friendlyname": "SMS", "customizationprefix": "smsc",
        "customizationoptionvalueprefix": 61742}))
    return created_id(api.post("solutions", json={"uniquename": "SmsConnector", "friendlyname": "SMS", "version": "1.0",
                                                   "publisherid@odata.bind": f"/publishers({publisher})"}))


def define(api, schema_name: str, default: str | None = None) -> str:
    body = {"schemaname": schema_name, "displayname": schema_name, "type": 100000000, "isrequired": False}
    if default is not None:
        body["defaultvalue"] = default
    return created_id(api.post("environmentvariabledefinitions", json=body, headers=SOLUTION))


def test_definitions_and_values_join_the_solution_and_read_as_api_js_reads_them(api, emulator, solution):
    base_url = define(api, "smsc_ApiBaseUrl")
    define(api, "smsc_ApiFunctionKey", default="from-the-default")
    define(api, "other_Setting")
    value = created_id(api.post("environmentvariablevalues", headers=SOLUTION, json={
        "schemaname": "smsc_ApiBaseUrl", "value": "https://app.azurewebsites.net",
        "EnvironmentVariableDefinitionId@odata.bind": f"/environmentvariabledefinitions({base_url})"}))

    rows = api.get(PAGES_QUERY).json()["value"]
    by_name = {row["schemaname"]: row for row in rows}
    assert set(by_name) == {"smsc_ApiBaseUrl", "smsc_ApiFunctionKey"}          # startswith: other_ left out
    assert [v["value"] for v in by_name["smsc_ApiBaseUrl"]["environmentvariabledefinition_environmentvariablevalue"]
            ] == ["https://app.azurewebsites.net"]
    assert by_name["smsc_ApiFunctionKey"]["environmentvariabledefinition_environmentvariablevalue"] == []
    assert by_name["smsc_ApiFunctionKey"]["defaultvalue"] == "from-the-default"

    read = api.get(f"environmentvariablevalues?$select=value&$filter=_environmentvariabledefinitionid_value eq "
                   f"{base_url}").json()["value"]
    assert [(r["environmentvariablevalueid"], r["value"]) for r in read] == [(value, "https://app.azurewebsites.net")]
    assert api.patch(f"environmentvariablevalues({value})", json={"value": "https://moved.example.org"}
                     ).status_code == 204
    assert api.get(f"environmentvariablevalues({value})").json()["value"] == "https://moved.example.org"

    kinds = sorted(c["componenttype"] for c in emulator.rows("solutioncomponents", f"_solutionid_value eq {solution}"))
    assert kinds == [380, 380, 380, 381]


def test_a_value_bound_to_no_definition_is_refused(api, solution):
    refused = api.post("environmentvariablevalues", headers=SOLUTION, json={
        "value": "x", "EnvironmentVariableDefinitionId@odata.bind":
            "/environmentvariabledefinitions(00000000-0000-4000-8000-000000000099)"})
    assert refused.status_code in (400, 404)

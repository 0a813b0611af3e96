"""`smsc solution deploy` end to end, on a fresh organisation (the Dataverse emulator started bare):
the tables, columns, keys, web resources, webhook and steps are created through the metadata API;
a second run only reads (and publishes); afterwards the connector works on the tables it created:
a unit SMS goes out once through the real webhook handler."""
from __future__ import annotations

import json

import pytest
import requests

from connector import bootstrap
from emulators import dataverse_seed as seed
from emulators.dataverse_errors import QueryError
from emulators.stack import DATAVERSE_TOKEN, local_stack
from emulators.webhook_bodies import option, remote_execution_context, webhook_headers
from functions.local_host import invoke
from smsc.cli import main

WEBHOOK = "http://127.0.0.1:9/api/dataverse/events?code=function-key"


@pytest.fixture(scope="module")
def bare():
    with local_stack(bare=True, on_environment_change=bootstrap.reset) as stack:
        yield stack


def writes(stack, since: int) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in stack.dataverse.requests[since:] if r.method != "GET"]


def metadata(stack, table: str) -> int:
    answer = requests.get(f"{stack.dataverse_url}/api/data/v9.2/EntityDefinitions(LogicalName='{table}')",
                          headers={"Authorization": f"Bearer {DATAVERSE_TOKEN}"}, timeout=10)
    return answer.status_code


def test_a_fresh_organisation_has_no_connector_table(bare):
    assert metadata(bare, "smsc_textmessage") == 404 and metadata(bare, "contact") == 200


def test_deploy_creates_everything_then_a_second_run_only_reads_and_publishes(bare, capsys):
    assert main(["solution", "deploy", "--webhook-url", WEBHOOK]) == 0
    first = capsys.readouterr().out
    assert "created: table smsc_textmessage" in first and "created: key smsc_optout.smsc_phonenumber_key" in first
    assert "created: step SMS Connector: campaign Update (smsc_action)" in first
    assert bare.webhook_key not in first and "function-key" not in first          # no secret printed
    assert "created: app smsc_SmsConnector" in first and "created: app components smsc_SmsConnector" in first
    components = bare.dataverse.rows("appmodulecomponents")
    assert sorted(c["componenttype"] for c in components) == [1] * 11 + [60, 62]  # tables, dashboard, site map
    assert "created: dashboard SMS" in first and "created: chart Most used templates" in first
    since = len(bare.dataverse.requests)
    assert main(["solution", "deploy", "--webhook-url", WEBHOOK]) == 0
    assert writes(bare, since) == [("POST", "/api/data/v9.2/PublishXml")]
    label_reads = [r for r in bare.dataverse.requests[since:] if "RetrieveLocLabels" in r.path]
    assert len(label_reads) == 7                                  # 2 views, 4 charts, the dashboard: read, right
    assert "created:" not in capsys.readouterr().out


def test_after_deploy_the_dashboard_shows_the_charts_on_their_views_inside_the_solution(bare):
    import xml.etree.ElementTree as ET

    from solution.definition import DEFINITION
    from solution.ui import SMS_DASHBOARD

    dv = bare.dataverse
    [dashboard] = dv.rows("systemforms", f"formid eq {SMS_DASHBOARD.dashboard_id}")
    assert (dashboard["name"], dashboard["type"], dashboard["objecttypecode"]) == ("SMS", 0, "none")
    cells = {p.findtext("VisualizationId").strip("{}"): p.findtext("ViewId").strip("{}")
             for p in ET.fromstring(dashboard["formxml"]).iter("parameters")}
    charts = {c["savedqueryvisualizationid"]: c for c in dv.rows("savedqueryvisualizations")}
    views = {v["savedqueryid"]: v for v in dv.rows("savedqueries")}
    assert set(cells) == set(charts) == {c.chart_id for c in DEFINITION.charts}
    assert set(cells.values()) == set(views) and {v["name"] for v in views.values()} == {"Sent SMS",
                                                                                          "Replies received"}
    assert all(c["primaryentitytypecode"] == "smsc_textmessage" for c in charts.values())
    solution = dv.rows("solutions", "uniquename eq 'SmsConnector'")[0]["solutionid"]
    kinds = [c["componenttype"] for c in dv.rows("solutioncomponents", f"_solutionid_value eq {solution}")]
    assert (kinds.count(26), kinds.count(59), kinds.count(60)) == (2, 4, 1)
    # Each chart's aggregate, as stored, runs on the SMS table the run created (no SMS yet: no group).
    for chart in charts.values():
        fetch = ET.fromstring(chart["datadescription"]).find("fetchcollection/fetch")
        answer = requests.get(f"{bare.dataverse_url}/api/data/v9.2/smsc_textmessages",
                              params={"fetchXml": ET.tostring(fetch, encoding="unicode")},
                              headers={"Authorization": f"Bearer {DATAVERSE_TOKEN}"}, timeout=10)
        assert answer.status_code == 200 and answer.json()["value"] == [], answer.text


def retrieve_labels(stack, entity_set: str, row_id: str) -> dict[int, str]:
    """RetrieveLocLabels of a row's name, over HTTP, as {language code: label}."""
    answer = requests.get(
        f"{stack.dataverse_url}/api/data/v9.2/RetrieveLocLabels(EntityMoniker=@p1,AttributeName=@p2,"
        f"IncludeUnpublished=@p3)", params={"@p1": f"{{'@odata.id':'{entity_set}({row_id})'}}", "@p2": "'name'",
                                            "@p3": "true"},
        headers={"Authorization": f"Bearer {DATAVERSE_TOKEN}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return {item["LanguageCode"]: item["Label"] for item in answer.json()["Label"]["LocalizedLabels"]}


def test_after_deploy_the_dashboard_the_charts_and_their_views_have_their_french_and_english_names(bare):
    from solution.definition import DEFINITION
    from solution.ui import SMS_DASHBOARD

    assert bare.dataverse.base_language == 1033                   # the emulator's organisation: English
    assert retrieve_labels(bare, "systemforms", SMS_DASHBOARD.dashboard_id) == {1033: "SMS", 1036: "SMS"}
    for chart in DEFINITION.charts:
        assert retrieve_labels(bare, "savedqueryvisualizations", chart.chart_id) == {1033: chart.name.en,
                                                                                     1036: chart.name.fr}
    views = {v["name"]: v["savedqueryid"] for v in bare.dataverse.rows("savedqueries")}
    assert {retrieve_labels(bare, "savedqueries", views[name])[1036] for name in ("Sent SMS", "Replies received")} \
        == {"SMS envoyés", "Réponses reçues"}
    # the row's column holds the base language's name, as Dataverse's does
    charts = {c["savedqueryvisualizationid"]: c["name"] for c in bare.dataverse.rows("savedqueryvisualizations")}
    assert charts == {c.chart_id: c.name.en for c in DEFINITION.charts}


def test_after_deploy_the_pages_read_the_function_app_origin_and_the_form_key(bare):
    query = ("environmentvariabledefinitions?$select=schemaname,defaultvalue&$filter=startswith(schemaname,"
             "'smsc_Api')&$expand=environmentvariabledefinition_environmentvariablevalue($select=value)")
    answer = requests.get(f"{bare.dataverse_url}/api/data/v9.2/{query}",
                          headers={"Authorization": f"Bearer {DATAVERSE_TOKEN}"}, timeout=10)
    values = {row["schemaname"]: [v["value"] for v in row["environmentvariabledefinition_environmentvariablevalue"]]
              for row in answer.json()["value"]}
    assert values == {"smsc_ApiBaseUrl": ["http://127.0.0.1:9"], "smsc_ApiFunctionKey": [],
                      "smsc_ApiKey": [bare.form_key]}
    assert bare.webhook_key not in answer.text
    solution = bare.dataverse.rows("solutions", "uniquename eq 'SmsConnector'")[0]["solutionid"]
    kinds = [c["componenttype"] for c in bare.dataverse.rows("solutioncomponents", f"_solutionid_value eq {solution}")]
    assert kinds.count(380) == 3 and kinds.count(381) == 2


def test_after_deploy_the_data_api_enforces_the_keys_and_a_unit_sms_goes_out_once(bare):
    dv = bare.dataverse
    contact = dv.insert("contacts", {"firstname": "David", "lastname": "Smith", "mobilephone": "+33649819006"})
    sms = {"subject": "SMS", "description": "Bonjour David", "smsc_status": 2,
           "regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({contact})",
           "smsc_textmessage_activity_parties": [
               {"participationtypemask": 2, "partyid_contact@odata.bind": f"/contacts({contact})"}]}
    activity = dv.insert("smsc_textmessages", sms)
    event = remote_execution_context("Create", "smsc_textmessage", activity, user_id=seed.APP_USER_ID,
                                     attributes={"smsc_status": option(2)})
    headers = webhook_headers("Create", "smsc_textmessage", bare.webhook_key)
    for _ in range(2):                                    # delivered twice, sent once
        answer = invoke("POST", "dataverse/events", body=json.dumps(event).encode(), headers=headers)
        assert answer.status == 200
    assert len(bare.octopush.sends) == 1
    row = dv.get("smsc_textmessages", activity)
    assert row["smsc_status"] == 5 and row["smsc_phonenumber"] == "+33649819006"
    key = row["smsc_idempotencykey"]
    with pytest.raises(QueryError) as refused:            # the alternate key holds: a second row with it
        dv.insert("smsc_textmessages", {"subject": "SMS", "smsc_idempotencykey": key})
    assert (refused.value.status, refused.value.code) == (412, "0x80060892")


def test_in_a_french_organisation_the_rows_are_named_in_french_and_keep_their_english_names(capsys):
    from solution.definition import DEFINITION

    with local_stack(bare=True, on_environment_change=bootstrap.reset) as stack:
        stack.dataverse.base_language = 1036
        assert main(["solution", "deploy", "--webhook-url", WEBHOOK]) == 0
        charts = {c["savedqueryvisualizationid"]: c["name"] for c in stack.dataverse.rows("savedqueryvisualizations")}
        assert charts == {c.chart_id: c.name.fr for c in DEFINITION.charts}
        assert {v["name"] for v in stack.dataverse.rows("savedqueries")} == {"SMS envoyés", "Réponses reçues"}
        for chart in DEFINITION.charts:
            assert retrieve_labels(stack, "savedqueryvisualizations", chart.chart_id) == {
                1036: chart.name.fr, 1033: chart.name.en}
        [app] = stack.dataverse.rows("appmodules")
        assert app["description"].startswith("SMS unitaires")
        since = len(stack.dataverse.requests)
        assert main(["solution", "deploy", "--webhook-url", WEBHOOK]) == 0
        assert writes(stack, since) == [("POST", "/api/data/v9.2/PublishXml")]
    capsys.readouterr()

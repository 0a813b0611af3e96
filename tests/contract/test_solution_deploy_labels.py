"""`smsc solution deploy` names the views, charts and dashboard in French and English, as the zip does:
each row is created in the organisation's base language (`organizations?$select=languagecode`), then
`POST SetLocLabels` gives it both names; a second run reads them (`RetrieveLocLabels`) and writes nothing
but PublishXml. The exact requests, against the loopback organisation."""
from __future__ import annotations


import pytest

from solution.definition import DEFINITION
from solution.deploy_visuals import visuals
from solution.ui import REPLIES_VIEW, SENT_VIEW, SMS_APP, SMS_DASHBOARD, SMS_PER_MONTH, TOP_TEMPLATES
from tests.contract.test_solution_deploy import _deploy

ROWS = visuals(DEFINITION)
FRENCH, ENGLISH = 1036, 1033


def _moniker(visual) -> dict:
    return {"@odata.type": f"Microsoft.Dynamics.CRM.{visual.logical_name}", visual.id_column: visual.row_id}


def _visual(row_id: str):
    return next(v for v in ROWS if v.row_id == row_id)


def test_the_base_language_is_read_from_the_organisation(org, api):
    _deploy(api)
    [read] = org.sent("GET", "organizations")
    assert read.query == {"$select": "languagecode"}


@pytest.mark.parametrize("base, first, second", [(ENGLISH, "en", "fr"), (FRENCH, "fr", "en")])
def test_each_row_is_created_in_the_base_language_then_given_both_names(org, api, base, first, second):
    org.base_language = base
    _deploy(api)
    writes = org.writes()
    for visual in ROWS:
        [created] = [r for r in org.sent("POST", visual.entity_set) if r.body[visual.id_column] == visual.row_id]
        assert created.body["name"] == getattr(visual.label, first)
        [labels] = [r for r in org.sent("POST", "SetLocLabels") if r.body["EntityMoniker"] == _moniker(visual)]
        assert labels.body == {"EntityMoniker": _moniker(visual), "AttributeName": "name", "Labels": [
            {"Label": getattr(visual.label, first), "LanguageCode": base},
            {"Label": getattr(visual.label, second), "LanguageCode": FRENCH + ENGLISH - base}]}
        assert labels.solution == DEFINITION.unique_name      # the header SetLocLabels takes, as every write here
        assert writes.index(labels) == writes.index(created) + 1          # right after its row
    [publish] = org.sent("POST", "PublishXml")
    assert writes.index(publish) > max(writes.index(r) for r in org.sent("POST", "SetLocLabels"))
    assert len(org.sent("POST", "SetLocLabels")) == len(ROWS) == 7
    assert {org.name_labels("savedqueries", _view_id(SENT_VIEW))[FRENCH],
            org.name_labels("savedqueries", _view_id(REPLIES_VIEW))[FRENCH]} == {"SMS envoyés", "Réponses reçues"}
    assert org.name_labels("savedqueryvisualizations", SMS_PER_MONTH.chart_id) == {
        ENGLISH: "SMS sent per month", FRENCH: "SMS envoyés par mois"}


def _view_id(name) -> str:
    return next(v.view_id for v in DEFINITION.views if v.name == name and v.table == "smsc_textmessage")


def test_a_french_organisation_gets_the_app_and_its_site_map_named_in_french(org, api):
    org.base_language = FRENCH
    _deploy(api)
    [app] = org.sent("POST", "appmodules")
    assert (app.body["name"], app.body["description"]) == (SMS_APP.display.fr, SMS_APP.description.fr)
    [site_map] = org.sent("POST", "sitemaps")
    assert site_map.body["sitemapname"] == SMS_APP.display.fr


def test_a_second_run_reads_the_names_per_language_and_writes_only_publish(org, api):
    _deploy(api)
    first = len(org.requests)
    report = _deploy(api)
    again = org.requests[first:]
    assert [(r.method, r.path) for r in again if r.method != "GET"] == [("POST", "PublishXml")]
    reads = [r for r in again if r.path.startswith("RetrieveLocLabels")]
    assert {r.path for r in reads} == {"RetrieveLocLabels(EntityMoniker=@p1,AttributeName=@p2,IncludeUnpublished=@p3)"}
    assert [r.query for r in reads] == [
        {"@p1": f"{{'@odata.id':'{v.entity_set}({v.row_id})'}}", "@p2": "'name'", "@p3": "true"} for v in ROWS]
    assert sum(1 for kind, _ in report.plan.unchanged if kind == "labels") == len(ROWS)


def test_a_name_changed_in_one_language_is_set_again_and_nothing_else(org, api):
    _deploy(api)
    org.labels[("savedqueryvisualizations", TOP_TEMPLATES.chart_id)][FRENCH] = "Top modèles"
    first = len(org.requests)
    _deploy(api)
    writes = [r for r in org.requests[first:] if r.method != "GET"]
    assert [(r.method, r.path) for r in writes] == [("POST", "SetLocLabels"), ("POST", "PublishXml")]
    assert writes[0].body["EntityMoniker"] == _moniker(_visual(TOP_TEMPLATES.chart_id))
    assert org.name_labels("savedqueryvisualizations", TOP_TEMPLATES.chart_id)[FRENCH] == "Modèles les plus utilisés"


def test_a_french_organisation_keeps_its_names_on_the_second_run(org, api):
    """Rows named in French (the base language) with their English names beside them, as an imported zip's."""
    org.base_language = FRENCH
    _deploy(api)
    dashboard = next(r for r in org.rows["systemforms"] if r["formid"] == SMS_DASHBOARD.dashboard_id)
    assert dashboard["name"] == "SMS" and org.name_labels("systemforms", SMS_DASHBOARD.dashboard_id) == {
        FRENCH: "SMS", ENGLISH: "SMS"}
    first = len(org.requests)
    _deploy(api)
    assert [(r.method, r.path) for r in org.requests[first:] if r.method != "GET"] == [("POST", "PublishXml")]

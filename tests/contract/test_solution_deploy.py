"""`smsc solution deploy` against a loopback Dataverse (pytest-httpserver + a small stateful organisation):
the exact metadata requests, in the documented shapes, and idempotence (a second run only reads,
apart from publishing; a dry run only reads)."""
from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import pytest

from connector.crm.auth import StaticTokenCredential
from connector.crm.dataverse import DataverseClient
from solution.definition import DEFINITION
from solution.deploy import DeployError, PageSettings, Webhook, deploy, deploy_with_crm, workflow_drafts
from solution.ui import SMS_DASHBOARD, SMS_PER_MONTH, TOP_TEMPLATES, WEB_RESOURCES_DIR
from tests.contract.fake_metadata_org import TOKEN, FakeOrg

WEBHOOK_KEY = "k3y-0f-the-webhook-Only-4-Dataverse"
WEBHOOK_URL = "https://smsc-app.azurewebsites.net/api/dataverse/events?code=function-key"
SOLUTION = DEFINITION.unique_name
NEW_TABLES = [t.logical_name for t in DEFINITION.tables if t.is_new]


FORM_KEY = "the-key-the-pages-hold-0123"
FUNCTION_KEY = "a-function-key-for-the-pages"
PAGES = PageSettings("https://smsc-app.azurewebsites.net", FORM_KEY, FUNCTION_KEY, webhook_key=WEBHOOK_KEY)


def _deploy(api, **options):
    options.setdefault("pages", PAGES)
    return deploy(DEFINITION, api, webhook=Webhook(WEBHOOK_URL, WEBHOOK_KEY), **options)


def test_fresh_organisation_gets_one_entity_definition_post_per_table_inside_the_solution(org, api):
    _deploy(api)
    creates = org.sent("POST", "EntityDefinitions")
    assert [r.body["SchemaName"].lower() for r in creates] == NEW_TABLES
    assert all(r.solution == SOLUTION for r in creates)
    assert all(r.body["@odata.type"] == "Microsoft.Dynamics.CRM.EntityMetadata" for r in creates)
    assert not org.sent(path="$batch") and not org.sent(path="ImportSolution")
    sms = next(r.body for r in creates if r.body["SchemaName"] == "smsc_TextMessage")
    assert sms["IsActivity"] is True and sms["HasActivities"] is False and sms["HasNotes"] is True
    assert sms["IsAvailableOffline"] is True and sms["OwnershipType"] == "UserOwned"
    [subject] = sms["Attributes"]
    assert subject["SchemaName"] == "Subject" and subject["IsPrimaryName"] is True
    template = next(r.body for r in creates if r.body["SchemaName"] == "smsc_SmsTemplate")
    [name] = template["Attributes"]
    assert name["SchemaName"] == "smsc_Name" and name["IsPrimaryName"] is True
    assert name["@odata.type"] == "Microsoft.Dynamics.CRM.StringAttributeMetadata"
    assert template["DisplayName"]["LocalizedLabels"] == [
        {"@odata.type": "Microsoft.Dynamics.CRM.LocalizedLabel", "Label": "SMS template", "LanguageCode": 1033},
        {"@odata.type": "Microsoft.Dynamics.CRM.LocalizedLabel", "Label": "Modèle de SMS", "LanguageCode": 1036}]
    assert org.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_columns_are_posted_one_by_one_with_design_choice_values_and_both_labels(org, api):
    _deploy(api)
    status = next(r for r in org.sent("POST") if r.path == "EntityDefinitions(LogicalName='smsc_textmessage')/Attributes"
                  and r.body["SchemaName"] == "smsc_Status")
    assert status.solution == SOLUTION
    assert status.body["@odata.type"] == "Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
    assert status.body["DefaultFormValue"] == 1
    options = status.body["OptionSet"]["Options"]
    assert [o["Value"] for o in options] == list(range(1, 11))
    assert {label["LanguageCode"]: label["Label"] for label in options[1]["Label"]["LocalizedLabels"]} == {
        1033: "Send requested", 1036: "Envoi demandé"}
    assert status.body["OptionSet"]["IsGlobal"] is False
    sms_type = next(r for r in org.sent("POST") if r.path.endswith("/Attributes") and r.body["SchemaName"] == "smsc_SmsType"
                    and "smsc_textmessage" in r.path)
    assert sms_type.body["GlobalOptionSet@odata.bind"] == "/GlobalOptionSetDefinitions(Name='smsc_smstype')"
    [global_choice] = org.sent("POST", "GlobalOptionSetDefinitions")
    assert global_choice.body["Name"] == "smsc_smstype" and global_choice.body["IsGlobal"] is True
    assert [o["Value"] for o in global_choice.body["Options"]] == [1, 2]
    campaign_columns = {r.body["SchemaName"] for r in org.sent("POST", "EntityDefinitions(LogicalName='campaign')/Attributes")}
    assert {"smsc_Action", "smsc_SmsStatus", "smsc_Text", "smsc_RecipientType"} <= campaign_columns
    cost = next(r.body for r in org.sent("POST") if r.path.endswith("/Attributes") and r.body["SchemaName"] == "smsc_Cost")
    assert cost["@odata.type"] == "Microsoft.Dynamics.CRM.MoneyAttributeMetadata" and cost["Precision"] == 4


def test_lookups_are_relationships_and_the_two_alternate_keys_are_created(org, api):
    _deploy(api)
    relationships = {r.body["SchemaName"]: r.body for r in org.sent("POST", "RelationshipDefinitions")}
    campaign = relationships["smsc_textmessage_smsc_campaignid_campaign"]
    assert campaign["@odata.type"] == "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata"
    assert (campaign["ReferencedEntity"], campaign["ReferencedAttribute"], campaign["ReferencingEntity"]) == (
        "campaign", "campaignid", "smsc_textmessage")
    assert campaign["Lookup"]["SchemaName"] == "smsc_CampaignId"
    assert campaign["Lookup"]["@odata.type"] == "Microsoft.Dynamics.CRM.LookupAttributeMetadata"
    to_sms = relationships["smsc_providerevent_smsc_textmessageid_smsc_textmessage"]
    assert to_sms["ReferencedAttribute"] == "activityid"
    keys = {r.path: r.body for r in org.sent("POST") if r.path.endswith("/Keys")}
    assert keys["EntityDefinitions(LogicalName='smsc_textmessage')/Keys"]["KeyAttributes"] == ["smsc_idempotencykey"]
    assert keys["EntityDefinitions(LogicalName='smsc_optout')/Keys"]["KeyAttributes"] == ["smsc_phonenumber"]
    assert all(r.solution == SOLUTION for r in org.sent("POST", "RelationshipDefinitions"))


def test_web_resources_endpoint_steps_publish_and_seed(org, api):
    _deploy(api)
    resources = {r.body["name"]: r for r in org.sent("POST", "webresourceset")}
    api_js = resources["smsc_/js/api.js"]
    assert base64.b64decode(api_js.body["content"]) == (WEB_RESOURCES_DIR / "js/api.js").read_bytes()
    assert api_js.body["webresourcetype"] == 3 and api_js.solution == SOLUTION
    [endpoint] = org.sent("POST", "serviceendpoints")
    assert endpoint.solution == SOLUTION
    assert {k: endpoint.body[k] for k in ("url", "contract", "authtype", "messageformat")} == {
        "url": WEBHOOK_URL, "contract": 8, "authtype": 5, "messageformat": 2}
    assert endpoint.body["authvalue"] == (f'<settings><setting name="x-smsc-webhook-key" value="{WEBHOOK_KEY}" />'
                                          "</settings>")
    endpoint_id = org.rows["serviceendpoints"][0]["serviceendpointid"]
    steps = {r.body["name"]: r for r in org.sent("POST", "sdkmessageprocessingsteps")}
    status_step = steps["SMS Connector: smsc_textmessage Update (smsc_status)"]
    assert status_step.solution == SOLUTION
    assert (status_step.body["filteringattributes"], status_step.body["stage"], status_step.body["mode"]) == (
        "smsc_status", 40, 1)
    assert status_step.body["eventhandler_serviceendpoint@odata.bind"] == f"/serviceendpoints({endpoint_id})"
    # The status a cancel replaced travels with it (connector.unit_cancel): the step's pre-image.
    images = [r.body for r in org.sent("POST", "sdkmessageprocessingstepimages")]
    assert {(i["entityalias"], i["attributes"], i["imagetype"]) for i in images} >= {("PreImage", "smsc_status", 0)}
    update = next(m["sdkmessageid"] for m in org.rows["sdkmessages"] if m["name"] == "Update")
    campaign_filter = next(f["sdkmessagefilterid"] for f in org.rows["sdkmessagefilters"]
                           if f["_sdkmessageid_value"] == update and f["primaryobjecttypecode"] == "campaign")
    campaign_step = steps["SMS Connector: campaign Update (smsc_action)"].body
    assert campaign_step["filteringattributes"] == "smsc_action"
    assert campaign_step["sdkmessageid@odata.bind"] == f"/sdkmessages({update})"
    assert campaign_step["sdkmessagefilterid@odata.bind"] == f"/sdkmessagefilters({campaign_filter})"
    assert "filteringattributes" not in steps["SMS Connector: smsc_textmessage Create"].body
    [publish] = org.sent("POST", "PublishXml")
    xml = publish.body["ParameterXml"]
    assert xml.startswith("<importexportxml><entities><entity>smsc_textmessage</entity>")
    assert "<entity>campaign</entity>" in xml and "<optionset>smsc_smstype</optionset>" in xml
    resource_id = org.rows["webresourceset"][0]["webresourceid"]
    assert f"<webresource>{{{resource_id}}}</webresource>" in xml
    seeded = [r for r in org.writes() if r.path in ("smsc_configurations", "smsc_smstemplates", "smsc_workflows")]
    assert org.requests.index(publish) < org.requests.index(seeded[0])
    assert [r.path for r in seeded].count("smsc_workflows") == 8 == len(workflow_drafts(DEFINITION))
    assert all(r.body["smsc_active"] is False for r in seeded if r.path == "smsc_workflows")
    assert all(r.solution is None for r in seeded)
    assert not org.sent("PATCH")


def test_second_run_only_reads_apart_from_publishing(org, api):
    _deploy(api)
    first = len(org.requests)
    report = _deploy(api)
    again = org.requests[first:]
    assert [(r.method, r.path) for r in again if r.method != "GET"] == [("POST", "PublishXml")]
    assert [o.kind for o in report.done] == ["customizations"]
    assert report.plan.notes == []                      # every column found with the definition's type
    kinds = {kind for kind, _ in report.plan.unchanged}
    assert {"table", "column", "relationship", "key", "web resource", "service endpoint", "step", "row", "site map",
            "app", "app components", "view", "chart", "dashboard"} <= kinds


def test_the_charts_their_views_and_the_dashboard_are_rows_with_the_zips_ids_inside_the_solution(org, api):
    _deploy(api)
    views = {r.body["name"]: r for r in org.sent("POST", "savedqueries")}
    assert set(views) == {"Sent SMS", "Replies received"}                 # the views the charts show
    sent = views["Sent SMS"]
    assert sent.solution == SOLUTION and sent.body["savedqueryid"] == SMS_PER_MONTH.view_id
    assert (sent.body["returnedtypecode"], sent.body["querytype"], sent.body["isdefault"]) == (
        "smsc_textmessage", 0, False)
    fetch = ET.fromstring(sent.body["fetchxml"])
    assert fetch.find("entity").get("name") == "smsc_textmessage"
    assert [c.get("name") for c in ET.fromstring(sent.body["layoutxml"]).iter("cell")][:2] == [
        "subject", "smsc_phonenumber"]
    charts = {r.body["savedqueryvisualizationid"]: r for r in org.sent("POST", "savedqueryvisualizations")}
    assert list(charts) == [c.chart_id for c in DEFINITION.charts]
    per_month = charts[SMS_PER_MONTH.chart_id]
    assert per_month.solution == SOLUTION and per_month.body["name"] == "SMS sent per month"
    assert (per_month.body["primaryentitytypecode"], per_month.body["charttype"]) == ("smsc_textmessage", 0)
    grouped = ET.fromstring(per_month.body["datadescription"]).find("fetchcollection/fetch/entity/attribute")
    assert (grouped.get("name"), grouped.get("dategrouping"), grouped.get("groupby")) == ("createdon", "month", "true")
    assert ET.fromstring(per_month.body["presentationdescription"]).find("Series/Series").get("ChartType") == "Column"
    [dashboard] = org.sent("POST", "systemforms")
    assert dashboard.solution == SOLUTION
    assert {k: dashboard.body[k] for k in ("formid", "name", "type", "objecttypecode", "isdefault")} == {
        "formid": SMS_DASHBOARD.dashboard_id, "name": "SMS", "type": 0, "objecttypecode": "none", "isdefault": False}
    form = ET.fromstring(dashboard.body["formxml"])
    assert form.tag == "form"
    cells = {p.findtext("VisualizationId"): p.findtext("ViewId") for p in form.iter("parameters")}
    assert cells == {f"{{{c.chart_id}}}": f"{{{c.view_id}}}" for c in DEFINITION.charts}
    assert all(c.view_id in {v.body["savedqueryid"] for v in views.values()} for c in DEFINITION.charts)
    [site_map] = org.sent("POST", "sitemaps")                         # the dashboard, first in the app
    assert f'DefaultDashboard="{SMS_DASHBOARD.dashboard_id}"' in site_map.body["sitemapxml"]
    [components] = org.sent("POST", "AddAppComponents")
    assert {"formid": SMS_DASHBOARD.dashboard_id, "@odata.type": "Microsoft.Dynamics.CRM.systemform"} in (
        components.body["Components"])
    publish = org.sent("POST", "PublishXml")[-1].body["ParameterXml"]
    assert f"<dashboards><dashboard>{{{SMS_DASHBOARD.dashboard_id}}}</dashboard></dashboards>" in publish
    assert "<entity>smsc_textmessage</entity>" in publish           # its views and charts publish with it


def test_a_chart_changed_in_the_organisation_is_patched_back_the_others_left_alone(org, api):
    _deploy(api)
    chart = next(r for r in org.rows["savedqueryvisualizations"]
                 if r["savedqueryvisualizationid"] == TOP_TEMPLATES.chart_id)
    chart["datadescription"] = chart["datadescription"].replace('count="10"', 'count="5"')
    view = next(r for r in org.rows["savedqueries"] if r["name"] == "Sent SMS")
    view["layoutxml"] = view["layoutxml"].replace(" />", "/>").replace('"', "'")      # the same XML, written otherwise
    first = len(org.requests)
    report = _deploy(api)
    writes = [(r.method, r.path) for r in org.requests[first:] if r.method != "GET"]
    assert writes == [("PATCH", f"savedqueryvisualizations({TOP_TEMPLATES.chart_id})"), ("POST", "PublishXml")]
    patch = org.sent("PATCH")[-1]
    assert list(patch.body) == ["datadescription"] and 'count="10"' in patch.body["datadescription"]
    assert patch.headers["If-Match"] == "*"
    assert ("view", "Sent SMS") in report.plan.unchanged


def test_the_sms_app_its_site_map_and_its_components_by_metadata_id_then_published(org, api):
    _deploy(api)
    [site_map] = org.sent("POST", "sitemaps")
    assert site_map.solution == SOLUTION and site_map.body["sitemapnameunique"] == "smsc_SmsConnector"
    assert site_map.body["sitemapxml"].startswith('<SiteMap IntroducedVersion="7.0.0.0">')
    [app] = org.sent("POST", "appmodules")
    assert app.solution == SOLUTION
    assert {k: app.body[k] for k in ("uniquename", "name", "clienttype", "formfactor", "navigationtype")} == {
        "uniquename": "smsc_SmsConnector", "name": "SMS", "clienttype": 4, "formfactor": 1, "navigationtype": 0}
    [components] = org.sent("POST", "AddAppComponents")
    app_id = org.rows["appmodules"][0]["appmoduleid"]
    assert components.body["AppId"] == app_id and components.solution is None
    entity_ids = [c["entityid"] for c in components.body["Components"] if "entityid" in c]
    assert entity_ids == [org.tables[t]["metadata_id"] for t in DEFINITION.apps[0].tables]   # new tables included
    assert components.body["Components"][0] == {"sitemapid": org.rows["sitemaps"][0]["sitemapid"],
                                                "@odata.type": "Microsoft.Dynamics.CRM.sitemap"}
    publish = org.sent("POST", "PublishXml")[-1].body["ParameterXml"]
    assert f"<appmodules><appmodule>{{{app_id}}}</appmodule></appmodules>" in publish


def test_dry_run_sends_only_gets(org, api):
    report = _deploy(api, dry_run=True)
    assert {r.method for r in org.requests} == {"GET"}
    assert report.dry_run and len([o for o in report.plan.operations if o.kind == "table"]) == len(NEW_TABLES)


def test_without_webhook_the_endpoint_and_steps_are_skipped_and_said(org, api):
    report = deploy(DEFINITION, api, webhook=None)
    assert not org.sent(path="serviceendpoints") and not org.sent(path="sdkmessageprocessingsteps")
    assert any("webhook" in note and "skipped" in note for note in report.plan.notes)


def test_a_refusal_names_the_component_and_the_report_keeps_what_was_done(org, api):
    org.refuse[("POST", "EntityDefinitions(LogicalName='smsc_quota')/Attributes")] = (
        400, "An attribute with the specified name already exists")
    with pytest.raises(DeployError) as raised:
        _deploy(api)
    message = str(raised.value)
    assert message.startswith("column smsc_quota.smsc_mode: Dataverse 400 0x80044363: An attribute")
    assert "\n" not in message
    done = [o.component for o in raised.value.report.done]
    assert "table smsc_quota" in done and "column smsc_quota.smsc_mode" not in done
    assert not org.sent(path="PublishXml")            # stopped there: nothing later attempted


def test_the_key_is_sent_only_in_the_endpoint_body(org, api):
    _deploy(api)
    carrying = [r for r in org.requests if WEBHOOK_KEY in repr(r.body) or WEBHOOK_KEY in repr(r.query)]
    assert [(r.method, r.path) for r in carrying] == [("POST", "serviceendpoints")]


def test_the_pages_variables_are_created_in_the_solution_with_the_form_key_never_the_webhook_key(org, api):
    _deploy(api)
    definitions = org.sent("POST", "environmentvariabledefinitions")
    assert [r.body["schemaname"] for r in definitions] == ["smsc_ApiBaseUrl", "smsc_ApiFunctionKey", "smsc_ApiKey"]
    assert all(r.solution == SOLUTION and r.body["type"] == 100000000 and "defaultvalue" not in r.body
               for r in definitions)
    ids = {row["schemaname"]: row["environmentvariabledefinitionid"] for row in org.rows["environmentvariabledefinitions"]}
    values = {r.body["schemaname"]: r for r in org.sent("POST", "environmentvariablevalues")}
    assert {name: r.body["value"] for name, r in values.items()} == {
        "smsc_ApiBaseUrl": "https://smsc-app.azurewebsites.net", "smsc_ApiFunctionKey": FUNCTION_KEY,
        "smsc_ApiKey": FORM_KEY}
    for name, request in values.items():
        assert request.solution == SOLUTION
        assert request.body["EnvironmentVariableDefinitionId@odata.bind"] == f"/environmentvariabledefinitions({ids[name]})"
    carrying = [r for r in org.requests if FORM_KEY in repr(r.body) or FORM_KEY in repr(r.query)]
    assert [(r.method, r.path) for r in carrying] == [("POST", "environmentvariablevalues")]
    assert not [r for r in org.requests if r.path.startswith("environmentvariable") and WEBHOOK_KEY in repr(r.body)]


# -- the command: settings alone, a table, one line on a refusal ------------------------------------------

@pytest.fixture
def settings(server, monkeypatch):
    from connector import bootstrap

    for name in ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_ID", "AZURE_TENANT_ID",
                 "SMSC_WEBHOOK_URL", "SMSC_FORM_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATAVERSE_URL", server.url_for("/"))
    monkeypatch.setenv("DATAVERSE_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("OCTOPUSH_API_LOGIN", "ops@example.com")
    monkeypatch.setenv("OCTOPUSH_API_KEY", "octopush-key")
    monkeypatch.setenv("SMSC_WEBHOOK_KEY", WEBHOOK_KEY)
    monkeypatch.setenv("SMSC_HTTP_TIMEOUT", "5")
    monkeypatch.setenv("COLUMNS", "120")
    bootstrap.reset()
    yield monkeypatch
    bootstrap.reset()


def test_cli_runs_from_the_settings_alone_and_prints_the_table(org, settings, capsys):
    from smsc.cli import main

    settings.setenv("SMSC_WEBHOOK_URL", "https://smsc-app.azurewebsites.net/?code=function-key")
    assert main(["solution", "deploy"]) == 0
    out = capsys.readouterr().out
    assert "created" in out and "left alone" in out and "table smsc_textmessage" in out
    assert WEBHOOK_KEY not in out and "function-key" not in out
    assert "webhook: https://smsc-app.azurewebsites.net/api/dataverse/events?code=…" in out
    [endpoint] = org.sent("POST", "serviceendpoints")
    assert endpoint.body["url"] == "https://smsc-app.azurewebsites.net/api/dataverse/events?code=function-key"
    assert main(["solution", "deploy"]) == 0
    assert {(r.method, r.path) for r in org.writes()[-1:]} == {("POST", "PublishXml")}


def test_cli_dry_run_without_webhook_says_what_it_skips(org, settings, capsys):
    from smsc.cli import main

    assert main(["solution", "deploy", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run" in out and "would create: table smsc_optout" in out
    assert "no webhook URL" in out and "skipped" in out
    assert not org.writes()


def test_cli_refusal_is_one_line_and_exit_2_after_the_table(org, settings, capsys):
    from smsc.cli import main

    org.refuse[("POST", "EntityDefinitions")] = (403, "Principal user is missing prvCreateEntity privilege")
    assert main(["solution", "deploy", "--webhook-url", WEBHOOK_URL]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "smsc: table smsc_textmessage: Dataverse 403 0x80044363: Principal user is missing prvCreateEntity privilege"]
    assert "created: publisher smsconnector" in captured.out and "failed: table smsc_textmessage" in captured.out
    assert "Stopped at a refusal: done before it" in captured.out


def test_a_refused_read_names_the_component_before_anything_is_written(org, api):
    org.refuse[("GET", "EntityDefinitions(LogicalName='smsc_quota')")] = (400, "Could not find a navigation property")
    with pytest.raises(DeployError, match=r"^reading table smsc_quota: Dataverse 400 0x80044363: Could not find"):
        _deploy(api)
    assert not org.writes()


def test_an_activated_workflow_gets_its_step_and_pre_image_on_the_next_run(server, api):
    org = FakeOrg.with_standard_tables(("smsc_textmessage", "campaign", "salesorder"))
    server.expect_request(re.compile(r"/api/data/v9\.2/.*")).respond_with_handler(org.handle)
    crm = DataverseClient(server.url_for("/"), StaticTokenCredential(TOKEN), timeout=5)
    webhook = Webhook(WEBHOOK_URL, WEBHOOK_KEY)
    deploy_with_crm(DEFINITION, crm, webhook=webhook)
    fulfilled = next(r for r in org.rows["smsc_workflows"] if r["smsc_name"] == "Envoi de SMS - Commande validée")
    fulfilled["smsc_active"] = True
    first = len(org.requests)
    report = deploy_with_crm(DEFINITION, crm, webhook=webhook)
    writes = [r for r in org.requests[first:] if r.method != "GET"]
    assert [(r.method, r.path) for r in writes] == [("POST", "sdkmessageprocessingsteps"),
                                                    ("POST", "sdkmessageprocessingstepimages"), ("POST", "PublishXml")]
    step, image = writes[0].body, writes[1].body
    assert step["name"] == "SMS Connector: workflows salesorder Update"
    assert step["filteringattributes"] == "statecode,statuscode" and writes[0].solution == SOLUTION
    assert "statecode" in image["attributes"].split(",") and image["messagepropertyname"] == "Target"
    step_id = org.rows["sdkmessageprocessingsteps"][-1]["sdkmessageprocessingstepid"]
    assert image["sdkmessageprocessingstepid@odata.bind"] == f"/sdkmessageprocessingsteps({step_id})"
    assert [o.component for o in report.done][:2] == ["step SMS Connector: workflows salesorder Update",
                                                     "step image SMS Connector: workflows salesorder Update PreImage"]


def _page_values(org) -> dict[str, str]:
    return {r.body["schemaname"]: r.body["value"] for r in org.sent("POST", "environmentvariablevalues")}


def test_cli_gives_the_pages_smsc_form_key_and_the_api_url(org, settings, capsys):
    from smsc.cli import main

    settings.setenv("SMSC_FORM_KEY", FORM_KEY)
    assert main(["solution", "deploy", "--webhook-url", WEBHOOK_URL, "--api-url", "https://pages.example.org/x"]) == 0
    out = capsys.readouterr().out
    assert _page_values(org) == {"smsc_ApiBaseUrl": "https://pages.example.org", "smsc_ApiKey": FORM_KEY}
    assert FORM_KEY not in out and WEBHOOK_KEY not in out
    assert "created: environment variable value smsc_ApiKey" in out
    assert "note: smsc_ApiFunctionKey has no value" in " ".join(out.split())


def test_cli_without_a_form_key_leaves_smsc_api_key_empty_and_says_so(org, settings, capsys):
    from smsc.cli import main

    assert main(["solution", "deploy", "--webhook-url", WEBHOOK_URL, "--api-functions-key", FUNCTION_KEY]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert _page_values(org) == {"smsc_ApiBaseUrl": "https://smsc-app.azurewebsites.net",
                                 "smsc_ApiFunctionKey": FUNCTION_KEY}
    assert "note: SMSC_FORM_KEY is not set: smsc_ApiKey is left empty" in out
    assert FUNCTION_KEY not in out and WEBHOOK_KEY not in out
    assert not [r for r in org.requests if WEBHOOK_KEY in repr(r.body) and r.path != "serviceendpoints"]

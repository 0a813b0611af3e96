"""The installer's plan, without HTTP: the definition and what the organisation has -> the operations."""
from __future__ import annotations

import pytest

from connector.errors import BadInput
from solution.definition import DEFINITION
from solution.deploy import (
    DeployError,
    PageSettings,
    Result,
    Secret,
    Webhook,
    api_base_url,
    auth_value,
    endpoint_steps,
    plan,
    resolved,
    site_map_xml,
    webhook_url,
    workflow_drafts,
)
from solution.deploy_visuals import visuals
from solution.deploy_state import (
    AppState,
    EndpointState,
    EnvironmentVariableState,
    OrgState,
    SeedTableState,
    SiteMapState,
    StepState,
    TableState,
    WebResourceState,
)
from solution.model import ChoiceColumn, LookupColumn
from workflows.steps import StepRegistration

WEBHOOK = Webhook("https://app.azurewebsites.net/api/dataverse/events?code=fk", "a-webhook-key-of-24-chars")
SEEDS = DEFINITION.seed + workflow_drafts(DEFINITION)
CONTENT = b"/* the same file */"


def _fresh() -> OrgState:
    state = OrgState()
    state.tables["campaign"] = TableState(frozenset({"campaignid", "name"}), frozenset(), frozenset(), {})
    state.tables["systemuser"] = TableState(frozenset({"systemuserid", "fullname"}), frozenset(), frozenset(), {})
    state.tables["team"] = TableState(frozenset({"teamid", "name"}), frozenset(), frozenset(), {})
    return state


def _options(choice) -> dict[int, dict[int, str]]:
    return {o.value: {1033: o.label.en, 1036: o.label.fr} for o in choice.options}


def _complete() -> OrgState:
    """An organisation where the definition is already installed, webhook included."""
    state = OrgState(publisher_id="p-id", solution_id="s-id")
    state.global_choices = {c.name: _options(c) for c in DEFINITION.choices}
    for table in DEFINITION.tables:
        columns = {c.logical_name for c in table.all_columns}
        options = {c.logical_name: _options(c.choice) for c in table.columns
                   if isinstance(c, ChoiceColumn) and not c.choice.is_global}
        relationships = {lookup.relationship_name(table.logical_name, target)
                         for lookup in table.lookups for target in lookup.targets}
        state.tables[table.logical_name] = TableState(frozenset(columns), frozenset(k.logical_name for k in table.keys),
                                                      frozenset(relationships), options)
    state.web_resources = {r.name: WebResourceState(f"id-{r.name}", CONTENT, r.display)
                           for r in DEFINITION.web_resources}
    state.endpoint = EndpointState("e-id", WEBHOOK.url, 8, 5, 2)
    for step in endpoint_steps(DEFINITION):
        images = ({"PreImage": (f"image-{step.name}", frozenset(step.pre_image_columns))}
                  if step.pre_image_columns else {})
        state.steps[step.name] = StepState(f"id-{step.name}", frozenset(step.filtering_columns), 40, 1, images)
    state.environment_variables = {v.schema_name: EnvironmentVariableState(f"id-{v.schema_name}", v.display.en,
                                                                           f"value-{v.schema_name}", "set by hand")
                                   for v in DEFINITION.environment_variables}
    state.seeds = {table: SeedTableState(True, frozenset((r.values["smsc_name"],) for r in SEEDS if r.table == table))
                   for table in {r.table for r in SEEDS}}
    state.visuals = {v.key: {c: v.body[c] for c in (v.id_column, *v.compared)} for v in visuals(DEFINITION)}
    state.visual_labels = {v.key: v.label.by_language() for v in visuals(DEFINITION)}
    for app in DEFINITION.apps:
        state.site_maps[app.unique_name] = SiteMapState("map-id", site_map_xml(app))
        state.metadata_ids.update({t: f"meta-{t}" for t in app.tables})
        state.apps[app.unique_name] = AppState("app-id", app.display.en, frozenset(
            {(62, "map-id")} | {(1, f"meta-{t}") for t in app.tables}
            | {(60, d.dashboard_id) for d in app.dashboards}))
    return state


def _plan(state: OrgState, **options):
    options.setdefault("webhook", WEBHOOK)
    options.setdefault("steps", endpoint_steps(DEFINITION))
    return plan(DEFINITION, state, seeds=SEEDS, read_file=lambda resource: CONTENT, **options)


def _kinds(result) -> list[str]:
    return [o.kind for o in result.operations]


def test_a_fresh_organisation_gets_everything_in_dependency_order():
    result = _plan(_fresh())
    kinds = _kinds(result)
    assert kinds[:3] == ["publisher", "solution", "choice"]
    tables = [o.name for o in result.operations if o.kind == "table"]
    assert tables == [t.logical_name for t in DEFINITION.tables if t.is_new]
    assert all(o.path == "EntityDefinitions" and o.method == "POST" for o in result.operations if o.kind == "table")
    last_column = max(i for i, k in enumerate(kinds) if k == "column")
    assert last_column < kinds.index("relationship") < kinds.index("web resource") < kinds.index("service endpoint")
    assert kinds.index("customizations") < kinds.index("row") and kinds[-1] == "row"
    columns = sum(1 for t in DEFINITION.tables for c in t.columns if not isinstance(c, LookupColumn))
    assert kinds.count("column") == columns
    assert kinds.count("relationship") == sum(len(c.targets) for t in DEFINITION.tables for c in t.lookups)
    assert {o.name for o in result.operations if o.kind == "key"} >= {
        "smsc_textmessage.smsc_idempotencykey_key", "smsc_optout.smsc_phonenumber_key"}
    assert kinds.count("row") == len(SEEDS) == 1 + 4 + 8
    assert result.unchanged == [("table", "campaign"), ("table", "systemuser"), ("table", "team")]


def test_every_metadata_write_but_publisher_solution_actions_and_rows_is_inside_the_solution():
    for operation in _plan(_fresh()).operations:
        outside = operation.kind in ("publisher", "solution", "customizations", "row", "app components")
        assert operation.in_solution is not outside, operation.component


def test_an_installed_organisation_only_gets_published():
    result = _plan(_complete())
    assert [(o.kind, o.method, o.path) for o in result.operations] == [("customizations", "POST", "PublishXml")]
    assert result.operations[0].result is Result.PUBLISHED
    assert ("column", "smsc_textmessage.smsc_status") in result.unchanged
    assert ("step", "SMS Connector: campaign Update (smsc_action)") in result.unchanged


def test_a_missing_option_is_inserted_and_a_relabelled_one_updated_with_design_values():
    state = _complete()
    options = dict(state.tables["smsc_textmessage"].options)
    status = {value: labels for value, labels in options["smsc_status"].items() if value != 10}
    status[2] = {1033: "Queued", 1036: "Envoi demandé"}
    options["smsc_status"] = status
    table = state.tables["smsc_textmessage"]
    state.tables["smsc_textmessage"] = TableState(table.columns, table.keys, table.relationships, options)
    result = _plan(state)
    options_written = {o.path: o for o in result.operations if o.kind == "option"}
    insert, update = options_written["InsertOptionValue"], options_written["UpdateOptionValue"]
    assert (insert.path, insert.body["Value"], insert.body["AttributeLogicalName"]) == (
        "InsertOptionValue", 10, "smsc_status")
    assert insert.body["SolutionUniqueName"] == DEFINITION.unique_name
    assert (update.path, update.body["Value"], update.body["MergeLabels"]) == ("UpdateOptionValue", 2, True)
    assert update.body["Label"]["LocalizedLabels"][0]["Label"] == "Send requested"


def test_labels_are_written_in_the_provisioned_languages_only():
    state = _fresh()
    state.languages = frozenset({1033})
    table = next(o for o in _plan(state).operations if o.kind == "table")
    assert [label["LanguageCode"] for label in table.body["DisplayName"]["LocalizedLabels"]] == [1033]


def test_a_changed_web_resource_is_patched_with_its_new_content():
    state = _complete()
    state.web_resources["smsc_/js/api.js"] = WebResourceState("w-id", b"old", "SMS: connector API client")
    [patch] = [o for o in _plan(state).operations if o.kind == "web resource"]
    assert (patch.method, patch.path, patch.result) == ("PATCH", "webresourceset(w-id)", Result.UPDATED)
    assert patch.body["content"] == "LyogdGhlIHNhbWUgZmlsZSAqLw=="


def test_without_webhook_no_endpoint_nor_step_and_a_note():
    result = _plan(_fresh(), webhook=None)
    assert not {"service endpoint", "step", "step image"} & set(_kinds(result))
    assert "skipped" in result.notes[0]


def test_a_moved_function_app_updates_the_endpoint_and_resends_the_key_without_showing_it():
    state = _complete()
    state.endpoint = EndpointState("e-id", "https://old.azurewebsites.net/api/dataverse/events", 8, 5, 2)
    [update] = [o for o in _plan(state).operations if o.kind == "service endpoint"]
    assert (update.method, update.path, update.body["url"]) == ("PATCH", "serviceendpoints(e-id)", WEBHOOK.url)
    assert isinstance(update.body["authvalue"], Secret)
    assert update.body["authvalue"].value == auth_value("x-smsc-webhook-key", WEBHOOK.key)
    assert WEBHOOK.key not in repr(update) and WEBHOOK.key not in repr(WEBHOOK)
    rotated = _plan(_complete(), update_key=True)
    assert [o.kind for o in rotated.operations] == ["service endpoint", "customizations"]


def test_a_step_with_other_filtering_columns_is_patched():
    state = _complete()
    name = "SMS Connector: smsc_textmessage Update (smsc_status)"
    state.steps[name] = StepState("st-id", frozenset(), 40, 1, {})
    [patch] = [o for o in _plan(state).operations if o.kind == "step"]
    assert (patch.path, patch.body) == ("sdkmessageprocessingsteps(st-id)",
                                        {"filteringattributes": "smsc_status", "stage": 40, "mode": 1})


def test_active_workflows_add_their_steps_with_a_pre_image():
    registrations = [StepRegistration("salesorder", "Update", ("statecode", "statuscode"), ("name", "statecode")),
                     StepRegistration("contact", "Create", (), ())]
    steps = endpoint_steps(DEFINITION, registrations)
    result = _plan(_complete(), steps=steps)
    created = {o.name: o for o in result.operations if o.kind == "step"}
    order = created["SMS Connector: workflows salesorder Update"]
    assert order.body["filteringattributes"] == "statecode,statuscode"
    assert [lookup.entity_set for lookup in order.lookups] == ["sdkmessages", "sdkmessagefilters"]
    [image] = [o for o in result.operations if o.kind == "step image"]
    assert image.body["attributes"] == "name,statecode" and image.body["messagepropertyname"] == "Target"
    assert image.body["imagetype"] == 0 and image.body["entityalias"] == "PreImage"
    assert "filteringattributes" not in created["SMS Connector: workflows contact Create"].body


def test_seed_rows_are_created_only_when_missing():
    state = _complete()
    state.seeds["smsc_smstemplate"] = SeedTableState(True, frozenset({("Confirmation de commande",)}))
    state.seeds["smsc_configuration"] = SeedTableState(False, frozenset())
    rows = [o for o in _plan(state).operations if o.kind == "row"]
    assert [o.path for o in rows] == ["smsc_configurations"] + ["smsc_smstemplates"] * 3
    assert rows[0].body["smsc_unitdefaultsmstype"] == 2 and rows[0].body["smsc_campaigndefaultsmstype"] == 1


def test_an_organisation_without_campaigns_is_refused_before_any_write():
    with pytest.raises(DeployError, match="table campaign: not in this organisation"):
        _plan(OrgState())


def test_webhook_url_gets_the_events_path_and_only_http_urls():
    assert webhook_url("https://app.azurewebsites.net", "/api/dataverse/events") == (
        "https://app.azurewebsites.net/api/dataverse/events")
    assert webhook_url("https://app.azurewebsites.net/?code=k", "/api/dataverse/events") == (
        "https://app.azurewebsites.net/api/dataverse/events?code=k")
    assert webhook_url("https://proxy.example/hooks/sms", "/api/dataverse/events") == "https://proxy.example/hooks/sms"
    with pytest.raises(BadInput):
        webhook_url("ftp://app", "/x")
    assert Webhook("https://a.net/api/dataverse/events?code=secret", "k").shown_url == (
        "https://a.net/api/dataverse/events?code=…")


def test_auth_value_is_the_documented_settings_xml_with_the_value_escaped():
    assert auth_value("x-smsc-webhook-key", 'a"b<c') == (
        '<settings><setting name="x-smsc-webhook-key" value="a&quot;b&lt;c" /></settings>')


def test_a_column_of_another_type_is_left_alone_and_said():
    state = _complete()
    table = state.tables["smsc_optout"]
    state.tables["smsc_optout"] = TableState(table.columns, table.keys, table.relationships, table.options,
                                             {"smsc_reason": "String", "smsc_active": "Boolean"})
    result = _plan(state)
    assert [o.kind for o in result.operations] == ["customizations"]
    assert result.notes == ["column smsc_optout.smsc_reason is String in the organisation, Picklist in the "
                            "definition: left as it is (Dataverse cannot change a column's type)"]


def test_a_new_version_of_the_definition_updates_the_solution_version():
    state = _complete()
    state.solution_version = "0.9.0.0"
    [update] = [o for o in _plan(state).operations if o.kind == "solution"]
    assert (update.method, update.path, update.body) == ("PATCH", "solutions(s-id)", {"version": DEFINITION.version})


def test_a_webhook_url_without_function_key_is_said():
    keyless = Webhook("https://app.azurewebsites.net/api/dataverse/events", WEBHOOK.key)
    assert "has no ?code=<function key>" in _plan(_complete(), webhook=keyless).notes[0]
    assert _plan(_complete()).notes == []


# -- the pages' environment variables ---------------------------------------------------------------------

FORM_KEY = "the-form-key-0123456789"
PAGES = PageSettings("https://app.azurewebsites.net", FORM_KEY, "fn-key", webhook_key=WEBHOOK.key)
VARIABLES = ["smsc_ApiBaseUrl", "smsc_ApiFunctionKey", "smsc_ApiKey"]


def _variable_operations(result, kind: str = "environment variable"):
    return {o.name: o for o in result.operations if o.kind == kind}


def test_a_fresh_organisation_gets_the_three_definitions_then_their_values_inside_the_solution():
    result = _plan(_fresh(), pages=PAGES)
    definitions = _variable_operations(result)
    assert list(definitions) == VARIABLES
    for name, operation in definitions.items():
        assert (operation.method, operation.path, operation.in_solution) == ("POST", "environmentvariabledefinitions",
                                                                             True)
        assert operation.body["schemaname"] == name and operation.body["type"] == 100_000_000
        assert "defaultvalue" not in operation.body and operation.produces == f"environmentvariable:{name}"
    values = _variable_operations(result, "environment variable value")
    assert list(values) == VARIABLES
    ids = {f"environmentvariable:{name}": f"def-{name}" for name in VARIABLES}
    resolved_values = {name: resolved(o.body, ids) for name, o in values.items()}
    assert resolved_values["smsc_ApiBaseUrl"] == {
        "schemaname": "smsc_ApiBaseUrl", "value": "https://app.azurewebsites.net",
        "EnvironmentVariableDefinitionId@odata.bind": "/environmentvariabledefinitions(def-smsc_ApiBaseUrl)"}
    assert resolved_values["smsc_ApiKey"]["value"] == FORM_KEY
    assert resolved_values["smsc_ApiFunctionKey"]["value"] == "fn-key"
    assert isinstance(values["smsc_ApiKey"].body["value"], Secret)                 # never in a repr
    assert FORM_KEY not in repr(result) and "fn-key" not in repr(result) and WEBHOOK.key not in repr(result)
    kinds = _kinds(result)
    assert kinds.index("environment variable") < kinds.index("environment variable value") < kinds.index(
        "customizations")
    assert all(o.in_solution for o in values.values())
    assert not [n for n in result.notes if "smsc_Api" in n or "SMSC_FORM_KEY" in n]


def test_the_webhook_key_never_goes_to_a_page_variable_and_without_a_form_key_smsc_api_key_is_left_empty():
    result = _plan(_fresh(), pages=PageSettings("https://app.azurewebsites.net", webhook_key=WEBHOOK.key))
    values = _variable_operations(result, "environment variable value")
    assert list(values) == ["smsc_ApiBaseUrl"]
    for operation in result.operations:
        if operation.kind.startswith("environment variable"):
            assert WEBHOOK.key not in repr(resolved(operation.body, {f"environmentvariable:{n}": "x"
                                                                      for n in VARIABLES}))
    [note] = [n for n in result.notes if "SMSC_FORM_KEY is not set" in n]
    assert "smsc_ApiKey is left empty" in note and "never SMSC_WEBHOOK_KEY" in note
    assert any(n.startswith("smsc_ApiFunctionKey has no value") for n in result.notes)


def test_a_found_value_is_kept_when_equal_patched_when_not_and_never_deleted():
    state = _complete()
    state.environment_variables["smsc_ApiBaseUrl"] = EnvironmentVariableState(
        "d-url", "SMS Connector: API base URL", "v-url", "https://app.azurewebsites.net")
    state.environment_variables["smsc_ApiKey"] = EnvironmentVariableState(
        "d-key", "SMS Connector: form key", "v-key", "an-older-form-key-000")
    result = _plan(state, pages=PageSettings("https://app.azurewebsites.net", FORM_KEY))
    [patch] = _variable_operations(result, "environment variable value").values()
    assert (patch.name, patch.method, patch.path) == ("smsc_ApiKey", "PATCH", "environmentvariablevalues(v-key)")
    assert resolved(patch.body, {}) == {"value": FORM_KEY}
    assert ("environment variable value", "smsc_ApiBaseUrl") in result.unchanged
    assert ("environment variable", "smsc_ApiKey") in result.unchanged
    untouched = _plan(state)                                           # nothing known: values left as found
    assert not _variable_operations(untouched, "environment variable value") and untouched.notes == []


def test_a_page_variable_holding_the_webhook_key_is_said():
    state = _complete()
    state.environment_variables["smsc_ApiKey"] = EnvironmentVariableState("d-key", "SMS Connector: form key",
                                                                          "v-key", WEBHOOK.key)
    [note] = _plan(state, pages=PageSettings(webhook_key=WEBHOOK.key)).notes
    assert note.startswith("smsc_ApiKey holds SMSC_WEBHOOK_KEY") and WEBHOOK.key not in note
    replaced = _plan(state, pages=PageSettings(form_key=FORM_KEY, webhook_key=WEBHOOK.key))
    assert replaced.notes[0].startswith("smsc_ApiKey held SMSC_WEBHOOK_KEY")
    assert [o.path for o in _variable_operations(replaced, "environment variable value").values()] == [
        "environmentvariablevalues(v-key)"]


def test_the_api_base_url_is_the_origin_of_the_function_app_url():
    assert api_base_url("https://app.azurewebsites.net/api/dataverse/events?code=x") == "https://app.azurewebsites.net"
    assert api_base_url(" http://127.0.0.1:7071/ ") == "http://127.0.0.1:7071"
    with pytest.raises(BadInput, match="API URL"):
        api_base_url("app.azurewebsites.net")


def test_a_fresh_organisation_gets_the_app_its_site_map_and_its_components_by_metadata_id():
    result = _plan(_fresh())
    app = DEFINITION.apps[0]
    kinds = _kinds(result)
    assert kinds.index("web resource") < kinds.index("site map") < kinds.index("app") < kinds.index(
        "app components") < kinds.index("customizations")
    site_map = next(o for o in result.operations if o.kind == "site map")
    assert (site_map.method, site_map.path, site_map.in_solution) == ("POST", "sitemaps", True)
    assert site_map.body["sitemapnameunique"] == app.unique_name and site_map.body["isappaware"] is True
    assert site_map.body["sitemapxml"].startswith("<SiteMap") and 'Entity="smsc_textmessage"' in site_map.body["sitemapxml"]
    created = next(o for o in result.operations if o.kind == "app")
    assert (created.path, created.body["uniquename"], created.body["clienttype"]) == ("appmodules", app.unique_name, 4)
    components = next(o for o in result.operations if o.kind == "app components")
    assert (components.method, components.path) == ("POST", "AddAppComponents")
    ids = {"sitemap:" + app.unique_name: "map-1", "appmodule:" + app.unique_name: "app-1",
           **{f"entity:{t}": f"meta-{t}" for t in app.tables}}
    body = resolved(components.body, ids)
    assert body["AppId"] == "app-1"
    assert body["Components"][0] == {"sitemapid": "map-1", "@odata.type": "Microsoft.Dynamics.CRM.sitemap"}
    assert body["Components"][1] == {"formid": app.dashboards[0].dashboard_id,
                                     "@odata.type": "Microsoft.Dynamics.CRM.systemform"}
    assert [c["entityid"] for c in body["Components"][2:]] == [f"meta-{t}" for t in app.tables]
    assert {lookup.key for lookup in components.lookups} == {f"entity:{t}" for t in app.tables}   # read when they exist
    publish = resolved(next(o for o in result.operations if o.kind == "customizations").body, {
        **ids, **{f"webresource:{r.name}": "w" for r in DEFINITION.web_resources}})["ParameterXml"]
    assert "<sitemaps><sitemap>{map-1}</sitemap></sitemaps><appmodules><appmodule>{app-1}</appmodule></appmodules>" in publish
    assert any("SMS Connector User" in note for note in result.notes)       # roles: said, not assigned


def test_an_installed_app_gets_only_what_it_lacks():
    state = _complete()
    app = DEFINITION.apps[0]
    state.apps[app.unique_name] = AppState("app-id", "SMS", state.apps[app.unique_name].components - {(1, "meta-smsc_quota")})
    state.site_maps[app.unique_name] = SiteMapState("map-id", "<SiteMap>an older one</SiteMap>")
    result = _plan(state)
    changed = [(o.kind, o.method, o.path) for o in result.operations if o.kind in ("site map", "app", "app components")]
    assert changed == [("site map", "PATCH", "sitemaps(map-id)"), ("app components", "POST", "AddAppComponents")]
    body = resolved(next(o for o in result.operations if o.kind == "app components").body, result.ids)
    assert body == {"AppId": "app-id", "Components": [{"entityid": "meta-smsc_quota",
                                                      "@odata.type": "Microsoft.Dynamics.CRM.entity"}]}
    assert ("app", app.unique_name) in result.unchanged and not result.notes


def test_an_organisation_installed_before_the_cancel_gets_the_status_steps_pre_image():
    state = _complete()
    name = "SMS Connector: smsc_textmessage Update (smsc_status)"
    step = state.steps[name]
    state.steps[name] = StepState(step.id, step.filtering, step.stage, step.mode, {})
    [image] = [o for o in _plan(state).operations if o.kind == "step image"]
    assert (image.body["entityalias"], image.body["attributes"], image.body["imagetype"]) == ("PreImage", "smsc_status", 0)


def test_a_dashboard_whose_form_differs_is_patched_a_renamed_chart_is_left_alone():
    state = _complete()
    dashboard = next(v for v in visuals(DEFINITION) if v.kind == "dashboard")
    chart = next(v for v in visuals(DEFINITION) if v.kind == "chart")
    state.visuals[dashboard.key] = {"formid": dashboard.row_id, "formxml": "<form><tabs /></form>"}
    state.visuals[chart.key] = {**state.visuals[chart.key], "name": "Mon graphique"}    # a label, not compared
    result = _plan(state)
    [patch] = [o for o in result.operations if o.kind == "dashboard"]
    assert (patch.method, patch.path, list(patch.body)) == ("PATCH", f"systemforms({dashboard.row_id})", ["formxml"])
    assert patch.body["formxml"].startswith("<form><tabs><tab ") and patch.in_solution
    assert ("chart", chart.name) in result.unchanged and ("view", "Sent SMS") in result.unchanged
    publish = resolved(result.operations[-1].body, result.ids)["ParameterXml"]
    assert f"<dashboards><dashboard>{{{dashboard.row_id}}}</dashboard></dashboards>" in publish

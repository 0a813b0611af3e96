"""The solution definition covers DESIGN §4 and everything the Dataverse adapter reads or writes."""
import re
from pathlib import Path

import pytest

from solution.definition import DEFINITION, PUBLISHER, WEB_RESOURCES_DIR
from solution.model import (
    BooleanColumn,
    ChoiceColumn,
    FieldControl,
    LookupColumn,
    MemoColumn,
    Ownership,
    StringColumn,
    WebResourceControl,
)

ROOT = Path(__file__).resolve().parents[2]

# DESIGN §4, spelled out again here on purpose: table -> entity set.
ENTITY_SETS = {
    "smsc_textmessage": "smsc_textmessages", "smsc_smstemplate": "smsc_smstemplates",
    "smsc_configuration": "smsc_configurations", "smsc_quota": "smsc_quotas", "smsc_optout": "smsc_optouts",
    "smsc_providerevent": "smsc_providerevents", "smsc_sendledger": "smsc_sendledgers",
    "smsc_workflow": "smsc_workflows", "campaign": "campaigns", "systemuser": "systemusers", "team": "teams",
}
# DESIGN §4's columns (table -> column -> Dataverse attribute type); the preferences it names in prose
# are the configuration's columns after the ones the connector reads today.
DESIGN_COLUMNS = {
    "smsc_textmessage": {
        "smsc_phonenumber": "String", "smsc_direction": "Picklist", "smsc_smstype": "Picklist",
        "smsc_sender": "String", "smsc_status": "Picklist", "smsc_encoding": "Picklist", "smsc_segments": "Integer",
        "smsc_cost": "Money", "smsc_providermessageid": "String", "smsc_error": "Memo",
        "smsc_campaignid": "Lookup", "smsc_templateid": "Lookup", "smsc_workflowid": "Lookup",
        "smsc_idempotencykey": "String"},
    "smsc_smstemplate": {"smsc_name": "String", "smsc_entity": "String", "smsc_text": "Memo",
                         "smsc_templatestatus": "Picklist"},
    "smsc_configuration": {
        "smsc_unitallowtypechoice": "Boolean", "smsc_unitdefaultsmstype": "Picklist",
        "smsc_unitallowsenderchoice": "Boolean", "smsc_unitdefaultsender": "String",
        "smsc_campaignallowtypechoice": "Boolean", "smsc_campaigndefaultsmstype": "Picklist",
        "smsc_campaignallowsenderchoice": "Boolean", "smsc_campaigndefaultsender": "String",
        "smsc_stoptext": "String", "smsc_appendstop": "Boolean", "smsc_excludeoptouts": "Boolean",
        "smsc_defaultcountry": "String", "smsc_warnthreshold": "Integer", "smsc_quotasenabled": "Boolean",
        "smsc_campaignduration": "Integer", "smsc_quiethoursstart": "Integer", "smsc_quiethoursend": "Integer",
        "smsc_quietsundays": "Boolean", "smsc_quietholidays": "Boolean", "smsc_repliesallowed": "Boolean",
        "smsc_replywindow": "Integer", "smsc_stopkeywords": "String", "smsc_startkeywords": "String",
        "smsc_consecutivefailures": "Integer", "smsc_maxtextlength": "Integer", "smsc_cheapertext": "Boolean",
        "smsc_consentcolumn": "String", "smsc_lowcreditthreshold": "Integer", "smsc_overseasprefix": "String"},
    "smsc_quota": {"smsc_userid": "Lookup", "smsc_mode": "Picklist", "smsc_persendsms": "Integer",
                   "smsc_persendrecipients": "Integer", "smsc_permonthsms": "Integer",
                   "smsc_permonthrecipients": "Integer", "smsc_enforcement": "Picklist"},
    "smsc_optout": {"smsc_phonenumber": "String", "smsc_reason": "Picklist", "smsc_active": "Boolean"},
    "smsc_providerevent": {"smsc_kind": "Picklist", "smsc_ticket": "String", "smsc_phonenumber": "String",
                           "smsc_providerstatus": "String", "smsc_text": "Memo", "smsc_receivedon": "DateTime",
                           "smsc_body": "Memo", "smsc_processedon": "DateTime", "smsc_textmessageid": "Lookup"},
    "smsc_sendledger": {"smsc_campaignid": "Lookup", "smsc_part": "Integer", "smsc_window": "Integer",
                        "smsc_requestid": "String", "smsc_ticket": "String", "smsc_recipients": "Integer",
                        "smsc_state": "Picklist", "smsc_error": "Memo", "smsc_leaseowner": "String",
                        "smsc_leaseexpires": "DateTime"},
    "smsc_workflow": {"smsc_name": "String", "smsc_definition": "Memo", "smsc_active": "Boolean",
                      "smsc_entity": "String"},
    "campaign": {"smsc_recipienttype": "Picklist", "smsc_text": "Memo", "smsc_templateid": "Lookup",
                 "smsc_smstype": "Picklist", "smsc_sender": "String", "smsc_smsstatus": "Picklist",
                 "smsc_action": "Picklist", "smsc_lastresult": "Memo", "smsc_providerticket": "String",
                 "smsc_partstotal": "Integer", "smsc_partsdone": "Integer", "smsc_partsfailed": "Integer",
                 "smsc_deliveryrate": "Decimal", "smsc_replyrate": "Decimal", "smsc_closedon": "DateTime"},
    # Issue 11: a default sender per user or team.
    "systemuser": {"smsc_defaultsender": "String"},
    "team": {"smsc_defaultsender": "String"},
}
# DESIGN §4's choices: (table, column) -> value -> English label.
DESIGN_CHOICES = {
    ("smsc_textmessage", "smsc_direction"): {1: "Outgoing", 2: "Incoming"},
    ("smsc_textmessage", "smsc_smstype"): {1: "Marketing", 2: "Transactional"},
    ("smsc_textmessage", "smsc_status"): {
        1: "Draft", 2: "Send requested", 3: "Sending", 4: "Scheduled", 5: "Sent", 6: "Delivered",
        7: "Undeliverable", 8: "Failed", 9: "Cancelled", 10: "Received"},
    ("smsc_textmessage", "smsc_encoding"): {1: "GSM-7", 2: "UCS-2"},
    ("smsc_smstemplate", "smsc_templatestatus"): {1: "Draft", 2: "Published"},
    ("smsc_quota", "smsc_mode"): {1: "Default", 2: "Specific", 3: "Forbidden", 4: "Unlimited"},
    ("smsc_quota", "smsc_enforcement"): {1: "Warn", 2: "Block"},
    ("smsc_optout", "smsc_reason"): {1: "STOP", 2: "Undeliverable", 3: "Manual"},
    ("campaign", "smsc_recipienttype"): {1: "Account", 2: "Contact", 4: "Lead"},
    ("campaign", "smsc_smstype"): {1: "Marketing", 2: "Transactional"},
    ("campaign", "smsc_smsstatus"): {1: "Not transmitted", 2: "In construction", 3: "Ready to send", 4: "Sending",
                                     5: "Sent"},
    # DESIGN's five, and the test send (6) the README explains.
    ("campaign", "smsc_action"): {1: "Simulate", 2: "Prepare", 3: "Validate", 4: "Cancel", 5: "Refresh",
                                  6: "Send a test"},
    ("smsc_textmessage", "smsc_cheapertext"): {1: "Yes", 2: "No"},     # empty: the configuration's
    ("campaign", "smsc_cheapertext"): {1: "Yes", 2: "No"},
    ("smsc_sendledger", "smsc_state"): {1: "Reserved", 2: "Sending", 3: "Accepted", 4: "Refused", 5: "Uncertain",
                                        6: "Written"},
    ("smsc_configuration", "smsc_unitdefaultsmstype"): {1: "Marketing", 2: "Transactional"},
    ("smsc_configuration", "smsc_campaigndefaultsmstype"): {1: "Marketing", 2: "Transactional"},
}
LOOKUP_TARGETS = {
    ("smsc_textmessage", "smsc_campaignid"): ("campaign",),
    ("smsc_textmessage", "smsc_templateid"): ("smsc_smstemplate",),
    ("smsc_textmessage", "smsc_workflowid"): ("smsc_workflow",),
    ("smsc_quota", "smsc_userid"): ("systemuser",),
    ("campaign", "smsc_templateid"): ("smsc_smstemplate",),
    ("smsc_providerevent", "smsc_textmessageid"): ("smsc_textmessage",),
    ("smsc_sendledger", "smsc_campaignid"): ("campaign",),
}
# `smsc_` names in the adapter that are not columns: a setting read with getattr.
NOT_COLUMNS = {"smsc_http_timeout"}


def _columns(table: str) -> dict:
    return {c.logical_name: c for c in DEFINITION.table(table).all_columns}


def test_the_publisher_and_the_solution():
    assert (PUBLISHER.prefix, DEFINITION.unique_name) == ("smsc", "SmsConnector")
    assert 10_000 <= PUBLISHER.option_value_prefix <= 99_999
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", DEFINITION.version)


def test_every_table_with_its_entity_set_and_schema_name():
    assert {t.logical_name: t.entity_set for t in DEFINITION.tables} == ENTITY_SETS
    for table in DEFINITION.tables:
        assert table.schema_name.lower() == table.logical_name
        assert table.display.fr and table.display.en and table.plural.fr and table.plural.en
    assert [t.logical_name for t in DEFINITION.tables if not t.is_new] == ["campaign", "systemuser", "team"]


def test_the_sms_is_an_activity_with_the_standard_activity_columns():
    sms = DEFINITION.table("smsc_textmessage")
    assert sms.is_activity and sms.primary_id == "activityid" and sms.primary_name_column == "subject"
    assert (sms.created_primary_name.schema_name, sms.created_primary_name.max_length) == ("Subject", 400)
    assert DEFINITION.table("smsc_optout").created_primary_name.logical_name == "smsc_phonenumber"
    assert DEFINITION.table("campaign").created_primary_name is None
    assert sms.ownership == Ownership.USER
    assert {"subject", "description", "regardingobjectid", "scheduledend", "actualend", "statecode",
            "to"} <= set(sms.standard_columns)
    assert [t.logical_name for t in DEFINITION.tables if t.is_activity] == ["smsc_textmessage"]


@pytest.mark.parametrize("table", sorted(DESIGN_COLUMNS))
def test_every_design_column_with_its_type(table):
    declared = {name: column.type_name for name, column in _columns(table).items()}
    assert {name: declared.get(name) for name in DESIGN_COLUMNS[table]} == DESIGN_COLUMNS[table]


def test_schema_names_are_the_logical_names_with_capitals_and_labels_in_both_languages():
    for table in DEFINITION.tables:
        for column in table.all_columns:
            assert column.logical_name.startswith("smsc_"), column
            assert column.schema_name.lower() == column.logical_name
            assert column.display.fr and column.display.en
    # The adapter binds lookups with their navigation property, the schema name: keep those spellings.
    sms = _columns("smsc_textmessage")
    assert [sms[c].schema_name for c in ("smsc_campaignid", "smsc_templateid", "smsc_workflowid")] == \
        ["smsc_CampaignId", "smsc_TemplateId", "smsc_WorkflowId"]


@pytest.mark.parametrize("table_column", sorted(DESIGN_CHOICES))
def test_choices_carry_design_numbers_and_french_and_english_labels(table_column):
    table, column = table_column
    declared = _columns(table)[column]
    assert isinstance(declared, ChoiceColumn)
    assert {o.value: o.label.en for o in declared.choice.options} == DESIGN_CHOICES[table_column]
    assert all(o.label.fr for o in declared.choice.options)


def test_no_choice_uses_the_publisher_option_range():
    values = [o.value for t in DEFINITION.tables for c in t.all_columns if isinstance(c, ChoiceColumn)
              for o in c.choice.options]
    assert values and max(values) < 100


def test_global_choices_are_shared_by_their_columns():
    sms_type = DEFINITION.choices[0]
    assert sms_type.name == "smsc_smstype" and sms_type.is_global
    users = [(t.logical_name, c.logical_name) for t in DEFINITION.tables for c in t.all_columns
             if isinstance(c, ChoiceColumn) and c.choice is sms_type]
    assert len(users) == 4


def test_lookups_have_their_targets_one_relationship_each():
    for (table, column), targets in LOOKUP_TARGETS.items():
        lookup = _columns(table)[column]
        assert isinstance(lookup, LookupColumn) and lookup.targets == targets
    names = [lk.relationship_name(t.logical_name, target) for t in DEFINITION.tables for lk in t.lookups
             for target in lk.targets]
    assert len(names) == len(set(names)) == len(LOOKUP_TARGETS)


def test_the_two_alternate_keys():
    keys = {(t.logical_name, k.columns) for t in DEFINITION.tables for k in t.keys}
    assert {("smsc_textmessage", ("smsc_idempotencykey",)), ("smsc_optout", ("smsc_phonenumber",))} <= keys
    for table in DEFINITION.tables:
        for key in table.keys:
            assert all(isinstance(_columns(table.logical_name)[c], StringColumn) for c in key.columns)


def test_booleans_have_french_and_english_labels():
    booleans = [c for t in DEFINITION.tables for c in t.all_columns if isinstance(c, BooleanColumn)]
    assert booleans and all(b.true_label.fr and b.true_label.en and b.false_label.fr for b in booleans)


def _adapter_names() -> set[str]:
    names = set()
    for path in sorted((ROOT / "connector" / "crm").glob("*.py")):
        for found in re.findall(r"\b_?(smsc_[A-Za-z0-9_]*[A-Za-z0-9])", path.read_text(encoding="utf-8")):
            names.add(found.lower().removesuffix("_value"))
    return names


def test_every_smsc_name_the_adapter_uses_is_declared():
    tables = DEFINITION.tables
    known = {t.logical_name for t in tables} | {t.entity_set for t in tables} | {t.primary_id for t in tables}
    known |= {f"{t.logical_name}_activity_parties" for t in tables if t.is_activity}   # the parties' navigation
    columns = {c.logical_name for t in tables for c in t.all_columns}
    used = _adapter_names() - NOT_COLUMNS
    assert len(used) > 40                       # the scan found the adapter's names
    assert sorted(used - known - columns) == []


def test_text_lengths_fit_what_the_adapter_writes():
    from connector.crm.campaigns import MAX_RESULT
    from connector.sms.port import LONGEST_TEXT

    campaign, sms = _columns("campaign"), _columns("smsc_textmessage")
    assert isinstance(campaign["smsc_lastresult"], MemoColumn)
    assert campaign["smsc_lastresult"].max_length >= MAX_RESULT
    assert isinstance(campaign["smsc_text"], MemoColumn) and campaign["smsc_text"].max_length >= LONGEST_TEXT
    assert isinstance(sms["smsc_phonenumber"], StringColumn) and sms["smsc_phonenumber"].max_length >= 16


def _referenced_web_resources() -> set[str]:
    names = set()
    for form in DEFINITION.forms:
        names |= set(form.libraries) | {h.library for h in form.on_load} | {h.library for _, h in form.on_change}
        names |= {c.web_resource for tab in form.tabs for s in tab.sections for c in s.controls
                  if isinstance(c, WebResourceControl)}
    for command in DEFINITION.commands:
        names |= {command.library, *command.dependencies}
    return names


def test_every_referenced_web_resource_is_a_file():
    referenced = _referenced_web_resources()
    assert {"smsc_/js/textmessage_form.js", "smsc_/js/encoding.js", "smsc_/js/api.js", "smsc_/js/template_form.js",
            "smsc_/js/grid_sms.js", "smsc_/html/campaign_panel.html", "smsc_/html/mergefield_picker.html",
            "smsc_/html/workflow_editor.html"} <= referenced
    declared = {w.name: w for w in DEFINITION.web_resources}
    for name in referenced | {"smsc_/html/bulk_sms.html", "smsc_/css/smsc.css"}:
        assert name in declared, name
        assert (WEB_RESOURCES_DIR / declared[name].path).is_file()


def test_web_resource_types_follow_the_extension(tmp_path):
    from solution.model import WEB_RESOURCE_TYPES
    from solution.ui import web_resources

    for resource in DEFINITION.web_resources:
        assert resource.type_code == WEB_RESOURCE_TYPES[resource.path.rsplit(".", 1)[-1].lower()]
    assert {w.name.rsplit(".", 1)[-1]: w.type_code for w in DEFINITION.web_resources
            if w.name.rsplit(".", 1)[-1] in ("html", "css", "js")} == {"html": 1, "css": 2, "js": 3}
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "sms.svg").write_text("<svg/>")
    (tmp_path / ".keep").write_text("")
    assert [(w.name, w.type_code) for w in web_resources(tmp_path)] == [("smsc_/img/sms.svg", 11)]
    (tmp_path / "notes.md").write_text("x")
    with pytest.raises(ValueError, match="notes.md"):
        web_resources(tmp_path)


def test_the_form_contract_with_the_web_resources():
    forms = {f.table: f for f in DEFINITION.forms}
    sms = forms["smsc_textmessage"]
    assert sms.libraries[:2] == ("smsc_/js/encoding.js", "smsc_/js/api.js")
    assert [(h.function, h.pass_execution_context) for h in sms.on_load] == [("Smsc.TextMessageForm.onLoad", True)]
    assert [(c, h.function) for c, h in sms.on_change] == [("description", "Smsc.TextMessageForm.onTextChange")]
    assert [h.function for h in forms["smsc_smstemplate"].on_load] == ["Smsc.TemplateForm.onLoad"]
    assert forms["campaign"].tabs[0].label.fr == "SMS"
    commands = {(c.table, c.function, c.parameters) for c in DEFINITION.commands}
    assert ("smsc_textmessage", "Smsc.TextMessageForm.send", ("PrimaryControl",)) in commands
    assert ("smsc_textmessage", "Smsc.TextMessageForm.applyTemplate", ("PrimaryControl",)) in commands
    assert ("smsc_textmessage", "Smsc.TextMessageForm.preview", ("PrimaryControl",)) in commands
    for table in ("contact", "lead", "account"):
        assert (table, "Smsc.BulkSms.open", ("SelectedControlSelectedItemIds", "PrimaryEntityTypeName")) in commands


def test_the_sms_form_buttons_in_the_guide_order_with_the_shared_libraries():
    form_buttons = [c for c in DEFINITION.commands if c.table == "smsc_textmessage"]
    assert [(c.label.fr, c.label.en) for c in sorted(form_buttons, key=lambda c: c.sequence)] == [
        ("Envoyer", "Send"), ("Appliquer le modèle", "Apply template"), ("Aperçu", "Preview"),
        ("Annuler l'envoi", "Cancel sending")]
    assert len({c.id for c in DEFINITION.commands}) == len(DEFINITION.commands)
    script = (WEB_RESOURCES_DIR / "js" / "textmessage_form.js").read_text(encoding="utf-8")
    for command in form_buttons:
        assert command.location.value == "Form" and command.library == "smsc_/js/textmessage_form.js"
        assert command.dependencies == ("smsc_/js/encoding.js", "smsc_/js/api.js")
        exported = command.function.removeprefix("Smsc.TextMessageForm.")
        assert f"{exported}: {exported}" in script, exported     # the namespace really exports it


def test_forms_and_views_name_columns_of_their_table():
    for form in DEFINITION.forms:
        table = DEFINITION.table(form.table)
        allowed = {c.logical_name for c in table.all_columns} | set(table.standard_columns)
        fields = [c.column for tab in form.tabs for s in tab.sections for c in s.controls
                  if isinstance(c, FieldControl)]
        assert fields and set(fields) <= allowed, form.table
        assert len(fields) == len(set(fields))
    for view in DEFINITION.views:
        table = DEFINITION.table(view.table)
        allowed = {c.logical_name for c in table.all_columns} | set(table.standard_columns) | {
            "createdon", "modifiedon"}
        assert {c for c, _ in view.columns} <= allowed, view.name
    assert {v.table for v in DEFINITION.views if v.is_default} == {t.logical_name for t in DEFINITION.new_tables}


def test_the_security_roles():
    roles = {r.name.en: r for r in DEFINITION.roles}
    assert set(roles) == {"SMS Connector User", "SMS Connector Admin"}
    admin = {p.table for p in roles["SMS Connector Admin"].privileges}
    assert admin == {t.logical_name for t in DEFINITION.new_tables}
    user = {p.table: p for p in roles["SMS Connector User"].privileges}
    assert user["smsc_textmessage"].privilege_name("Create") == "prvCreateActivity"
    assert user["smsc_smstemplate"].privilege_name("Read") == "prvReadsmsc_smstemplate"


def test_the_webhook_and_its_steps():
    endpoint = DEFINITION.endpoint
    assert (endpoint.auth_header, endpoint.key_setting) == ("x-smsc-webhook-key", "SMSC_WEBHOOK_KEY")
    steps = {(s.table, s.message, s.filtering_columns, int(s.stage), int(s.mode)) for s in endpoint.steps}
    assert steps == {("smsc_textmessage", "Create", (), 40, 1), ("smsc_textmessage", "Update", ("smsc_status",), 40, 1),
                     ("campaign", "Update", ("smsc_action",), 40, 1)}
    assert endpoint.include_workflow_steps


def test_the_seed_rows():
    rows = {row.table: row for row in DEFINITION.seed}
    config = rows["smsc_configuration"].values
    assert (config["smsc_stoptext"], config["smsc_quiethoursstart"], config["smsc_quiethoursend"]) == \
        ("STOP au 30101", 20, 8)
    assert (config["smsc_campaignduration"], config["smsc_replywindow"]) == (72, 48)
    assert config["smsc_quietsundays"] is config["smsc_quietholidays"] is True
    for row in DEFINITION.seed:
        assert set(row.values) <= {c.logical_name for c in DEFINITION.table(row.table).all_columns}, row.table
    templates = [r.values for r in DEFINITION.seed if r.table == "smsc_smstemplate"]
    assert any(t["smsc_name"] == "Confirmation de commande" for t in templates)
    assert len(list(ROOT.glob(DEFINITION.workflow_drafts))) == 8


def test_the_eight_workflows_are_seeded_as_inactive_drafts():
    from solution.seed import workflow_drafts

    drafts = workflow_drafts()
    assert len(drafts) == 8 and {row.table for row in drafts} == {"smsc_workflow"}
    assert all(row.values["smsc_active"] is False and row.match == ("smsc_name",) for row in drafts)
    names = {row.values["smsc_name"] for row in drafts}
    assert "Envoi de SMS - Commande validée" in names and len(names) == 8
    order = next(row for row in drafts if row.values["smsc_entity"] == "salesorder")
    assert str(order.values["smsc_definition"]).startswith("name: ")
    workflow_columns = {c.logical_name for c in DEFINITION.table("smsc_workflow").all_columns}
    assert all(set(row.values) <= workflow_columns for row in drafts)


def test_the_environment_variables_are_the_ones_api_js_reads():
    from solution.model import EnvironmentVariableType

    script = (WEB_RESOURCES_DIR / "js" / "api.js").read_text(encoding="utf-8")
    read = set(re.findall(r"\b(smsc_Api\w+):", script.split("ENVIRONMENT_VARIABLES = ", 1)[1].split("}", 1)[0]))
    variables = DEFINITION.environment_variables
    assert {v.schema_name for v in variables} == read == {"smsc_ApiBaseUrl", "smsc_ApiFunctionKey", "smsc_ApiKey"}
    for variable in variables:
        assert variable.type is EnvironmentVariableType.STRING and variable.type == 100_000_000
        assert variable.default_value is None                     # values are per organisation, never shipped
        assert variable.display.fr and variable.display.en and variable.description.fr and variable.description.en
        assert variable.schema_name.startswith(DEFINITION.publisher.prefix + "_")

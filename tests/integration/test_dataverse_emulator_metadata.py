"""The Dataverse emulator's metadata API, driven over HTTP as an installer drives Dataverse: a bare
organisation, a custom activity table with columns, a global choice, a lookup relationship and an alternate
key, then the data API on that table (create, read by key, duplicate refused, lookup bind)."""
from __future__ import annotations

import pytest

from emulators.dataverse import DataverseEmulator
from emulators.dataverse_errors import QueryError
from emulators.dataverse_seed import DEFAULT_SOLUTION_ID
from emulators.server import EmulatorServer

API = "/api/data/v9.2/"
TOKEN = "emulator-token"
CRM = "Microsoft.Dynamics.CRM."
SOLUTION = {"MSCRM.SolutionUniqueName": "smscconnector"}


def label(english: str, french: str | None = None) -> dict:
    labels = [{"@odata.type": f"{CRM}LocalizedLabel", "Label": english, "LanguageCode": 1033}]
    if french:
        labels.append({"@odata.type": f"{CRM}LocalizedLabel", "Label": french, "LanguageCode": 1036})
    return {"@odata.type": f"{CRM}Label", "LocalizedLabels": labels}


def string_column(schema_name: str, text: str, *, primary: bool = False, length: int = 100) -> dict:
    return {"@odata.type": f"{CRM}StringAttributeMetadata", "SchemaName": schema_name, "IsPrimaryName": primary,
            "MaxLength": length, "FormatName": {"Value": "Text"}, "DisplayName": label(text),
            "RequiredLevel": {"Value": "None"}}


def picklist(schema_name: str, options: dict[int, tuple[str, str]]) -> dict:
    return {"@odata.type": f"{CRM}PicklistAttributeMetadata", "SchemaName": schema_name,
            "DisplayName": label("Status", "Statut"), "RequiredLevel": {"Value": "None"},
            "OptionSet": {"@odata.type": f"{CRM}OptionSetMetadata", "IsGlobal": False, "OptionSetType": "Picklist",
                          "Options": [{"Value": v, "Label": label(en, fr)} for v, (en, fr) in options.items()]}}


def entity(schema_name: str, primary: dict, *, activity: bool = False, columns=()) -> dict:
    return {"@odata.type": f"{CRM}EntityMetadata", "SchemaName": schema_name, "DisplayName": label(schema_name),
            "DisplayCollectionName": label(schema_name + "s"), "Description": label("test"),
            "OwnershipType": "UserOwned", "IsActivity": activity, "HasActivities": False, "HasNotes": True,
            "Attributes": [primary, *columns]}


SMS = entity("smsc_TextMessage", string_column("Subject", "Subject", primary=True), activity=True, columns=[
    string_column("smsc_IdempotencyKey", "Idempotency key"),
    picklist("smsc_Status", {1: ("Draft", "Brouillon"), 2: ("Send requested", "Envoi demandé")}),
    {"@odata.type": f"{CRM}IntegerAttributeMetadata", "SchemaName": "smsc_Segments", "DisplayName": label("Segments"),
     "MinValue": 0, "MaxValue": 100},
    {"@odata.type": f"{CRM}MoneyAttributeMetadata", "SchemaName": "smsc_Cost", "DisplayName": label("Cost"),
     "Precision": 4},
    {"@odata.type": f"{CRM}MemoAttributeMetadata", "SchemaName": "smsc_Error", "DisplayName": label("Error"),
     "MaxLength": 4000},
])
OPTOUT = entity("smsc_OptOut", string_column("smsc_PhoneNumber", "Phone number", primary=True))
TEMPLATE = entity("smsc_SmsTemplate", string_column("smsc_Name", "Name", primary=True))


@pytest.fixture
def bare():
    return DataverseEmulator(bare=True)


@pytest.fixture
def api(bare, make_api):
    with EmulatorServer(bare) as server:
        yield make_api(server.url + API, TOKEN)


@pytest.fixture
def solution(api):
    publisher = api.post("publishers", json={"uniquename": "smsc", "friendlyname": "SMSC",
                                             "customizationprefix": "smsc", "customizationoptionvalueprefix": 10742})
    assert publisher.status_code == 204
    publisher_id = publisher.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
    made = api.post("solutions", json={"uniquename": "smscconnector", "friendlyname": "SMS connector",
                                       "version": "1.0.0.0", "publisherid@odata.bind": f"/publishers({publisher_id})"})
    assert made.status_code == 204
    return made.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


def created_id(response) -> str:
    return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


def definition(api, logical: str, select: str = "LogicalName,EntitySetName,IsActivity,PrimaryIdAttribute") -> dict:
    got = api.get(f"EntityDefinitions(LogicalName='{logical}')?$select={select}")
    assert got.status_code == 200, got.text
    return got.json()


def test_a_bare_organisation_has_the_standard_tables_only(api, bare):
    names = {row["LogicalName"] for row in api.get("EntityDefinitions?$select=LogicalName").json()["value"]}
    assert {"contact", "lead", "account", "systemuser", "usersettings", "timezonedefinition", "annotation",
            "campaign", "list", "salesorder", "incident", "quote", "invoice", "webresource", "serviceendpoint",
            "sdkmessageprocessingstep", "solution", "publisher"} <= names
    assert not [n for n in names if n.startswith("smsc_")]
    campaign = api.get("EntityDefinitions(LogicalName='campaign')/Attributes?$select=LogicalName").json()["value"]
    assert campaign and not [a for a in campaign if a["LogicalName"].startswith("smsc_")]
    assert api.get("smsc_textmessages").status_code == 404
    assert api.post("campaigns", json={"name": "x", "smsc_text": "y"}).status_code == 400
    assert not bare.rows("contacts") and bare.rows("systemusers")           # users, no demo data
    messages = {m["name"] for m in api.get("sdkmessages?$select=name").json()["value"]}
    assert {"Create", "Update", "Delete", "Assign", "SetState"} <= messages


def test_the_seeded_organisation_answers_the_collection_form_as_microsofts_client_asks(make_api):
    with EmulatorServer(DataverseEmulator()) as server:
        api = make_api(server.url + API, TOKEN)
        got = api.get("EntityDefinitions?$select=LogicalName,EntitySetName,PrimaryIdAttribute"
                      "&$filter=LogicalName eq 'contact'")
        assert got.status_code == 200
        [row] = got.json()["value"]
        assert (row["LogicalName"], row["EntitySetName"], row["PrimaryIdAttribute"]) == (
            "contact", "contacts", "contactid")
        assert set(row) == {"LogicalName", "EntitySetName", "PrimaryIdAttribute", "MetadataId"}
        assert api.get("EntityDefinitions?$filter=LogicalName eq 'nosuch'").json()["value"] == []
        by_id = api.get(f"EntityDefinitions({row['MetadataId']})?$select=LogicalName").json()
        assert by_id["LogicalName"] == "contact"
        sms = api.get("EntityDefinitions?$select=LogicalName,IsActivity&$filter=IsActivity eq true").json()["value"]
        assert [r["LogicalName"] for r in sms] == ["smsc_textmessage"]
        picklists = api.get("EntityDefinitions(LogicalName='campaign')/Attributes?$select=LogicalName&$filter="
                            "AttributeType eq Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist' and "
                            "IsCustomAttribute eq true").json()["value"]
        assert sorted(a["LogicalName"] for a in picklists) == ["smsc_action", "smsc_cheapertext", "smsc_recipienttype",
                                                               "smsc_smsstatus", "smsc_smstype"]
        assert api.get("EntityDefinitions?$filter=startswith(LogicalName,'smsc')").status_code == 501


def test_a_custom_activity_table_is_created_read_and_usable(api, bare, solution):
    created = api.post("EntityDefinitions", json=SMS, headers=SOLUTION)
    assert created.status_code == 204, created.text
    assert created.headers["OData-EntityId"].startswith(api.url + "EntityDefinitions(")
    table = definition(api, "smsc_textmessage", "LogicalName,SchemaName,EntitySetName,IsActivity,"
                                                "PrimaryIdAttribute,PrimaryNameAttribute,DisplayName")
    assert table["SchemaName"] == "smsc_TextMessage" and table["EntitySetName"] == "smsc_textmessages"
    assert table["IsActivity"] is True and table["PrimaryIdAttribute"] == "activityid"
    assert table["PrimaryNameAttribute"] == "subject"
    assert table["DisplayName"]["UserLocalizedLabel"]["Label"] == "smsc_TextMessage"
    assert api.get(f"EntityDefinitions({created_id(created)})?$select=LogicalName").json()["LogicalName"] == \
        "smsc_textmessage"
    status = api.get("EntityDefinitions(LogicalName='smsc_textmessage')/Attributes(LogicalName='smsc_status')/"
                     f"{CRM}PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)")
    assert status.status_code == 200, status.text
    options = status.json()["OptionSet"]["Options"]
    assert [(o["Value"], [x["Label"] for x in o["Label"]["LocalizedLabels"]]) for o in options] == [
        (1, ["Draft", "Brouillon"]), (2, ["Send requested", "Envoi demandé"])]
    # The standard activity parties collection, as for the emulator's seeded SMS table.
    relations = api.get("EntityDefinitions(LogicalName='smsc_textmessage')/OneToManyRelationships"
                        "?$select=ReferencingEntity,ReferencedEntityNavigationPropertyName").json()["value"]
    assert {"ReferencingEntity": "activityparty",
            "ReferencedEntityNavigationPropertyName": "smsc_textmessage_activity_parties"} in relations
    # The data API takes it at once: typed columns, choices checked, parties, regarding.
    contact = created_id(api.post("contacts", json={"lastname": "Smith", "mobilephone": "+33600000001"}))
    sms = api.post("smsc_textmessages", json={
        "subject": "Hello", "smsc_status": 2, "smsc_segments": 1, "smsc_cost": 0.05, "smsc_idempotencykey": "k-1",
        "regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({contact})",
        "smsc_textmessage_activity_parties": [
            {"participationtypemask": 2, "partyid_contact@odata.bind": f"/contacts({contact})"}]})
    assert sms.status_code == 204, sms.text
    row = api.get(f"smsc_textmessages({created_id(sms)})?$expand=smsc_textmessage_activity_parties").json()
    assert row["activitytypecode"] == "smsc_textmessage" and row["_regardingobjectid_value"] == contact
    assert [p["_partyid_value"] for p in row["smsc_textmessage_activity_parties"]] == [contact]
    assert api.post("smsc_textmessages", json={"subject": "x", "smsc_status": 7}).status_code == 400
    assert api.post("smsc_textmessages", json={"subject": "x", "smsc_segments": "one"}).status_code == 400
    # Notes may be attached to it (HasNotes).
    note = api.post("annotations", json={"subject": "n", "objectid_smsc_textmessage@odata.bind":
                                         f"/smsc_textmessages({created_id(sms)})"})
    assert note.status_code == 204
    # It joined the solution named in the header.
    components = bare.rows("solutioncomponents", f"_solutionid_value eq {solution}")
    assert [(c["objectid"], c["componenttype"]) for c in components] == [(created_id(created), 1)]
    assert api.post("EntityDefinitions", json=SMS).status_code == 400          # the name is taken
    assert api.post("EntityDefinitions", json=SMS | {"SchemaName": "smsc_Other"},
                    headers={"MSCRM.SolutionUniqueName": "nosuch"}).status_code == 404


def test_columns_choices_relationships_and_keys(api, bare, solution):
    for body in (SMS, OPTOUT, TEMPLATE):
        assert api.post("EntityDefinitions", json=body, headers=SOLUTION).status_code == 204
    choice = api.post("GlobalOptionSetDefinitions", headers=SOLUTION, json={
        "@odata.type": f"{CRM}OptionSetMetadata", "Name": "smsc_smstype", "DisplayName": label("SMS type"),
        "IsGlobal": True, "OptionSetType": "Picklist",
        "Options": [{"Value": 1, "Label": label("Marketing", "Marketing")},
                    {"Value": 2, "Label": label("Transactional", "Transactionnel")}]})
    assert choice.status_code == 204, choice.text
    got = api.get("GlobalOptionSetDefinitions(Name='smsc_smstype')").json()
    assert got["MetadataId"] == created_id(choice) and [o["Value"] for o in got["Options"]] == [1, 2]
    # Columns added to a standard table (campaign) and to the custom ones.
    columns = [
        ("campaign", {"@odata.type": f"{CRM}PicklistAttributeMetadata", "SchemaName": "smsc_SmsType",
                      "DisplayName": label("SMS type"), "GlobalOptionSet@odata.bind":
                          f"/GlobalOptionSetDefinitions({created_id(choice)})"}),
        ("campaign", {"@odata.type": f"{CRM}MemoAttributeMetadata", "SchemaName": "smsc_Text",
                      "DisplayName": label("Text"), "MaxLength": 2000}),
        ("smsc_optout", {"@odata.type": f"{CRM}BooleanAttributeMetadata", "SchemaName": "smsc_Active",
                         "DisplayName": label("Active"),
                         "OptionSet": {"TrueOption": {"Value": 1, "Label": label("Yes")},
                                       "FalseOption": {"Value": 0, "Label": label("No")}}}),
        ("smsc_optout", {"@odata.type": f"{CRM}DateTimeAttributeMetadata", "SchemaName": "smsc_When",
                         "DisplayName": label("When"), "Format": "DateAndTime"}),
        ("smsc_smstemplate", {"@odata.type": f"{CRM}DecimalAttributeMetadata", "SchemaName": "smsc_Rate",
                              "DisplayName": label("Rate"), "Precision": 2}),
    ]
    for logical, body in columns:
        added = api.post(f"EntityDefinitions(LogicalName='{logical}')/Attributes", json=body, headers=SOLUTION)
        assert added.status_code == 204, added.text
        assert "/Attributes(" in added.headers["OData-EntityId"]
    one = api.get("EntityDefinitions(LogicalName='campaign')/Attributes(LogicalName='smsc_text')"
                  "?$select=LogicalName,SchemaName,AttributeType,MaxLength").json()
    assert (one["SchemaName"], one["AttributeType"], one["MaxLength"]) == ("smsc_Text", "Memo", 2000)
    again = api.post("EntityDefinitions(LogicalName='campaign')/Attributes", json=columns[1][1])
    assert again.status_code == 400
    # A lookup: the column, both navigation properties, `_x_value` on read, `@odata.bind` on write.
    relationship = api.post("RelationshipDefinitions", headers=SOLUTION, json={
        "@odata.type": f"{CRM}OneToManyRelationshipMetadata", "SchemaName": "smsc_campaign_smsc_textmessage",
        "ReferencedEntity": "campaign", "ReferencedAttribute": "campaignid", "ReferencingEntity": "smsc_textmessage",
        "CascadeConfiguration": {"Assign": "NoCascade", "Delete": "RemoveLink", "Merge": "NoCascade",
                                 "Reparent": "NoCascade", "Share": "NoCascade", "Unshare": "NoCascade"},
        "Lookup": {"@odata.type": f"{CRM}LookupAttributeMetadata", "SchemaName": "smsc_CampaignId",
                   "DisplayName": label("Campaign", "Campagne")}})
    assert relationship.status_code == 204, relationship.text
    read = api.get("RelationshipDefinitions(SchemaName='smsc_campaign_smsc_textmessage')").json()
    assert (read["ReferencingAttribute"], read["ReferencingEntityNavigationPropertyName"],
            read["ReferencedEntityNavigationPropertyName"]) == (
        "smsc_campaignid", "smsc_CampaignId", "smsc_campaign_smsc_textmessage")
    lookup = api.get("EntityDefinitions(LogicalName='smsc_textmessage')/Attributes(LogicalName='smsc_campaignid')/"
                     f"{CRM}LookupAttributeMetadata?$select=Targets").json()
    assert lookup["Targets"] == ["campaign"]
    # An alternate key on each custom table.
    for logical, column in (("smsc_textmessage", "smsc_idempotencykey"), ("smsc_optout", "smsc_phonenumber")):
        key = api.post(f"EntityDefinitions(LogicalName='{logical}')/Keys", headers=SOLUTION, json={
            "@odata.type": f"{CRM}EntityKeyMetadata", "SchemaName": f"{logical}_key", "DisplayName": label("Key"),
            "KeyAttributes": [column]})
        assert key.status_code == 204, key.text
    same_columns = api.post("EntityDefinitions(LogicalName='smsc_optout')/Keys", json={
        "SchemaName": "smsc_other_key", "KeyAttributes": ["smsc_phonenumber"]})
    assert same_columns.status_code == 400
    keys = api.get("EntityDefinitions(LogicalName='smsc_optout')/Keys").json()["value"]
    assert [(k["KeyAttributes"], k["EntityKeyIndexStatus"]) for k in keys] == [(["smsc_phonenumber"], "Active")]
    # The data API: the new campaign columns, the lookup bind, the keys enforced and addressable.
    campaign = created_id(api.post("campaigns", json={"name": "Spring", "smsc_smstype": 2, "smsc_text": "Hi"}))
    assert api.post("campaigns", json={"name": "Bad", "smsc_smstype": 3}).status_code == 400
    sms = api.post("smsc_textmessages", json={"subject": "s", "smsc_idempotencykey": "idem-1",
                                              "smsc_CampaignId@odata.bind": f"/campaigns({campaign})"})
    assert sms.status_code == 204, sms.text
    row = api.get(f"smsc_textmessages({created_id(sms)})?$select=_smsc_campaignid_value&$expand="
                  "smsc_CampaignId($select=name)").json()
    assert row["_smsc_campaignid_value"] == campaign and row["smsc_CampaignId"]["name"] == "Spring"
    children = api.get(f"campaigns({campaign})/smsc_campaign_smsc_textmessage?$select=subject").json()["value"]
    assert [c["subject"] for c in children] == ["s"]
    duplicate = api.post("smsc_textmessages", json={"subject": "again", "smsc_idempotencykey": "idem-1"})
    assert duplicate.status_code == 412 and duplicate.json()["error"]["code"] == "0x80060892"
    optout = api.post("smsc_optouts", json={"smsc_phonenumber": "+33611111111", "smsc_active": True,
                                            "smsc_when": "2026-01-02T03:04:05Z"})
    assert optout.status_code == 204
    by_key = api.get("smsc_optouts(smsc_phonenumber='+33611111111')?$select=smsc_active")
    assert by_key.status_code == 200 and by_key.json()["smsc_active"] is True
    assert api.post("smsc_optouts", json={"smsc_phonenumber": "+33611111111"}).status_code == 412
    # Deleting the campaign leaves the SMS (RemoveLink), as the relationship said.
    assert api.delete(f"campaigns({campaign})").status_code == 204
    left = api.get(f"smsc_textmessages({created_id(sms)})?$select=_smsc_campaignid_value")
    assert left.status_code == 200 and left.json()["_smsc_campaignid_value"] is None
    kinds = sorted(c["componenttype"] for c in bare.rows("solutioncomponents", f"_solutionid_value eq {solution}"))
    assert kinds == [1, 1, 1, 2, 2, 2, 2, 2, 9, 10, 14, 14]


def test_labels_are_updated_with_put_and_merged(api):
    assert api.post("EntityDefinitions", json=OPTOUT).status_code == 204
    french = {"@odata.type": f"{CRM}EntityMetadata", "SchemaName": "smsc_OptOut",
              "DisplayName": {"LocalizedLabels": [{"Label": "Désinscription", "LanguageCode": 1036}]}}
    put = api.put("EntityDefinitions(LogicalName='smsc_optout')", json=french, headers={"MSCRM.MergeLabels": "true"})
    assert put.status_code == 204, put.text
    labels = definition(api, "smsc_optout", "DisplayName")["DisplayName"]["LocalizedLabels"]
    assert {(x["LanguageCode"], x["Label"]) for x in labels} == {(1033, "smsc_OptOut"), (1036, "Désinscription")}
    replaced = api.put("EntityDefinitions(LogicalName='smsc_optout')", json=french)
    assert replaced.status_code == 204
    labels = definition(api, "smsc_optout", "DisplayName")["DisplayName"]["LocalizedLabels"]
    assert [x["Label"] for x in labels] == ["Désinscription"]
    column = api.put("EntityDefinitions(LogicalName='smsc_optout')/Attributes(LogicalName='smsc_phonenumber')",
                     json={"@odata.type": f"{CRM}StringAttributeMetadata", "SchemaName": "smsc_PhoneNumber",
                           "DisplayName": label("Phone", "Téléphone")}, headers={"MSCRM.MergeLabels": "true"})
    assert column.status_code == 204
    read = api.get("EntityDefinitions(LogicalName='smsc_optout')/Attributes(LogicalName='smsc_phonenumber')"
                   "?$select=DisplayName").json()
    assert read["DisplayName"]["UserLocalizedLabel"]["Label"] == "Phone"


def test_web_resources_endpoints_steps_and_publishing(api, bare, solution):
    script = api.post("webresourceset", headers=SOLUTION, json={
        "name": "smsc_/js/sms_form.js", "displayname": "SMS form", "webresourcetype": 3, "content": "Ly8gaGk="})
    assert script.status_code == 204
    endpoint = api.post("serviceendpoints", headers=SOLUTION, json={
        "name": "SMSC connector", "contract": 8, "authtype": 5, "url": "https://example.org/api/dataverse/events",
        "authvalue": '<settings><setting name="x-smsc-webhook-key" value="secret" /></settings>',
        "messageformat": 2})
    assert endpoint.status_code == 204
    create = api.get("sdkmessages?$select=sdkmessageid&$filter=name eq 'Update'").json()["value"][0]["sdkmessageid"]
    on_campaign = api.get(f"sdkmessagefilters?$select=sdkmessagefilterid&$filter=_sdkmessageid_value eq {create} "
                          "and primaryobjecttypecode eq 'campaign'").json()["value"]
    assert len(on_campaign) == 1
    # The documented form, through the message's name (a lookup path in $filter).
    by_name = api.get("sdkmessagefilters?$select=sdkmessagefilterid&$filter=sdkmessageid/name eq 'Update' "
                      "and primaryobjecttypecode eq 'campaign'").json()["value"]
    assert by_name == on_campaign
    assert api.get("sdkmessagefilters?$filter=nosuch/name eq 'Update'").status_code == 400
    step = api.post("sdkmessageprocessingsteps", headers=SOLUTION, json={
        "name": "SMSC: campaign action", "mode": 1, "rank": 1, "stage": 40, "supporteddeployment": 0,
        "filteringattributes": "smsc_action", "asyncautodelete": False,
        "sdkmessageid@odata.bind": f"/sdkmessages({create})",
        "sdkmessagefilterid@odata.bind": f"/sdkmessagefilters({on_campaign[0]['sdkmessagefilterid']})",
        "eventhandler_serviceendpoint@odata.bind": f"/serviceendpoints({created_id(endpoint)})"})
    assert step.status_code == 204, step.text
    image = api.post("sdkmessageprocessingstepimages", json={
        "name": "PreImage", "entityalias": "PreImage", "imagetype": 0, "messagepropertyname": "Target",
        "attributes": "smsc_action", "sdkmessageprocessingstepid@odata.bind":
            f"/sdkmessageprocessingsteps({created_id(step)})"})
    assert image.status_code == 204
    form = api.post("systemforms", headers=SOLUTION, json={
        "name": "SMS", "objecttypecode": "campaign", "type": 2, "formxml": "<form />", "isdefault": False})
    view = api.post("savedqueries", headers=SOLUTION, json={
        "name": "Active SMS", "returnedtypecode": "campaign", "querytype": 0, "fetchxml": "<fetch />",
        "layoutxml": "<grid />"})
    assert form.status_code == view.status_code == 204
    kinds = sorted(c["componenttype"] for c in bare.rows("solutioncomponents", f"_solutionid_value eq {solution}"))
    assert kinds == [26, 60, 61, 92, 95]
    xml = "<importexportxml><entities><entity>campaign</entity></entities></importexportxml>"
    assert api.post("PublishXml", json={"ParameterXml": xml}).status_code == 204
    assert api.post("PublishAllXml").status_code == 204
    assert api.post("PublishXml", json={}).status_code == 400
    assert bare.published == [xml, "*"]
    added = api.post("AddSolutionComponent", json={"ComponentId": created_id(script), "ComponentType": 61,
                                                   "SolutionUniqueName": "Default", "AddRequiredComponents": False})
    assert added.status_code == 200
    assert [c["_solutionid_value"] for c in bare.rows("solutioncomponents", "componenttype eq 61")] == [
        solution, DEFAULT_SOLUTION_ID]


def test_tables_created_through_the_api_survive_a_restart(tmp_path, make_api):
    path = str(tmp_path / "org.sqlite3")
    first = DataverseEmulator(path, bare=True)
    with EmulatorServer(first) as server:
        api = make_api(server.url + API, TOKEN)
        assert api.post("EntityDefinitions", json=OPTOUT).status_code == 204
        assert api.post("EntityDefinitions(LogicalName='smsc_optout')/Keys", json={
            "@odata.type": f"{CRM}EntityKeyMetadata", "SchemaName": "smsc_phone_key",
            "KeyAttributes": ["smsc_phonenumber"]}).status_code == 204
        assert api.post("smsc_optouts", json={"smsc_phonenumber": "+33600000001"}).status_code == 204
        reason = picklist("smsc_Reason", {1: ("STOP", "STOP")})
        assert api.post("EntityDefinitions(LogicalName='smsc_optout')/Attributes", json=reason).status_code == 204
        assert api.post("InsertOptionValue", json={"EntityLogicalName": "smsc_optout", "AttributeLogicalName":
                                                   "smsc_reason", "Value": 2, "Label": label("Manual")}).ok
        assert api.post("EntityDefinitions", json=TEMPLATE).status_code == 204
        assert api.delete("EntityDefinitions(LogicalName='smsc_smstemplate')").status_code == 204
    messages = len(first.rows("sdkmessages"))
    first.close()
    second = DataverseEmulator(path, bare=True)
    with EmulatorServer(second) as server:
        api = make_api(server.url + API, TOKEN)
        assert api.get("smsc_optouts(smsc_phonenumber='+33600000001')").status_code == 200
        assert api.post("smsc_optouts", json={"smsc_phonenumber": "+33600000001"}).status_code == 412
        assert len(second.rows("sdkmessages")) == messages          # seeding again adds nothing
        assert api.post("smsc_optouts", json={"smsc_phonenumber": "+33600000002", "smsc_reason": 2}).ok
        assert api.get("smsc_smstemplates").status_code == 404
    second.close()


def test_a_seeded_emulator_keeps_its_metadata_changes_to_itself(make_api):
    changed, other = DataverseEmulator(), DataverseEmulator()
    with EmulatorServer(changed) as server:
        api = make_api(server.url + API, TOKEN)
        column = {"@odata.type": f"{CRM}StringAttributeMetadata", "SchemaName": "new_Nickname",
                  "DisplayName": label("Nickname")}
        assert api.post("EntityDefinitions(LogicalName='contact')/Attributes", json=column).status_code == 204
        assert api.post("contacts", json={"lastname": "X", "new_nickname": "x"}).status_code == 204
    assert "new_nickname" in changed.schema["contact"].columns
    assert "new_nickname" not in other.schema["contact"].columns
    with pytest.raises(QueryError, match="new_nickname"):
        other.insert("contacts", {"lastname": "Y", "new_nickname": "y"})


def test_smsc_emulators_bare_serves_a_fresh_organisation_and_prints_the_settings(monkeypatch, capsys, make_api):
    from smsc import cli

    seen: dict[str, object] = {}

    def look_then_stop(seconds):
        settings = dict(line.removeprefix("export ").split("=", 1)
                        for line in capsys.readouterr().out.splitlines() if line.startswith("export "))
        api = make_api(settings["DATAVERSE_URL"] + API, settings["DATAVERSE_ACCESS_TOKEN"])
        seen["tables"] = {r["LogicalName"] for r in api.get("EntityDefinitions?$select=LogicalName").json()["value"]}
        seen["settings"] = settings
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.time, "sleep", look_then_stop)
    assert cli.main(["emulators", "--bare"]) == 0
    assert "contact" in seen["tables"] and not [t for t in seen["tables"] if t.startswith("smsc_")]
    assert {"DATAVERSE_URL", "OCTOPUSH_API_KEY", "SMSC_WEBHOOK_KEY"} <= set(seen["settings"])


# --- a bare organisation customized as DESIGN §4 says serves the same data API as the seeded one -----
TYPES = {"string": "StringAttributeMetadata", "memo": "MemoAttributeMetadata", "int": "IntegerAttributeMetadata",
         "bool": "BooleanAttributeMetadata", "datetime": "DateTimeAttributeMetadata",
         "money": "MoneyAttributeMetadata", "decimal": "DecimalAttributeMetadata",
         "choice": "PicklistAttributeMetadata"}
PLATFORM_COLUMNS = {"createdon", "modifiedon", "versionnumber", "statecode", "statuscode", "subject", "description",
                    "scheduledend", "actualend", "activitytypecode"}


def column_body(table, column: str) -> dict:
    kind = table.columns[column]
    body = {"@odata.type": f"{CRM}{TYPES[kind]}", "SchemaName": column, "DisplayName": label(column)}
    if kind == "choice":
        body["OptionSet"] = {"@odata.type": f"{CRM}OptionSetMetadata", "IsGlobal": False, "OptionSetType": "Picklist",
                             "Options": [{"Value": v, "Label": label(t)} for v, t in table.choices[column].items()]}
    return body


def customize_like_the_seeded_schema(api) -> None:
    """What an installer of DESIGN §4 does, derived from the emulator's seeded tables."""
    from emulators.dataverse_schema import STATIC_TABLES

    custom = {n: t for n, t in STATIC_TABLES.items() if n.startswith("smsc_")}
    for name, table in custom.items():
        activity = table.primary_id == "activityid"
        primary = string_column("subject" if activity else table.primary_name, "Name", primary=True)
        body = entity(name, primary, activity=activity,
                      columns=[column_body(table, c) for c in table.columns
                               if c not in PLATFORM_COLUMNS and c != table.primary_name])
        body["OwnershipType"] = "UserOwned" if "ownerid" in table.lookups else "OrganizationOwned"
        assert api.post("EntityDefinitions", json=body).status_code == 204, name
    for column in [c for c in STATIC_TABLES["campaign"].columns if c.startswith("smsc_")]:
        added = api.post("EntityDefinitions(LogicalName='campaign')/Attributes",
                         json=column_body(STATIC_TABLES["campaign"], column))
        assert added.status_code == 204, column
    for name, table in [*custom.items(), ("campaign", STATIC_TABLES["campaign"])]:
        for attr, lookup in table.lookups.items():
            if not attr.startswith("smsc_"):
                continue
            [(target, nav)] = lookup.targets.items()
            made = api.post("RelationshipDefinitions", json={
                "@odata.type": f"{CRM}OneToManyRelationshipMetadata", "SchemaName": f"{target}_{name}_{attr}",
                "ReferencedEntity": target, "ReferencingEntity": name,
                "Lookup": {"@odata.type": f"{CRM}LookupAttributeMetadata", "SchemaName": nav,
                           "DisplayName": label(attr)}})
            assert made.status_code == 204, made.text
        for column in table.alternate_keys:
            assert api.post(f"EntityDefinitions(LogicalName='{name}')/Keys", json={
                "@odata.type": f"{CRM}EntityKeyMetadata", "SchemaName": f"{name}_{column}",
                "KeyAttributes": [column]}).status_code == 204


def test_a_bare_organisation_customized_like_the_seeded_one_has_the_same_tables(api, bare):
    from emulators import dataverse_seed as seed
    from emulators.dataverse_schema import STATIC_TABLES

    customize_like_the_seeded_schema(api)
    for name in [n for n in STATIC_TABLES if n.startswith("smsc_")] + ["campaign", "activityparty", "annotation"]:
        seeded, created = STATIC_TABLES[name], bare.schema[name]
        assert (created.entity_set, created.primary_id, created.primary_name) == (
            seeded.entity_set, seeded.primary_id, seeded.primary_name), name
        assert {c: k for c, k in seeded.columns.items() if c in created.columns} == \
            {c: k for c, k in created.columns.items() if c in seeded.columns}, name
        assert set(seeded.columns) <= set(created.columns), name
        assert set(seeded.navs) <= set(created.navs), name
        assert {c: seeded.choices[c] for c in seeded.choices if c.startswith("smsc_")} == \
            {c: created.choices[c] for c in created.choices if c.startswith("smsc_")}, name
        assert seeded.alternate_keys == created.alternate_keys and set(seeded.collections) <= set(created.collections)
    # The demo's SMS rows fit the customized organisation as they fit the seeded one.
    for entity_set, body in seed.ROWS:
        if entity_set.startswith("smsc_") or entity_set in ("contacts", "accounts"):
            bare.insert(entity_set, {k: v for k, v in body.items() if k != "parentcustomerid_account@odata.bind"})
    sms = bare.insert("smsc_textmessages", {
        "subject": "SMS", "description": "Bonjour", "smsc_status": 2, "smsc_idempotencykey": "k",
        "smsc_TemplateId@odata.bind": f"/smsc_smstemplates({seed.TEMPLATE_ORDER_ID})",
        "regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({seed.DAVID_SMITH_ID})",
        "smsc_textmessage_activity_parties": [
            {"participationtypemask": 2, "partyid_contact@odata.bind": f"/contacts({seed.DAVID_SMITH_ID})"}]})
    row = bare.get("smsc_textmessages", sms, expand="smsc_textmessage_activity_parties")
    assert row["_smsc_templateid_value"] == seed.TEMPLATE_ORDER_ID and row["activitytypecode"] == "smsc_textmessage"
    assert api.get("smsc_optouts(smsc_phonenumber='+33611111111')?$select=smsc_reason").json()["smsc_reason"] == 1


def test_bad_metadata_bodies_are_refused_as_dataverse_refuses_them(api):
    def post(path: str, body) -> tuple[int, str]:
        answer = api.post(path, json=body)
        return answer.status_code, answer.json()["error"]["code"] if answer.content else ""

    no_primary = entity("smsc_Thing", string_column("smsc_Name", "Name"))
    assert post("EntityDefinitions", no_primary)[0] == 400
    assert post("EntityDefinitions", SMS | {"Attributes": [string_column("smsc_Name", "Name", primary=True)]})[0] == 400
    assert post("EntityDefinitions", OPTOUT | {"SchemaName": "nopefix"})[0] == 400
    implied = {k: v for k, v in OPTOUT.items() if k != "@odata.type"}           # the collection's own type
    assert post("EntityDefinitions", implied)[0] == 204
    assert post("EntityDefinitions", implied) == (400, "0x80040237")
    assert post("EntityDefinitions", {k: v for k, v in OPTOUT.items() if k != "HasNotes"})[0] == 400
    bad_label = OPTOUT | {"SchemaName": "smsc_Other", "DisplayName": "Other"}
    assert post("EntityDefinitions", bad_label)[0] == 400
    unlabelled = {k: v for k, v in string_column("smsc_Note", "Note").items() if k != "DisplayName"}
    assert post("EntityDefinitions(LogicalName='smsc_optout')/Attributes", unlabelled)[0] == 400
    assert api.put("EntityDefinitions(LogicalName='smsc_optout')/Attributes(LogicalName='nosuch')",
                   json=string_column("nosuch", "x")).status_code == 404
    unknown_type = {"@odata.type": f"{CRM}FileAttributeMetadata", "SchemaName": "smsc_File"}
    assert post("EntityDefinitions(LogicalName='smsc_optout')/Attributes", unknown_type)[0] == 400
    lookup = {"@odata.type": f"{CRM}LookupAttributeMetadata", "SchemaName": "smsc_ContactId"}
    assert post("EntityDefinitions(LogicalName='smsc_optout')/Attributes", lookup)[0] == 400
    assert post("EntityDefinitions(LogicalName='nosuch')/Attributes", string_column("smsc_X", "X")) == (
        404, "0x80041102")
    unnumbered = picklist("smsc_Reason", {}) | {"OptionSet": {"Options": [{"Label": label("STOP")}]}}
    assert post("EntityDefinitions(LogicalName='smsc_optout')/Attributes", unnumbered)[0] == 204
    read = api.get("EntityDefinitions(LogicalName='smsc_optout')/Attributes(LogicalName='smsc_reason')/"
                   f"{CRM}PicklistAttributeMetadata?$expand=OptionSet").json()
    assert [o["Value"] for o in read["OptionSet"]["Options"]] == [100_000_000]
    assert api.post("smsc_optouts", json={"smsc_phonenumber": "+1", "smsc_reason": 100_000_000}).status_code == 204
    key = {"SchemaName": "smsc_k", "KeyAttributes": ["smsc_nosuch"]}
    assert post("EntityDefinitions(LogicalName='smsc_optout')/Keys", key)[0] == 400
    assert post("RelationshipDefinitions", {"@odata.type": f"{CRM}ManyToManyRelationshipMetadata"})[0] == 400
    assert api.delete("EntityDefinitions(LogicalName='contact')").status_code == 400    # a system table
    assert api.get("EntityDefinitions(LogicalName='smsc_optout')/Attributes(LogicalName='nosuch')").status_code == 404
    assert api.get("RelationshipDefinitions(SchemaName='nosuch')").status_code == 404
    assert api.get("GlobalOptionSetDefinitions(Name='nosuch')").status_code == 404


def test_options_are_added_to_and_relabelled_in_existing_choices(api, bare):
    assert api.post("EntityDefinitions", json=SMS).status_code == 204
    assert api.post("smsc_textmessages", json={"subject": "s", "smsc_status": 3}).status_code == 400
    inserted = api.post("InsertOptionValue", json={
        "EntityLogicalName": "smsc_textmessage", "AttributeLogicalName": "smsc_status", "Value": 3,
        "Label": label("Sending", "Envoi en cours")})
    assert inserted.status_code == 200 and inserted.json()["NewOptionValue"] == 3
    assert api.post("smsc_textmessages", json={"subject": "s", "smsc_status": 3}).status_code == 204
    assert api.post("InsertOptionValue", json={"EntityLogicalName": "smsc_textmessage", "AttributeLogicalName":
                                               "smsc_status", "Value": 3, "Label": label("Again")}).status_code == 400
    relabelled = api.post("UpdateOptionValue", json={
        "EntityLogicalName": "smsc_textmessage", "AttributeLogicalName": "smsc_status", "Value": 1,
        "Label": {"LocalizedLabels": [{"Label": "Brouillon (modifiable)", "LanguageCode": 1036}]}, "MergeLabels": True})
    assert relabelled.status_code == 204
    options = api.get("EntityDefinitions(LogicalName='smsc_textmessage')/Attributes(LogicalName='smsc_status')/"
                      f"{CRM}PicklistAttributeMetadata?$expand=OptionSet($select=Options)").json()["OptionSet"]["Options"]
    assert [(o["Value"], sorted(x["Label"] for x in o["Label"]["LocalizedLabels"])) for o in options] == [
        (1, ["Brouillon (modifiable)", "Draft"]), (2, ["Envoi demandé", "Send requested"]),
        (3, ["Envoi en cours", "Sending"])]
    # A global choice: its columns take the new value too.
    assert api.post("GlobalOptionSetDefinitions", json={
        "@odata.type": f"{CRM}OptionSetMetadata", "Name": "smsc_smstype", "DisplayName": label("SMS type"),
        "Options": [{"Value": 1, "Label": label("Marketing")}]}).status_code == 204
    assert api.post("EntityDefinitions(LogicalName='campaign')/Attributes", json={
        "@odata.type": f"{CRM}PicklistAttributeMetadata", "SchemaName": "smsc_SmsType", "DisplayName": label("Type"),
        "GlobalOptionSet@odata.bind": "/GlobalOptionSetDefinitions(Name='smsc_smstype')"}).status_code == 204
    new = api.post("InsertOptionValue", json={"OptionSetName": "smsc_smstype", "Label": label("Other")})
    assert new.json()["NewOptionValue"] == 100_000_000
    assert api.post("campaigns", json={"name": "c", "smsc_smstype": 100_000_000}).status_code == 204
    assert [o["Value"] for o in api.get("GlobalOptionSetDefinitions(Name='smsc_smstype')").json()["Options"]] == [
        1, 100_000_000]
    assert api.delete("GlobalOptionSetDefinitions(Name='smsc_smstype')").status_code == 400      # in use
    assert api.delete("EntityDefinitions(LogicalName='campaign')/Attributes(LogicalName='smsc_smstype')"
                      ).status_code == 204
    assert api.delete("GlobalOptionSetDefinitions(Name='smsc_smstype')").status_code == 204
    assert api.get("GlobalOptionSetDefinitions").json()["value"] == []


def test_custom_tables_columns_keys_relationships_and_choices_are_deleted(api, bare, solution):
    for body in (SMS, OPTOUT):
        assert api.post("EntityDefinitions", json=body, headers=SOLUTION).status_code == 204
    key = api.post("EntityDefinitions(LogicalName='smsc_optout')/Keys", json={
        "SchemaName": "smsc_phone_key", "KeyAttributes": ["smsc_phonenumber"]})
    relationship = api.post("RelationshipDefinitions", json={
        "@odata.type": f"{CRM}OneToManyRelationshipMetadata", "SchemaName": "smsc_optout_smsc_textmessage",
        "ReferencedEntity": "smsc_optout", "ReferencingEntity": "smsc_textmessage",
        "Lookup": {"@odata.type": f"{CRM}LookupAttributeMetadata", "SchemaName": "smsc_OptOutId",
                   "DisplayName": label("Opt-out")}})
    assert key.status_code == relationship.status_code == 204
    optout = created_id(api.post("smsc_optouts", json={"smsc_phonenumber": "+33600000001"}))
    assert api.post("smsc_textmessages", json={"subject": "s", "smsc_OptOutId@odata.bind":
                                               f"/smsc_optouts({optout})"}).status_code == 204
    # A key: no longer enforced, no longer an address.
    assert api.delete(f"EntityDefinitions(LogicalName='smsc_optout')/Keys({created_id(key)})").status_code == 204
    assert api.post("smsc_optouts", json={"smsc_phonenumber": "+33600000001"}).status_code == 204
    assert api.get("smsc_optouts(smsc_phonenumber='+33600000001')").status_code == 400
    # A column, addressed by its MetadataId as Microsoft's client does.
    segments = api.get("EntityDefinitions(LogicalName='smsc_textmessage')/Attributes(LogicalName='smsc_segments')"
                       "?$select=MetadataId").json()["MetadataId"]
    assert api.delete(f"EntityDefinitions(LogicalName='smsc_textmessage')/Attributes({segments})").status_code == 204
    assert api.post("smsc_textmessages", json={"subject": "s", "smsc_segments": 1}).status_code == 400
    assert api.delete("EntityDefinitions(LogicalName='smsc_textmessage')/Attributes(LogicalName='subject')"
                      ).status_code == 400
    # The relationship, then the table: its rows, its lookups elsewhere and its solution component go.
    assert api.delete("RelationshipDefinitions(SchemaName='smsc_optout_smsc_textmessage')").status_code == 204
    assert "smsc_optoutid" not in bare.schema["smsc_textmessage"].lookups
    assert api.delete("EntityDefinitions(LogicalName='smsc_textmessage')").status_code == 204
    assert api.get("smsc_textmessages").status_code == 404
    assert "smsc_textmessage" not in bare.schema["activityparty"].lookups["activityid"].targets
    assert api.get("EntityDefinitions?$filter=LogicalName eq 'smsc_textmessage'").json()["value"] == []
    assert [c["componenttype"] for c in bare.rows("solutioncomponents", f"_solutionid_value eq {solution}")] == [1]
    assert api.post("EntityDefinitions", json=SMS).status_code == 204           # the name is free again
    assert api.get("smsc_textmessages").json()["value"] == []

"""The Dataverse adapters of the workflow repositories against a loopback Web API (pytest-httpserver):
table definitions from metadata (connector.crm.metadata), workflow rows, records. Pins the requests."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from connector.crm.auth import StaticTokenCredential
from connector.crm.dataverse import DataverseClient
from connector.crm.metadata import CACHE_SECONDS, DataverseTableDefinitions, forget_table_definitions
from connector.crm.port import CrmError
from connector.crm.records import DataverseRecords
from connector.crm.webhook import EntityRef
from connector.crm.workflows import DataverseWorkflows
from connector.repositories.metadata import ColumnInfo
from connector.repositories.records import AllOf, AnyOf, AtOrBefore, Equals, HasData, MissingColumn
from connector.repositories.workflows import StoredWorkflow

API = "/api/data/v9.2"
BOOKING = f"{API}/EntityDefinitions(LogicalName='new_booking')"
ANNOTATIONS = 'odata.include-annotations="*"'
LOOKUP = "@Microsoft.Dynamics.CRM.lookuplogicalname"
FORMATTED = "@OData.Community.Display.V1.FormattedValue"
WORKFLOW_ID, ORDER_ID, CONTACT_ID = ("0a7b3c9d-1111-4222-8333-94445555666%d" % i for i in (1, 2, 3))


def _attribute(name: str, kind: str, of: str | None = None, cast: str = "StringAttributeMetadata") -> dict:
    return {"@odata.type": f"#Microsoft.Dynamics.CRM.{cast}", "MetadataId": f"m-{name}", "LogicalName": name,
            "AttributeType": kind, "AttributeOf": of}


BOOKING_ATTRIBUTES = [
    _attribute("new_bookingid", "Uniqueidentifier"), _attribute("new_name", "String"),
    _attribute("new_seats", "Integer"), _attribute("new_when", "DateTime"), _attribute("new_paid", "Boolean"),
    _attribute("new_price", "Money"), _attribute("new_kind", "Picklist"), _attribute("statecode", "State"),
    _attribute("statuscode", "Status"), _attribute("new_contactid", "Lookup"),
    _attribute("new_contactidname", "String", of="new_contactid"), _attribute("ownerid", "Owner"),
    _attribute("owneridtype", "EntityName", of="ownerid"), _attribute("new_tags", "Virtual"),
]


@pytest.fixture
def crm(server):
    forget_table_definitions()
    yield DataverseClient(server.url_for("/"), StaticTokenCredential("token"), timeout=5)
    forget_table_definitions()


def expect_booking_metadata(server) -> None:
    server.expect_ordered_request(
        BOOKING, method="GET", headers={"Prefer": ANNOTATIONS},
        query_string={"$select": "LogicalName", "$expand": "Attributes($select=LogicalName,AttributeType,AttributeOf)"},
    ).respond_with_json({"LogicalName": "new_booking", "MetadataId": "m", "Attributes": BOOKING_ATTRIBUTES})
    server.expect_ordered_request(
        f"{BOOKING}/Attributes/Microsoft.Dynamics.CRM.LookupAttributeMetadata", method="GET",
        query_string={"$select": "LogicalName,Targets"},
    ).respond_with_json({"value": [{"LogicalName": "new_contactid", "Targets": ["contact"], "MetadataId": "a"},
                                   {"LogicalName": "ownerid", "Targets": ["systemuser", "team"], "MetadataId": "b"}]})
    server.expect_ordered_request(
        f"{BOOKING}/Attributes/Microsoft.Dynamics.CRM.StateAttributeMetadata", method="GET",
        query_string={"$select": "LogicalName", "$expand": "OptionSet($select=Options)"},
    ).respond_with_json({"value": [{"LogicalName": "statecode", "MetadataId": "c", "OptionSet": {
        "MetadataId": "d", "Options": [{"Value": 0, "Label": {}}, {"Value": 1, "Label": {}}]}}]})


def test_a_custom_tables_columns_come_from_three_metadata_requests(server, crm):
    expect_booking_metadata(server)
    columns = DataverseTableDefinitions(crm).columns("new_booking")
    assert columns == {
        "new_bookingid": ColumnInfo("guid"), "new_name": ColumnInfo("string"), "new_seats": ColumnInfo("int"),
        "new_when": ColumnInfo("datetime"), "new_paid": ColumnInfo("bool"), "new_price": ColumnInfo("money"),
        "new_kind": ColumnInfo("choice"), "statecode": ColumnInfo("choice", options=frozenset({0, 1})),
        "statuscode": ColumnInfo("choice"), "new_contactid": ColumnInfo("lookup", ("contact",)),
        "ownerid": ColumnInfo("lookup", ("systemuser", "team")),
    }                                  # companions (AttributeOf) and Virtual / EntityName columns left out


def test_definitions_are_kept_a_few_minutes_per_organisation(server, crm):
    now = [1000.0]
    definitions = DataverseTableDefinitions(crm, clock=lambda: now[0])
    expect_booking_metadata(server)
    first = definitions.columns("new_booking")
    now[0] += CACHE_SECONDS - 1
    assert DataverseTableDefinitions(crm, clock=lambda: now[0]).columns("new_booking") == first
    assert len(server.log) == 3
    now[0] += 2
    expect_booking_metadata(server)
    assert definitions.columns("new_booking") == first and len(server.log) == 6


def test_an_unknown_table_is_none_and_a_name_no_table_can_have_is_not_asked(server, crm):
    server.expect_ordered_request(f"{API}/EntityDefinitions(LogicalName='new_nosuch')", method="GET").respond_with_json(
        {"error": {"code": "0x80041102", "message": "The entity with a name = 'new_nosuch' with namemapping = "
                                                    "'Logical' was not found in the MetadataCache."}}, status=404)
    assert DataverseTableDefinitions(crm).columns("new_nosuch") is None
    assert DataverseTableDefinitions(crm).columns("x') or (1 eq 1") is None
    assert len(server.log) == 1


def test_a_table_without_lookups_or_states_needs_one_request(server, crm):
    server.expect_ordered_request(f"{API}/EntityDefinitions(LogicalName='new_note')", method="GET").respond_with_json(
        {"LogicalName": "new_note", "Attributes": [_attribute("new_text", "Memo")]})
    assert DataverseTableDefinitions(crm).columns("new_note") == {"new_text": ColumnInfo("memo")}


def test_an_unavailable_crm_is_an_error_not_an_unknown_table(server, crm):
    server.expect_request(f"{API}/EntityDefinitions(LogicalName='contact')").respond_with_json(
        {"error": {"code": "0x80040216", "message": "boom"}}, status=400)
    with pytest.raises(CrmError):
        DataverseTableDefinitions(crm).columns("contact")


def test_active_workflows_of_a_table_and_what_one_sent_lately(server, crm):
    server.expect_ordered_request(f"{API}/smsc_workflows", method="GET", query_string={
        "$select": "smsc_name,smsc_definition,smsc_entity,modifiedon", "$orderby": "smsc_name asc",
        "$filter": "smsc_active eq true and smsc_entity eq 'o''brien'"}).respond_with_json({"value": [
            {"smsc_workflowid": WORKFLOW_ID, "smsc_name": None, "smsc_definition": "name: x",
             "smsc_entity": "o'brien", "modifiedon": "2026-01-02T03:04:05Z"}]})
    server.expect_ordered_request(f"{API}/smsc_textmessages", method="GET", query_string={
        "$select": "_regardingobjectid_value",
        "$filter": f"_smsc_workflowid_value eq {WORKFLOW_ID} and createdon ge 2026-03-01T09:30:00Z"
                   " and smsc_status ne 8"}
    ).respond_with_json({"value": [{"_regardingobjectid_value": ORDER_ID}, {"_regardingobjectid_value": None}]})
    workflows = DataverseWorkflows(crm)
    assert workflows.active("o'brien") == [
        StoredWorkflow(WORKFLOW_ID, WORKFLOW_ID, "name: x", "o'brien", "2026-01-02T03:04:05Z")]
    assert workflows.records_sent_since(WORKFLOW_ID, datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)) == {ORDER_ID}


def test_a_record_is_read_with_lookups_by_their_web_api_names_then_whole_when_refused(server, crm):
    row = {"salesorderid": ORDER_ID, "ordernumber": "ORD-1", "_customerid_value": CONTACT_ID,
           f"_customerid_value{LOOKUP}": "contact", f"_customerid_value{FORMATTED}": "Léa", "@odata.etag": 'W/"1"'}
    server.expect_ordered_request(f"{API}/salesorders({ORDER_ID})", method="GET", query_string={
        "$select": "_customerid_value,new_tracking,ordernumber"}).respond_with_json(
        {"error": {"code": "0x80060888", "message": "Could not find a property named 'new_tracking'"}}, status=400)
    server.expect_ordered_request(f"{API}/salesorders({ORDER_ID})", method="GET",
                                  query_string="").respond_with_json(row)
    values = DataverseRecords(crm).read("salesorder", ORDER_ID, {"ordernumber", "customerid", "new_tracking"},
                                        {"customerid"})
    assert values == {"salesorderid": ORDER_ID, "ordernumber": "ORD-1",
                      "customerid": EntityRef("contact", CONTACT_ID, "Léa")}


def test_a_query_sends_the_coarse_filter_and_pages(server, crm):
    where = AllOf((AtOrBefore("createdon", datetime(2025, 12, 1, 9, 30, tzinfo=timezone.utc)),
                   AnyOf((HasData("parentcustomerid"), Equals("donotphone", False))), HasData("mobilephone", False)))
    server.expect_ordered_request(f"{API}/contacts", method="GET", headers={
        "Prefer": f"{ANNOTATIONS},odata.maxpagesize=50"}, query_string={
        "$select": "_parentcustomerid_value,createdon,mobilephone",
        "$filter": "createdon le 2025-12-01T09:30:00Z and (_parentcustomerid_value ne null or donotphone eq false)"
                   " and mobilephone eq null"}).respond_with_json({"value": [{"contactid": CONTACT_ID,
                                                                             "mobilephone": None}]})
    found = list(DataverseRecords(crm).query("contact", ["createdon", "mobilephone", "parentcustomerid"],
                                             {"parentcustomerid"}, where, page_size=50))
    assert [(f.id, f.values) for f in found] == [(CONTACT_ID, {"contactid": CONTACT_ID, "mobilephone": None})]


def test_an_exact_read_refused_raises_without_reading_the_whole_row(server, crm):
    server.expect_ordered_request(f"{API}/accounts({CONTACT_ID})", method="GET", query_string={
        "$select": "_telephone1_value"}).respond_with_json(
        {"error": {"code": "0x80060888", "message": "Could not find a property named '_telephone1_value'"}},
        status=400)
    with pytest.raises(MissingColumn) as refused:
        DataverseRecords(crm).read("account", CONTACT_ID, ["telephone1"], ["telephone1"], exact=True)
    assert (refused.value.table, refused.value.columns) == ("account", ("telephone1",)) and len(server.log) == 1


def test_a_read_with_labels_shows_choices_as_a_template_does(server, crm):
    server.expect_ordered_request(f"{API}/accounts({CONTACT_ID})", method="GET", headers={"Prefer": ANNOTATIONS},
                                  query_string={"$select": "name,statecode"}).respond_with_json(
        {"@odata.etag": 'W/"3"', "accountid": CONTACT_ID, "name": "Contoso SA", "statecode": 0,
         f"statecode{FORMATTED}": "Active"})
    values = DataverseRecords(crm).read("account", CONTACT_ID, ["statecode", "name"], exact=True, labels=True)
    assert values == {"accountid": CONTACT_ID, "name": "Contoso SA", "statecode": "Active"}

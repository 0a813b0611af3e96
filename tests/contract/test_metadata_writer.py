"""The metadata adapter on the Dataverse client: the exact headers of its reads and writes."""
from __future__ import annotations

import pytest
from werkzeug.wrappers import Response

from connector.crm.auth import StaticTokenCredential
from connector.crm.dataverse import DataverseClient
from connector.crm.metadata_writer import DataverseMetadataWriter, metadata_writer
from connector.crm.port import CrmError
from connector.errors import ConfigurationError

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token"
API = "/api/data/v9.2"
BASE = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json", "OData-MaxVersion": "4.0",
        "OData-Version": "4.0"}
JSON = {"Content-Type": "application/json; charset=utf-8"}
ENTITY_ID = "417129e1-207c-e511-80d2-00155d2a68d2"


@pytest.fixture
def writer(server):
    return DataverseMetadataWriter(DataverseClient(server.url_for("/"), StaticTokenCredential(TOKEN), timeout=5))


def test_create_sends_the_solution_header_and_returns_the_new_id(server, writer):
    server.expect_ordered_request(
        f"{API}/EntityDefinitions", method="POST", json={"SchemaName": "smsc_Quota"},
        headers={**BASE, **JSON, "MSCRM.SolutionUniqueName": "SmsConnector"},
    ).respond_with_response(Response(status=204, headers={
        "OData-EntityId": f"http://org{API}/EntityDefinitions({ENTITY_ID})"}))
    assert writer.create("EntityDefinitions", {"SchemaName": "smsc_Quota"}, solution="SmsConnector") == ENTITY_ID


def test_an_action_without_entity_id_answers_none_and_no_solution_header_when_none_is_given(server, writer):
    server.expect_ordered_request(f"{API}/PublishXml", method="POST", headers={**BASE, **JSON}
                                  ).respond_with_response(Response(status=204))
    assert writer.create("PublishXml", {"ParameterXml": "<importexportxml />"}) is None
    [(request, _)] = server.log
    assert "MSCRM.SolutionUniqueName" not in request.headers


def test_update_is_a_patch_that_never_upserts(server, writer):
    server.expect_ordered_request(
        f"{API}/webresourceset({ENTITY_ID})", method="PATCH", json={"content": "eA=="},
        headers={**BASE, **JSON, "If-Match": "*", "MSCRM.SolutionUniqueName": "SmsConnector"},
    ).respond_with_response(Response(status=204))
    writer.update(f"webresourceset({ENTITY_ID})", {"content": "eA=="}, solution="SmsConnector")


def test_read_answers_none_on_404_and_raises_other_refusals(server, writer):
    server.expect_ordered_request(
        f"{API}/EntityDefinitions(LogicalName='smsc_quota')", method="GET", query_string={"$select": "LogicalName"},
        headers=BASE,
    ).respond_with_json({"error": {"code": "0x80041102", "message": "not found in the MetadataCache"}}, status=404)
    server.expect_ordered_request(f"{API}/GlobalOptionSetDefinitions(Name='smsc_smstype')", method="GET"
                                  ).respond_with_json({"error": {"code": "0x80040220", "message": "no privilege"}},
                                                      status=403)
    assert writer.read("EntityDefinitions(LogicalName='smsc_quota')", {"$select": "LogicalName"}) is None
    with pytest.raises(CrmError, match="403 0x80040220: no privilege"):
        writer.read("GlobalOptionSetDefinitions(Name='smsc_smstype')")


def test_only_the_web_api_client_can_write_metadata():
    with pytest.raises(ConfigurationError, match="Web API client"):
        metadata_writer(object())

"""DataverseClient against a loopback Web API (pytest-httpserver): the exact requests it sends and
how it reads Dataverse's answers, errors and throttling included."""
from __future__ import annotations

import base64
import json
import re

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Response

from connector.crm.auth import StaticTokenCredential
from connector.crm.dataverse import DataverseClient, odata_literal
from connector.crm.port import ConcurrencyConflict, CrmError, DuplicateRecord, RecordNotFound, Throttled
from connector.http import build_session

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token"
API = "/api/data/v9.2"
CONTACT_ID = "49b0be2e-d01c-ed11-b83e-000d3a572421"
CAMPAIGN_ID = "70bf4d48-34cb-ed11-b596-0022481d68cd"
OBJECT_ID = "0a7b3c9d-1111-4222-8333-944455556666"
READ_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json",
                "OData-MaxVersion": "4.0", "OData-Version": "4.0",
                "Prefer": 'odata.include-annotations="*"'}
WRITE_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json",
                 "OData-MaxVersion": "4.0", "OData-Version": "4.0",
                 "Content-Type": "application/json; charset=utf-8"}
GUID = r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}"
VERSION_MISMATCH = "The version of the existing record doesn't match the RowVersion property provided."


@pytest.fixture
def server(httpserver_ipv4):
    yield httpserver_ipv4
    httpserver_ipv4.check_assertions()          # no unexpected or out-of-order request


@pytest.fixture
def client(server):
    return DataverseClient(server.url_for("/"), StaticTokenCredential(TOKEN), timeout=5)


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def test_retrieve_sends_select_expand_and_annotation_preference(server, client):
    server.expect_request(
        f"{API}/contacts({CONTACT_ID})", method="GET",
        query_string={"$select": "fullname,mobilephone", "$expand": "parentcustomerid_account($select=name)"},
        headers=READ_HEADERS,
    ).respond_with_json({"@odata.etag": 'W/"72201545"', "contactid": CONTACT_ID, "fullname": "Yvonne McKay",
                         "mobilephone": "+33612345678"})

    row = client.retrieve("contacts", CONTACT_ID, select=["fullname", "mobilephone"],
                          expand="parentcustomerid_account($select=name)")

    assert row["fullname"] == "Yvonne McKay" and row["@odata.etag"] == 'W/"72201545"'
    [(request, _)] = server.log
    assert "CallerObjectId" not in request.headers and "Content-Type" not in request.headers


def test_retrieve_multiple_follows_next_links_verbatim_with_the_page_size_preference(server, client):
    prefer = {**READ_HEADERS, "Prefer": 'odata.include-annotations="*",odata.maxpagesize=2'}
    skiptokens = ["%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%22%20/%3E",
                  "%3Ccookie%20pagenumber=%223%22%20pagingcookie=%22%253ccookie%2520page%253d%25222%2522%253e%22%20/%3E"]
    first_query = "$select=fullname&$filter=mobilephone%20ne%20null&$orderby=fullname%20asc"
    links = [server.url_for(f"{API}/contacts") + f"?{first_query}&$skiptoken={token}" for token in skiptokens]
    pages = [({"value": [{"fullname": "A"}, {"fullname": "B"}], "@odata.nextLink": links[0]}, first_query),
             ({"value": [{"fullname": "C"}, {"fullname": "D"}], "@odata.nextLink": links[1]},
              f"{first_query}&$skiptoken={skiptokens[0]}"),
             ({"value": [{"fullname": "E"}]}, f"{first_query}&$skiptoken={skiptokens[1]}")]
    for body, raw_query in pages:
        server.expect_ordered_request(f"{API}/contacts", method="GET", query_string=raw_query,
                                      headers=prefer).respond_with_json(body)

    rows = client.retrieve_multiple("contacts", select=["fullname"], filter="mobilephone ne null",
                                    orderby="fullname asc", page_size=2)

    assert [row["fullname"] for row in rows] == ["A", "B", "C", "D", "E"]
    assert len(server.log) == 3


def test_retrieve_multiple_with_top_asks_no_paging(server, client):
    server.expect_request(f"{API}/smsc_smstemplates", query_string={"$top": "1"},
                          headers=READ_HEADERS).respond_with_json({"value": [{"smsc_name": "Welcome"}]})
    assert list(client.retrieve_multiple("smsc_smstemplates", top=1)) == [{"smsc_name": "Welcome"}]


def test_filter_literals_survive_the_url(server, client):
    """A `+` must not turn into a space, a quote must stay doubled."""
    wanted = "mobilephone eq '+33612345678' and lastname eq 'O''Brien'"
    server.expect_request(f"{API}/contacts", query_string={"$filter": wanted}).respond_with_json({"value": []})

    phone, name = odata_literal("+33612345678"), odata_literal("O'Brien")
    assert name == "'O''Brien'"
    assert list(client.retrieve_multiple("contacts", filter=f"mobilephone eq {phone} and lastname eq {name}")) == []


def test_create_returns_the_id_from_odata_entity_id(server, client):
    body = {"subject": "Order shipped", "smsc_phonenumber": "+33612345678",
            "regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({CONTACT_ID})"}
    new_id = "8f2b1c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    server.expect_request(f"{API}/smsc_textmessages", method="POST", headers=WRITE_HEADERS, json=body) \
        .respond_with_response(Response(status=204, headers={
            "OData-EntityId": server.url_for(f"{API}/smsc_textmessages({new_id})")}))

    assert client.create("smsc_textmessages", body) == new_id


def test_update_with_an_etag_maps_412_to_concurrency_conflict(server, client):
    server.expect_request(
        f"{API}/smsc_textmessages({CONTACT_ID})", method="PATCH",
        headers={**WRITE_HEADERS, "If-Match": 'W/"5948260"'}, json={"smsc_status": 3},
    ).respond_with_json(_error("0x80060882", VERSION_MISMATCH), status=412)

    with pytest.raises(ConcurrencyConflict) as caught:
        client.update("smsc_textmessages", CONTACT_ID, {"smsc_status": 3}, etag='W/"5948260"')

    assert caught.value.status == 412
    assert caught.value.code == "0x80060882" and caught.value.message == VERSION_MISMATCH


def test_update_defaults_to_if_match_star_and_maps_404_to_record_not_found(server, client):
    message = f"smsc_textmessage With Id = {CONTACT_ID} Does Not Exist"
    server.expect_request(f"{API}/smsc_textmessages({CONTACT_ID})", method="PATCH",
                          headers={"If-Match": "*"}).respond_with_json(_error("0x80040217", message), status=404)

    with pytest.raises(RecordNotFound) as caught:
        client.update("smsc_textmessages", CONTACT_ID, {"smsc_status": 5})
    assert caught.value.message == message


def test_retrieve_404_is_record_not_found_with_dataverse_code(server, client):
    message = f"contact With Id = {CONTACT_ID} Does Not Exist"
    server.expect_request(f"{API}/contacts({CONTACT_ID})").respond_with_json(
        _error("0x80040217", message), status=404)

    with pytest.raises(RecordNotFound) as caught:
        client.retrieve("contacts", CONTACT_ID)
    assert (caught.value.status, caught.value.code, caught.value.message) == (404, "0x80040217", message)


@pytest.mark.parametrize("status, code, message", [
    (412, "", "A record with matching key values already exists."),
    (412, "0x80060892", "A record that has the attribute values smsc_idempotencykey already exists."),
    (400, "0x80040237", "Cannot insert duplicate key."),
])
def test_duplicate_keys_are_duplicate_record(server, client, status, code, message):
    server.expect_request(f"{API}/smsc_optouts", method="POST").respond_with_json(
        _error(code, message), status=status)
    with pytest.raises(DuplicateRecord):
        client.create("smsc_optouts", {"smsc_phonenumber": "+33612345678"})


def test_429_with_retry_after_is_waited_for_then_succeeds(server, client, retry_waits):
    url = f"{API}/contacts({CONTACT_ID})"
    server.expect_ordered_request(url).respond_with_json(
        _error("0x80072322", "Number of requests exceeded the limit of 6000 over time window of 300 seconds."),
        status=429, headers={"Retry-After": "1"})
    server.expect_ordered_request(url).respond_with_json({"contactid": CONTACT_ID})

    assert client.retrieve("contacts", CONTACT_ID) == {"contactid": CONTACT_ID}

    assert retry_waits == [1.0]                    # Retry-After honoured, once
    assert len(server.log) == 2


def test_429_forever_is_throttled_after_bounded_attempts(server):
    client = DataverseClient(server.url_for("/"), StaticTokenCredential(TOKEN),
                             session=build_session(retries=2, backoff=0))
    server.expect_request(f"{API}/contacts").respond_with_json(
        _error("0x80072321", "Combined execution time of incoming requests exceeded limit."),
        status=429, headers={"Retry-After": "0"})

    with pytest.raises(Throttled) as caught:
        list(client.retrieve_multiple("contacts"))

    assert caught.value.status == 429 and caught.value.code == "0x80072321"
    assert len(server.log) == 3                  # the first try and two retries


def test_throttled_create_is_retried_because_a_429_was_not_run(server, client):
    """A 429 means Dataverse did not run the request, so even a POST is safe to send again."""
    new_id = "1a2b3c4d-0000-4000-8000-000000000001"
    server.expect_ordered_request(f"{API}/contacts", method="POST").respond_with_json(
        _error("0x80072322", "Number of requests exceeded the limit."), status=429, headers={"Retry-After": "0"})
    server.expect_ordered_request(f"{API}/contacts", method="POST").respond_with_response(
        Response(status=204, headers={"OData-EntityId": server.url_for(f"{API}/contacts({new_id})")}))
    assert client.create("contacts", {"lastname": "Doe"}) == new_id
    assert len(server.log) == 2


def test_note_carries_the_file_as_base64_and_binds_the_regarding_row(server, client):
    content = "STATUT;DETAIL;NUMERO;SMS\r\nSUCCES;;+33612345678;Bonjour é €\r\n".encode("utf-8") + bytes(range(256))
    note_id = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
    server.expect_request(f"{API}/annotations", method="POST", headers=WRITE_HEADERS).respond_with_response(
        Response(status=204, headers={"OData-EntityId": server.url_for(f"{API}/annotations({note_id})")}))

    assert client.create_note("campaign", CAMPAIGN_ID, subject="Simulation", text="3 recipients.",
                              filename="resume.csv", mimetype="text/csv", content=content) == note_id

    [(request, _)] = server.log
    body = json.loads(request.get_data())
    assert base64.b64decode(body.pop("documentbody"), validate=True) == content
    assert re.fullmatch(GUID, body.pop("annotationid"))       # chosen by the client: a repeat is a duplicate
    assert body == {"subject": "Simulation", "notetext": "3 recipients.", "filename": "resume.csv",
                    "mimetype": "text/csv", "objectid_campaign@odata.bind": f"/campaigns({CAMPAIGN_ID})"}


def test_impersonation_sends_caller_object_id_only_on_the_impersonating_client(server, client):
    url = f"{API}/smsc_textmessages({CONTACT_ID})"
    server.expect_ordered_request(url, method="PATCH", headers={"CallerObjectId": OBJECT_ID, "If-Match": "*"},
                                  json={"smsc_status": 3}).respond_with_response(Response(status=204))
    server.expect_ordered_request(url, method="DELETE").respond_with_response(Response(status=204))

    client.impersonate(OBJECT_ID).update("smsc_textmessages", CONTACT_ID, {"smsc_status": 3})
    client.delete("smsc_textmessages", CONTACT_ID)

    assert "CallerObjectId" not in server.log[1][0].headers


def test_caller_object_id_reads_the_entra_id_once(server, client):
    user_id = "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f"
    server.expect_oneshot_request(f"{API}/systemusers({user_id})", method="GET",
                                  query_string={"$select": "azureactivedirectoryobjectid"}) \
        .respond_with_json({"systemuserid": user_id, "azureactivedirectoryobjectid": OBJECT_ID})

    assert client.caller_object_id(user_id) == OBJECT_ID
    assert client.impersonate(OBJECT_ID).caller_object_id(user_id) == OBJECT_ID   # cache shared
    assert "CallerObjectId" not in server.log[0][0].headers
    assert len(server.log) == 1


def test_non_json_error_body_and_the_token_never_shown(server, client):
    server.expect_request(f"{API}/contacts({CONTACT_ID})").respond_with_data(
        "<html><body><h1>502 Bad Gateway</h1></body></html>", status=502, content_type="text/html")
    server.expect_request(f"{API}/accounts({CONTACT_ID})").respond_with_json(
        _error("", "Authorization failed: the token is invalid"), status=401)

    with pytest.raises(CrmError) as gateway:
        client.retrieve("contacts", CONTACT_ID)
    with pytest.raises(CrmError) as unauthorized:
        client.retrieve("accounts", CONTACT_ID)

    assert (gateway.value.status, gateway.value.code) == (502, "") and "502 Bad Gateway" in gateway.value.message
    assert type(unauthorized.value) is CrmError and unauthorized.value.status == 401
    for error in (gateway.value, unauthorized.value):
        assert TOKEN not in str(error) and TOKEN not in repr(error) and TOKEN not in str(error.args)


def test_network_failure_is_a_crm_error_without_the_token():
    closed = HTTPServer(host="127.0.0.1", port=0)
    closed.start()
    port = closed.port
    closed.stop()                                  # nothing listens on the port any more
    unreachable = DataverseClient(f"http://127.0.0.1:{port}", StaticTokenCredential(TOKEN),
                                  session=build_session(retries=0), timeout=2)

    with pytest.raises(CrmError) as caught:
        unreachable.retrieve("contacts", CONTACT_ID)

    assert caught.value.status == 0 and caught.value.code == "ConnectionError"
    assert TOKEN not in str(caught.value) and caught.value.__suppress_context__

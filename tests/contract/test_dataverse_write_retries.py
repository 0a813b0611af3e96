"""Transient failures on writes (issue 17): a write that running twice cannot duplicate — a `$batch` of
keyed creates, upserts or updates, a note carrying the id chosen for it, a create carrying its alternate
key, UpsertMultiple — is retried on 502/503/504 like a read; a plain create is not. What runs out of
retries names the request and the status. Waits are recorded by tests/conftest.py, never slept."""
from __future__ import annotations

import json

import pytest
from werkzeug.wrappers import Response

from connector.crm.auth import StaticTokenCredential
from connector.crm.dataverse import DataverseClient
from connector.crm.port import CrmError, Throttled

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token"
API = "/api/data/v9.2"
CAMPAIGN_ID = "70bf4d48-34cb-ed11-b596-0022481d68cd"
ROW_ID = "49b0be2e-d01c-ed11-b83e-000d3a572421"
BOUNDARY = "batchresponse_0b1c2d3e-0000-4000-8000-000000000001"


def _batch_answer(*ids: str) -> str:
    parts = [f"--{BOUNDARY}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
             f"HTTP/1.1 204 No Content\r\nOData-EntityId: https://org/api/data/v9.2/smsc_textmessages({i})\r\n\r\n"
             for i in ids]
    return "".join(parts) + f"--{BOUNDARY}--\r\n"


def _gateway(status: int) -> Response:
    return Response(json.dumps({"error": {"code": "", "message": f"Gateway says {status}"}}), status=status,
                    content_type="application/json")


@pytest.fixture
def server(httpserver_ipv4):
    yield httpserver_ipv4
    httpserver_ipv4.check_assertions()


@pytest.fixture
def client(server):
    return DataverseClient(server.url_for("/"), StaticTokenCredential(TOKEN), timeout=5)


def _keyed(n: int) -> list[dict]:
    return [{"subject": "SMS", "smsc_idempotencykey": f"campaign-1/recipient-{i}"} for i in range(n)]


def test_a_batch_of_keyed_creates_answered_503_is_sent_again_and_succeeds(server, client, retry_waits):
    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_response(_gateway(503))
    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_data(
        _batch_answer(ROW_ID), content_type=f"multipart/mixed; boundary={BOUNDARY}")

    [result] = client.batch_create("smsc_textmessages", _keyed(1))

    assert result.error is None and result.id == ROW_ID
    first, second = (request for request, _ in server.log)
    # The same operations both times (only the boundary, drawn per request, may differ).
    assert first.get_data().count(b"campaign-1/recipient-0") == second.get_data().count(b"campaign-1/recipient-0") == 1


def test_a_batch_of_upserts_answered_504_then_502_is_retried(server, client, retry_waits):
    for status in (504, 502):
        server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_response(_gateway(status))
    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_data(
        _batch_answer(ROW_ID), content_type=f"multipart/mixed; boundary={BOUNDARY}")

    [result] = client.batch_upsert("smsc_optouts", [("smsc_phonenumber='+33612345678'", {"smsc_reason": "STOP"})])

    assert result.error is None and len(server.log) == 3


def test_an_annotation_answered_502_502_then_created_is_one_note_with_one_id(server, client, retry_waits):
    note_id = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
    for _ in range(2):
        server.expect_ordered_request(f"{API}/annotations", method="POST").respond_with_response(_gateway(502))
    server.expect_ordered_request(f"{API}/annotations", method="POST").respond_with_response(
        Response(status=204, headers={"OData-EntityId": server.url_for(f"{API}/annotations({note_id})")}))

    assert client.create_note("campaign", CAMPAIGN_ID, subject="Rapport", text="1 SMS",
                              filename="r.csv", mimetype="text/csv", content=b"a;b\r\n") == note_id

    ids = {json.loads(request.get_data())["annotationid"] for request, _ in server.log}
    assert len(server.log) == 3 and len(ids) == 1          # the same note, sent three times
    assert retry_waits == [1.0]                             # back-off: none before the first retry


def test_a_repeated_note_refused_as_a_duplicate_was_made_by_the_first_attempt(server, client):
    server.expect_ordered_request(f"{API}/annotations", method="POST").respond_with_response(_gateway(503))
    server.expect_ordered_request(f"{API}/annotations", method="POST").respond_with_json(
        {"error": {"code": "0x80040237", "message": "Cannot insert duplicate key."}}, status=412)

    note_id = client.create_note("campaign", CAMPAIGN_ID, subject="Rapport", text="sans pièce jointe")

    [sent] = {json.loads(request.get_data())["annotationid"] for request, _ in server.log}
    assert note_id == sent and len(server.log) == 2


def test_a_plain_create_answered_503_is_not_repeated_and_says_so(server, client, retry_waits):
    server.expect_ordered_request(f"{API}/contacts", method="POST").respond_with_response(_gateway(503))

    with pytest.raises(CrmError) as failed:
        client.create("contacts", {"lastname": "Durand"})

    assert len(server.log) == 1 and retry_waits == []
    assert failed.value.status == 503
    assert "POST contacts answered 503 (not repeated" in str(failed.value)


def test_a_batch_of_creates_without_keys_answered_503_is_not_repeated(server, client):
    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_response(_gateway(503))

    with pytest.raises(CrmError) as failed:
        client.batch_create("contacts", [{"lastname": "Durand"}])

    assert len(server.log) == 1 and "POST $batch answered 503" in str(failed.value)


def test_a_keyed_create_and_a_keyed_create_multiple_are_retried(server, client, retry_waits):
    server.expect_ordered_request(f"{API}/smsc_textmessages", method="POST").respond_with_response(_gateway(504))
    server.expect_ordered_request(f"{API}/smsc_textmessages", method="POST").respond_with_response(
        Response(status=204, headers={"OData-EntityId": server.url_for(f"{API}/smsc_textmessages({ROW_ID})")}))
    multiple = f"{API}/smsc_textmessages/Microsoft.Dynamics.CRM.CreateMultiple"
    server.expect_ordered_request(multiple, method="POST").respond_with_response(_gateway(503))
    server.expect_ordered_request(multiple, method="POST").respond_with_json({"Ids": [ROW_ID]})

    assert client.create("smsc_textmessages", _keyed(1)[0]) == ROW_ID
    assert client.create_multiple("smsc_textmessages", "smsc_textmessage", _keyed(1)) == [ROW_ID]
    assert len(server.log) == 4


def test_upsert_multiple_is_retried_but_another_action_is_not(server, client):
    upsert = f"{API}/smsc_optouts/Microsoft.Dynamics.CRM.UpsertMultiple"
    server.expect_ordered_request(upsert, method="POST").respond_with_response(_gateway(503))
    server.expect_ordered_request(upsert, method="POST").respond_with_response(Response(status=204))
    server.expect_ordered_request(f"{API}/AddListMembersList", method="POST").respond_with_response(_gateway(503))

    assert client.execute_action("smsc_optouts/Microsoft.Dynamics.CRM.UpsertMultiple", {"Targets": []}) is None
    with pytest.raises(CrmError):
        client.execute_action("AddListMembersList", {"List": {}, "Members": []})
    assert len(server.log) == 3


def test_when_retries_run_out_the_error_names_the_request_and_the_status(server, client, retry_waits):
    server.expect_request(f"{API}/annotations", method="POST").respond_with_response(_gateway(503))

    with pytest.raises(CrmError) as failed:
        client.create_note("campaign", CAMPAIGN_ID, subject="Rapport")

    assert len(server.log) == 5 and retry_waits == [1.0, 2.0, 4.0]    # 1 + the session's 4 retries
    assert failed.value.status == 503
    assert str(failed.value).startswith("Dataverse 503: POST annotations answered 503 (after retries)")
    assert TOKEN not in str(failed.value)


def test_a_429_on_a_plain_create_is_still_retried_after_its_retry_after(server, client, retry_waits):
    server.expect_ordered_request(f"{API}/contacts", method="POST").respond_with_response(
        Response(json.dumps({"error": {"code": "0x80072322", "message": "Number of requests exceeded"}}),
                 status=429, headers={"Retry-After": "2"}, content_type="application/json"))
    server.expect_ordered_request(f"{API}/contacts", method="POST").respond_with_response(
        Response(status=204, headers={"OData-EntityId": server.url_for(f"{API}/contacts({ROW_ID})")}))

    assert client.create("contacts", {"lastname": "Durand"}) == ROW_ID
    assert retry_waits == [2.0]


def test_a_429_that_lasts_is_throttled_and_names_the_request(server, client, retry_waits):
    server.expect_request(f"{API}/contacts", method="POST").respond_with_response(
        Response(json.dumps({"error": {"code": "0x80072326", "message": "Concurrency limit"}}), status=429,
                 headers={"Retry-After": "1"}, content_type="application/json"))

    with pytest.raises(Throttled) as throttled:
        client.create("contacts", {"lastname": "Durand"})

    assert "POST contacts answered 429" in str(throttled.value) and retry_waits == [1.0] * 4


def test_the_client_knows_every_alternate_key_the_solution_defines():
    from connector.crm.dataverse import ALTERNATE_KEYS
    from solution.tables import TABLES

    assert ALTERNATE_KEYS == {table.entity_set: tuple(column for key in table.keys for column in key.columns)
                              for table in TABLES if table.keys}

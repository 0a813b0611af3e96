"""What the loop back's own writes send to the Web API (the real DataverseClient, pytest-httpserver):
a provider event kept as received, events marked processed in one `$batch`, an opt-out written and
lifted through the alternate key (a PATCH without If-Match: an upsert, one row per number)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from werkzeug.wrappers import Response

from connector.crm.auth import StaticTokenCredential
from connector.crm.dataverse import DataverseClient
from connector.crm.optouts import DataverseOptOuts
from connector.crm.provider_events import DataverseProviderEvents
from connector.repositories.optouts import OptOutReason
from connector.sms.callbacks import CallbackKind, ProviderCallback

API = "/api/data/v9.2"
EVENT_ID = "e0000000-0000-4000-8000-000000000001"
ACTIVITY_ID = "aed2ae8b-3c94-ed11-aad1-000d3a9933c9"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
KEY = "smsc_phonenumber='+33600000001'"       # as the server decodes it; on the wire the + is %2B


def client(server) -> DataverseClient:
    return DataverseClient(server.url_for("/"), StaticTokenCredential("contract-token"), timeout=5)


def created(server, entity_set: str, row_id: str) -> Response:
    return Response(status=204, headers={"OData-EntityId": f"{server.url_for(API)}/{entity_set}({row_id})"})


def test_a_delivery_report_is_kept_as_received(server):
    body = {"message_id": "sms_1", "number": "+33600000001", "status": "DELIVERED", "channel": "sms"}
    server.expect_ordered_request(f"{API}/smsc_providerevents", method="POST", json={
        "smsc_name": "DELIVERED +33600000001 sms_1", "smsc_kind": 1, "smsc_ticket": "sms_1",
        "smsc_phonenumber": "+33600000001", "smsc_providerstatus": "DELIVERED", "smsc_text": None,
        "smsc_receivedon": "2026-12-02T12:00:00Z", "smsc_body": json.dumps(body),
    }).respond_with_response(created(server, "smsc_providerevents", EVENT_ID))
    report = ProviderCallback(CallbackKind.DELIVERY, "+33600000001", ticket="sms_1", status="DELIVERED", raw=body)
    assert DataverseProviderEvents(client(server)).record(report, NOW) == EVENT_ID


def test_events_are_marked_processed_in_one_batch_linked_to_their_activity(server):
    boundary = "batchresponse_1"
    answer = (f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
              "HTTP/1.1 204 No Content\r\n\r\n\r\n") * 2 + f"--{boundary}--\r\n"
    seen = []

    def batch(request):
        seen.append(request.get_data(as_text=True))
        return Response(answer, status=200, content_type=f"multipart/mixed; boundary={boundary}")

    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_handler(batch)
    other = "e0000000-0000-4000-8000-000000000002"
    DataverseProviderEvents(client(server)).mark_processed({EVENT_ID: ACTIVITY_ID, other: None}, NOW)
    [body] = seen
    assert f"PATCH {server.url_for(API)}/smsc_providerevents({EVENT_ID}) HTTP/1.1" in body
    assert json.dumps({"smsc_processedon": "2026-12-02T12:00:00Z",
                       "smsc_TextMessageId@odata.bind": f"/smsc_textmessages({ACTIVITY_ID})"}) in body
    assert f"PATCH {server.url_for(API)}/smsc_providerevents({other}) HTTP/1.1" in body
    assert json.dumps({"smsc_processedon": "2026-12-02T12:00:00Z"}) in body


def test_a_stop_is_an_upsert_on_the_number_and_a_lift_reads_then_sets_it_inactive(server):
    def no_if_match(request):
        assert "If-Match" not in request.headers and "If-None-Match" not in request.headers
        assert "smsc_phonenumber='%2B33600000001'" in request.environ["REQUEST_URI"]
        return Response(status=204)

    server.expect_ordered_request(f"{API}/smsc_optouts({KEY})", method="PATCH",
                                  json={"smsc_active": True, "smsc_reason": 1}).respond_with_handler(no_if_match)
    server.expect_ordered_request(f"{API}/smsc_optouts", method="GET", query_string={
        "$select": "smsc_phonenumber,smsc_reason,smsc_active",
        "$filter": "smsc_phonenumber eq '+33600000001'", "$top": "1"}).respond_with_json(
        {"value": [{"smsc_phonenumber": "+33600000001", "smsc_reason": 1, "smsc_active": True}]})
    server.expect_ordered_request(f"{API}/smsc_optouts({KEY})", method="PATCH",
                                  json={"smsc_active": False}).respond_with_handler(no_if_match)
    optouts = DataverseOptOuts(client(server))
    optouts.opt_out("+33600000001", OptOutReason.STOP)
    optouts.lift("+33600000001")

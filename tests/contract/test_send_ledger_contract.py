"""What the send ledger sends to the Web API (the real DataverseClient, pytest-httpserver): a part's
entries in one GET, a window's reservations as upserts on the request id alternate key in one
`$batch`, and the outcome of a send as one upsert on the same key right after it."""
from __future__ import annotations

import json

import pytest
from werkzeug.wrappers import Response

from connector.crm.auth import StaticTokenCredential
from connector.crm.dataverse import DataverseClient
from connector.crm.port import CrmError
from connector.crm.send_ledger import DataverseSendLedger
from connector.repositories.send_ledger import LedgerEntry, LedgerState

API = "/api/data/v9.2"
CAMPAIGN_ID = "c0000000-0000-4000-8000-000000000001"
REQUEST = "smsc-c0000000-20261202120000-abcdef-1-0-0-0"
OTHER = "smsc-c0000000-20261202120000-abcdef-1-0-0-1"


def ledger(server) -> DataverseSendLedger:
    return DataverseSendLedger(DataverseClient(server.url_for("/"), StaticTokenCredential("contract-token"), timeout=5))


def batch_answer(*statuses: int, boundary: str = "batchresponse_1") -> Response:
    parts = "".join(
        f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        + ("HTTP/1.1 204 No Content\r\nOData-EntityId: https://org/api/data/v9.2/smsc_sendledgers("
           f"e0000000-0000-4000-8000-00000000000{n})\r\n\r\n\r\n" if status == 204 else
           'HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n'
           '{"error": {"code": "0x80040203", "message": "bad state"}}\r\n')
        for n, status in enumerate(statuses, start=1))
    return Response(parts + f"--{boundary}--\r\n", status=200, content_type=f"multipart/mixed; boundary={boundary}")


def test_a_parts_entries_are_read_in_one_request(server):
    server.expect_ordered_request(f"{API}/smsc_sendledgers", method="GET", query_string={
        "$select": "smsc_requestid,smsc_part,smsc_window,smsc_recipients,smsc_state,smsc_ticket,smsc_error,"
                   "_smsc_campaignid_value",
        "$filter": f"_smsc_campaignid_value eq {CAMPAIGN_ID} and smsc_part eq 2"}).respond_with_json({"value": [
            {"smsc_requestid": REQUEST, "smsc_part": 2, "smsc_window": 0, "smsc_recipients": 500, "smsc_state": 3,
             "smsc_ticket": "sms_1", "smsc_error": None, "_smsc_campaignid_value": CAMPAIGN_ID},
            {"smsc_requestid": OTHER, "smsc_part": 2, "smsc_window": 0, "smsc_recipients": 20, "smsc_state": 1,
             "smsc_ticket": None, "smsc_error": None, "_smsc_campaignid_value": CAMPAIGN_ID}]})

    entries = ledger(server).part_entries(CAMPAIGN_ID, 2)

    assert entries == [LedgerEntry(CAMPAIGN_ID, 2, 0, REQUEST, 500, LedgerState.ACCEPTED, "sms_1"),
                       LedgerEntry(CAMPAIGN_ID, 2, 0, OTHER, 20, LedgerState.RESERVED)]
    [request] = [r for r, _ in server.log]
    assert "odata.maxpagesize" in request.headers.get("Prefer", "")     # one page holds a part's entries


def test_a_windows_reservations_are_upserts_on_the_request_id_in_one_batch(server):
    seen = []

    def batch(request):
        seen.append(request.get_data(as_text=True))
        return batch_answer(204, 204)

    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_handler(batch)
    ledger(server).write([LedgerEntry(CAMPAIGN_ID, 1, 0, REQUEST, 500), LedgerEntry(CAMPAIGN_ID, 1, 0, OTHER, 20)])

    [body] = seen
    for request_id, recipients in ((REQUEST, 500), (OTHER, 20)):
        line = f"PATCH {server.url_for(API)}/smsc_sendledgers(smsc_requestid='{request_id}') HTTP/1.1"
        assert line in body
        assert json.dumps({"smsc_name": request_id,
                           "smsc_CampaignId@odata.bind": f"/campaigns({CAMPAIGN_ID})", "smsc_part": 1,
                           "smsc_window": 0, "smsc_recipients": recipients, "smsc_state": 1,
                           "smsc_error": None}) in body
    assert "If-Match" not in body and "If-None-Match" not in body      # created, or the same row updated
    assert "smsc_ticket" not in body                                   # a reservation never erases a ticket


def test_the_accepted_ticket_is_one_upsert_on_the_same_key(server):
    def no_if_match(request):
        assert "If-Match" not in request.headers
        return Response(status=204)

    server.expect_ordered_request(f"{API}/smsc_sendledgers(smsc_requestid='{REQUEST}')", method="PATCH", json={
        "smsc_name": REQUEST, "smsc_CampaignId@odata.bind": f"/campaigns({CAMPAIGN_ID})", "smsc_part": 1,
        "smsc_window": 0, "smsc_recipients": 500, "smsc_state": 3, "smsc_error": None,
        "smsc_ticket": "sms_5fec89fe97109"}).respond_with_handler(no_if_match)

    ledger(server).write([LedgerEntry(CAMPAIGN_ID, 1, 0, REQUEST, 500).accepted("sms_5fec89fe97109")])


def test_a_refusal_keeps_its_reason(server):
    server.expect_ordered_request(f"{API}/smsc_sendledgers(smsc_requestid='{REQUEST}')", method="PATCH", json={
        "smsc_name": REQUEST, "smsc_CampaignId@odata.bind": f"/campaigns({CAMPAIGN_ID})", "smsc_part": 1,
        "smsc_window": 0, "smsc_recipients": 500, "smsc_state": 4,
        "smsc_error": "Octopush code 121: STOP mention missing"}).respond_with_response(Response(status=204))

    ledger(server).write([LedgerEntry(CAMPAIGN_ID, 1, 0, REQUEST, 500).refused("Octopush code 121: STOP mention missing")])


def test_a_reservation_the_crm_refused_stops_before_anything_is_sent(server):
    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_response(batch_answer(204, 400))
    with pytest.raises(CrmError, match="bad state"):
        ledger(server).write([LedgerEntry(CAMPAIGN_ID, 1, 0, REQUEST, 500), LedgerEntry(CAMPAIGN_ID, 1, 0, OTHER, 20)])


def window_activities(count: int = 1):
    from dataclasses import replace
    from datetime import datetime, timezone

    from connector.repositories.campaign_activities import CampaignSms
    from connector.repositories.send_ledger import WindowActivities
    from connector.sms.port import SmsType
    from tests.fakes.campaign_world import a_campaign

    sms = CampaignSms(f"camp:{CAMPAIGN_ID}:contact:c1", "contact", "d0000000-0000-4000-8000-000000000001",
                      "+33600000001", "Promo STOP au 30101", "GSM-7", 1, "sms_5fec89fe97109")
    messages = [sms] + [replace(sms, idempotency_key=f"camp:{CAMPAIGN_ID}:contact:c{n}",
                                record_id=f"d0000000-0000-4000-8000-{n:012d}")
                        for n in range(2, count + 1)]
    return WindowActivities(a_campaign(id=CAMPAIGN_ID), messages, SmsType.MARKETING, None,
                            datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc))


WRITTEN = LedgerEntry(CAMPAIGN_ID, 1, 0, "smsc-c0000000-20261202120000-abcdef-1-0", 1, LedgerState.WRITTEN)


def test_a_windows_outcomes_activities_and_written_entry_go_in_one_batch_in_that_order(server):
    seen = []

    def batch(request):
        seen.append(request)
        return batch_answer(204, 204, 204)

    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_handler(batch)
    accepted = LedgerEntry(CAMPAIGN_ID, 1, 0, REQUEST, 1).accepted("sms_5fec89fe97109")

    assert ledger(server).record_window([accepted], window_activities(), WRITTEN) == 0

    [request] = seen
    body = request.get_data(as_text=True)
    assert "continue-on-error" not in request.headers.get("Prefer", "")     # it stops at the first failure
    outcome = body.index(f"PATCH {server.url_for(API)}/smsc_sendledgers(smsc_requestid='{REQUEST}') HTTP/1.1")
    create = body.index(f"POST {server.url_for(API)}/smsc_textmessages/Microsoft.Dynamics.CRM.CreateMultiple HTTP/1.1")
    written = body.index(f"PATCH {server.url_for(API)}/smsc_sendledgers(smsc_requestid='{WRITTEN.request_id}') HTTP/1.1")
    assert outcome < create < written
    assert '"smsc_ticket": "sms_5fec89fe97109"' in body[outcome:create]
    targets = json.loads(body[create:written].split("\r\n\r\n", 1)[1].rsplit("\r\n--", 1)[0])["Targets"]
    assert [(t["@odata.type"], t["smsc_providermessageid"], t["smsc_idempotencykey"]) for t in targets] == [
        ("Microsoft.Dynamics.CRM.smsc_textmessage", "sms_5fec89fe97109", f"camp:{CAMPAIGN_ID}:contact:c1")]
    assert '"smsc_state": 6' in body[written:]


CREATE_MULTIPLE = "/smsc_textmessages/Microsoft.Dynamics.CRM.CreateMultiple HTTP/1.1"


def created_keys(body: str) -> list[list[str]]:
    """The idempotency keys of each CreateMultiple operation of a `$batch` body, in order."""
    operations = body.split(CREATE_MULTIPLE)[1:]
    return [[t["smsc_idempotencykey"] for t in json.loads(op.split("\r\n\r\n", 1)[1].split("\r\n--", 1)[0])["Targets"]]
            for op in operations]


def test_a_window_of_2500_activities_is_one_batch_of_three_creates_of_at_most_1000(server):
    seen = []

    def batch(request):
        seen.append(request.get_data(as_text=True))
        return batch_answer(204, 204, 204, 204, 204)

    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_handler(batch)
    accepted = LedgerEntry(CAMPAIGN_ID, 1, 0, REQUEST, 2500).accepted("sms_5fec89fe97109")

    assert ledger(server).record_window([accepted], window_activities(2500), WRITTEN) == 0

    [body] = seen
    creates = created_keys(body)
    assert [len(c) for c in creates] == [1000, 1000, 500]
    assert [k for c in creates for k in c] == [f"camp:{CAMPAIGN_ID}:contact:c{n}" for n in range(1, 2501)]
    assert body.index("smsc_sendledgers(smsc_requestid='" + REQUEST) < body.index(CREATE_MULTIPLE)
    assert body.rindex(CREATE_MULTIPLE) < body.index(f"smsc_sendledgers(smsc_requestid='{WRITTEN.request_id}')")


def test_a_windows_second_create_refused_sends_its_rows_and_the_next_ones_one_by_one(server):
    """A resumed window whose first 1,000 activities were written: CreateMultiple (all or nothing) is
    refused at the second create; the rows from it on go again one by one, the first 1,000 not."""
    duplicate = ('HTTP/1.1 412 Precondition Failed\r\nContent-Type: application/json\r\n\r\n'
                 '{"error": {"code": "0x80060892", "message": "A record with matching key values already exists."}}')
    ok = "HTTP/1.1 204 No Content\r\n\r\n\r\n"
    part = "--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
    stopped = Response(f"{part}{ok}{part}{ok}{part}{duplicate}\r\n--b--\r\n", status=412,
                       content_type="multipart/mixed; boundary=b")
    seen = []

    def one_by_one(request):
        seen.append(request.get_data(as_text=True))
        return batch_answer(204, 204, 204)

    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_response(stopped)
    server.expect_ordered_request(f"{API}/$batch", method="POST", headers={
        "Prefer": "odata.continue-on-error"}).respond_with_handler(one_by_one)
    server.expect_ordered_request(f"{API}/smsc_sendledgers(smsc_requestid='{WRITTEN.request_id}')",
                                  method="PATCH").respond_with_response(Response(status=204))
    accepted = LedgerEntry(CAMPAIGN_ID, 1, 0, REQUEST, 1003).accepted("sms_5fec89fe97109")

    assert ledger(server).record_window([accepted], window_activities(1003), WRITTEN) == 0
    [body] = seen
    assert body.count("POST ") == 3 and f"camp:{CAMPAIGN_ID}:contact:c1001" in body
    assert f"camp:{CAMPAIGN_ID}:contact:c1000\"" not in body


def test_an_outcome_the_crm_refused_in_the_window_batch_says_nothing_after_it_was_written(server):
    from connector.repositories.send_ledger import EntriesUnwritten

    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_response(batch_answer(400))
    accepted = LedgerEntry(CAMPAIGN_ID, 1, 0, REQUEST, 1).accepted("sms_5fec89fe97109")
    with pytest.raises(EntriesUnwritten) as raised:
        ledger(server).record_window([accepted], window_activities(), WRITTEN)
    assert isinstance(raised.value.__cause__, CrmError)


def test_activities_already_there_go_again_one_by_one_then_the_window_is_marked_written(server):
    duplicate = ('HTTP/1.1 412 Precondition Failed\r\nContent-Type: application/json\r\n\r\n'
                 '{"error": {"code": "0x80060892", "message": "A record with matching key values already exists."}}')
    stopped = Response("--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
                       "HTTP/1.1 204 No Content\r\n\r\n\r\n"
                       f"--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n{duplicate}\r\n"
                       "--b--\r\n", status=412, content_type="multipart/mixed; boundary=b")
    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_response(stopped)
    one_by_one = Response("--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
                          f"{duplicate}\r\n--b--\r\n", status=200, content_type="multipart/mixed; boundary=b")
    server.expect_ordered_request(f"{API}/$batch", method="POST", headers={
        "Prefer": "odata.continue-on-error"}).respond_with_response(one_by_one)
    server.expect_ordered_request(f"{API}/smsc_sendledgers(smsc_requestid='{WRITTEN.request_id}')",
                                  method="PATCH").respond_with_response(Response(status=204))
    accepted = LedgerEntry(CAMPAIGN_ID, 1, 0, REQUEST, 1).accepted("sms_5fec89fe97109")

    assert ledger(server).record_window([accepted], window_activities(), WRITTEN) == 0
    assert len(server.log) == 3


def test_activities_written_as_another_user_are_left_to_the_caller_after_the_outcomes(server):
    client = DataverseClient(server.url_for("/"), StaticTokenCredential("contract-token"), timeout=5)
    server.expect_ordered_request(f"{API}/smsc_sendledgers(smsc_requestid='{REQUEST}')",
                                  method="PATCH").respond_with_response(Response(status=204))
    as_user = DataverseSendLedger(client, activities_crm=client.impersonate("e0000000-0000-4000-8000-0000000000aa"))
    accepted = LedgerEntry(CAMPAIGN_ID, 1, 0, REQUEST, 1).accepted("sms_5fec89fe97109")

    assert as_user.record_window([accepted], window_activities(), WRITTEN) is None
    [(request, _)] = server.log
    assert "CallerObjectId" not in request.headers      # the ledger is the app's, whoever sends

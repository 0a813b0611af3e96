"""What applying delivery reports sends to the Web API (connector.crm.delivery_targets on the real
DataverseClient, pytest-httpserver): the combined (ticket, number) query, one `$batch` of status
PATCHes for many reports, the bounded query of a number's latest sends, and the lost-ticket adoption's
queries (activities still carrying a campaign request id, by number and by request) and ticket writes."""
from __future__ import annotations

import json

from werkzeug.wrappers import Response

from connector.activity import SmsStatus
from connector.crm.auth import StaticTokenCredential
from connector.crm.dataverse import DataverseClient
from connector.crm.delivery_targets import DataverseDeliveryTargets
from connector.repositories.delivery_targets import DeliveryTarget, StatusChange

TOKEN = "contract-token"
SELECT = "activityid,smsc_providermessageid,smsc_phonenumber,smsc_status,_ownerid_value,_smsc_campaignid_value"
API = "/api/data/v9.2"
IDS = ["aed2ae8b-3c94-ed11-aad1-000d3a9933c9", "b181a991-3c94-ed11-aad1-000d3a9933c9",
       "c181a991-3c94-ed11-aad1-000d3a9933c9"]
OWNER = "5e1f0000-0000-4000-8000-000000000002"
BOUNDARY = "batchresponse_f44bd09d-573f-4a30-bca0-2e500ee7e139"
NO_CONTENT = """--{b}
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 204 No Content
OData-Version: 4.0
OData-EntityId: {org}/api/data/v9.2/smsc_textmessages({id})


"""


def targets(server) -> DataverseDeliveryTargets:
    return DataverseDeliveryTargets(DataverseClient(server.url_for("/"), StaticTokenCredential(TOKEN), timeout=5))


def row(activity_id, ticket, number, status, campaign_id=None):
    return {"@odata.etag": 'W/"1"', "activityid": activity_id, "smsc_providermessageid": ticket,
            "smsc_phonenumber": number, "smsc_status": status, "_ownerid_value": OWNER,
            "_smsc_campaignid_value": campaign_id}


def test_reports_of_two_tickets_are_matched_with_one_query_on_ticket_and_number_together(server):
    expected_filter = ("((smsc_providermessageid eq 'sms_1' and (smsc_phonenumber eq '+33600000001' or "
                       "smsc_phonenumber eq '+33600000002')) or (smsc_providermessageid eq 'sms_2' and "
                       "smsc_phonenumber eq '+33600000003')) and (smsc_direction eq 1 or smsc_direction eq null)")
    server.expect_request(f"{API}/smsc_textmessages", method="GET", query_string={
        "$select": SELECT,
        "$filter": expected_filter}).respond_with_json({"value": [
            row(IDS[0], "sms_1", "+33600000001", 5), row(IDS[1], "sms_2", "+33600000003", 7),
            row(IDS[2], "sms_2", "+33600000001", 5)]})      # the other ticket's +33600000001: not asked

    found = targets(server).find({("sms_1", "+33600000001"), ("sms_1", "+33600000002"), ("sms_2", "+33600000003")})

    assert found == {("sms_1", "+33600000001"): [DeliveryTarget(IDS[0], "sms_1", "+33600000001", SmsStatus.SENT, OWNER)],
                     ("sms_2", "+33600000003"): [DeliveryTarget(IDS[1], "sms_2", "+33600000003",
                                                                SmsStatus.UNDELIVERABLE, OWNER)]}


def test_a_ticket_with_many_reports_is_read_whole(server):
    server.expect_request(f"{API}/smsc_textmessages", method="GET", query_string={
        "$select": SELECT,
        "$filter": "smsc_providermessageid eq 'sms_big' and (smsc_direction eq 1 or smsc_direction eq null)"}
    ).respond_with_json({"value": [row(IDS[0], "sms_big", "+33600000007", 5)]})
    pairs = {("sms_big", f"+336000000{n:02d}") for n in range(60)}
    assert list(targets(server).find(pairs)) == [("sms_big", "+33600000007")]


def test_new_statuses_go_in_one_batch_of_patches(server):
    org = server.url_for("/").rstrip("/")
    answer = "".join(NO_CONTENT.format(b=BOUNDARY, org=org, id=i) for i in IDS[:2]) + f"--{BOUNDARY}--\n"
    server.expect_request(f"{API}/$batch", method="POST", headers={"Prefer": "odata.continue-on-error"}) \
        .respond_with_response(Response(answer.replace("\n", "\r\n"), status=200, headers={
            "OData-Version": "4.0", "Content-Type": f"multipart/mixed; boundary={BOUNDARY}"}))

    failed = targets(server).write([StatusChange(IDS[0], SmsStatus.DELIVERED),
                                    StatusChange(IDS[1], SmsStatus.UNDELIVERABLE, "SMS not delivered (Octopush: X).")])

    [(request, _)] = server.log
    boundary = request.headers["Content-Type"].removeprefix("multipart/mixed; boundary=")
    bodies = [{"smsc_status": 6, "smsc_error": None},
              {"smsc_status": 7, "smsc_error": "SMS not delivered (Octopush: X)."}]
    parts = "".join(f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
                    f"PATCH {server.url_for(f'{API}/smsc_textmessages({i})')} HTTP/1.1\r\n"
                    f"Content-Type: application/json; type=entry\r\nIf-Match: *\r\n\r\n{json.dumps(body)}\r\n"
                    for i, body in zip(IDS, bodies))
    assert request.get_data() == f"{parts}--{boundary}--\r\n".encode() and failed == []


def test_a_numbers_latest_sends_are_one_bounded_query(server):
    server.expect_request(f"{API}/smsc_textmessages", method="GET", query_string={
        "$select": "smsc_status", "$top": "3", "$orderby": "createdon desc",
        "$filter": "smsc_phonenumber eq '+33600000001' and (smsc_status eq 5 or smsc_status eq 6 or "
                   "smsc_status eq 7) and (smsc_direction eq 1 or smsc_direction eq null)"}
    ).respond_with_json({"value": [{"smsc_status": 7}, {"smsc_status": 7}, {"smsc_status": 6}]})
    assert targets(server).latest_statuses("+33600000001", 3) == [SmsStatus.UNDELIVERABLE] * 2 + [SmsStatus.DELIVERED]


CAMPAIGN = "d2f0c7a0-3c94-ed11-aad1-000d3a9933c9"
REQUEST = "smsc-d2f0c7a0-20261202120000-a1b2c3-2-1-0-0"


def test_activities_still_carrying_a_request_id_are_found_by_number_in_one_query(server):
    server.expect_request(f"{API}/smsc_textmessages", method="GET", query_string={
        "$select": SELECT,
        "$filter": "startswith(smsc_providermessageid,'smsc-') and (smsc_phonenumber eq '+33600000001' or "
                   "smsc_phonenumber eq '+33600000002') and (smsc_direction eq 1 or smsc_direction eq null)"}
    ).respond_with_json({"value": [row(IDS[0], REQUEST, "+33600000001", 5, CAMPAIGN),
                                   row(IDS[1], "smsc-not-a-request", "+33600000002", 5, CAMPAIGN)]})

    found = targets(server).unticketed(["+33600000002", "+33600000001"])

    assert found == {"+33600000001": [DeliveryTarget(IDS[0], REQUEST, "+33600000001", SmsStatus.SENT, OWNER,
                                                     CAMPAIGN)]}


def test_every_activity_of_the_adopted_requests_is_one_query(server):
    other = REQUEST[:-1] + "1"
    server.expect_request(f"{API}/smsc_textmessages", method="GET", query_string={
        "$select": SELECT,
        "$filter": f"(smsc_providermessageid eq '{REQUEST}' or smsc_providermessageid eq '{other}') and "
                   "(smsc_direction eq 1 or smsc_direction eq null)"}
    ).respond_with_json({"value": [row(IDS[0], REQUEST, "+33600000001", 5, CAMPAIGN),
                                   row(IDS[1], other, "+33600000002", 6, CAMPAIGN)]})

    found = targets(server).sent_in([other, REQUEST])

    assert [(t.activity_id, t.ticket, t.campaign_id) for t in found] == [(IDS[0], REQUEST, CAMPAIGN),
                                                                        (IDS[1], other, CAMPAIGN)]


def test_an_adopted_ticket_is_written_with_a_status_or_alone(server):
    org = server.url_for("/").rstrip("/")
    answer = "".join(NO_CONTENT.format(b=BOUNDARY, org=org, id=i) for i in IDS[:2]) + f"--{BOUNDARY}--\n"
    server.expect_request(f"{API}/$batch", method="POST").respond_with_response(Response(
        answer.replace("\n", "\r\n"), status=200,
        headers={"OData-Version": "4.0", "Content-Type": f"multipart/mixed; boundary={BOUNDARY}"}))

    failed = targets(server).write([StatusChange(IDS[0], SmsStatus.DELIVERED, ticket="sms_T1"),
                                    StatusChange(IDS[1], None, ticket="sms_T1")])

    [(request, _)] = server.log
    body = request.get_data().decode()
    assert failed == [] and body.count("PATCH ") == 2
    assert json.dumps({"smsc_status": 6, "smsc_error": None, "smsc_providermessageid": "sms_T1"}) in body
    assert f"smsc_textmessages({IDS[1]}) HTTP/1.1\r\nContent-Type: application/json; type=entry\r\n" \
           f"If-Match: *\r\n\r\n{json.dumps({'smsc_providermessageid': 'sms_T1'})}\r\n" in body


def test_the_tickets_the_send_ledger_already_holds_are_one_query(server):
    server.expect_request(f"{API}/smsc_sendledgers", method="GET", query_string={
        "$select": "smsc_requestid,smsc_ticket", "$filter": "(smsc_ticket eq 'sms_T1' or smsc_ticket eq 'sms_T2')"}
    ).respond_with_json({"value": [{"smsc_requestid": REQUEST, "smsc_ticket": "sms_T1"}]})

    assert targets(server).ledger_requests(["sms_T2", "sms_T1"]) == {"sms_T1": {REQUEST}}

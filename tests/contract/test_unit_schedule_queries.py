"""The timers' queries on the SMS activities, against a loopback Web API (pytest-httpserver): the held
SMS whose time has come, and the requests no webhook delivery took — one query each, read page by
page (the `@odata.nextLink` followed as Dataverse gives it), and the take under the ETag each row had."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connector.crm.auth import StaticTokenCredential
from connector.crm.dataverse import DataverseClient
from connector.crm.sms_activities import DataverseSmsActivities, activity_from_row
from connector.outgoing import ComposedSms
from connector.repositories.sms_activities import SmsActivity
from connector.sms.port import SmsType
from connector.text.encoding import analyze

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.schedule-token"
API = "/api/data/v9.2"
FIRST, SECOND = "8f2b1c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "9a3c2d4e-5f60-4b7c-9d8e-0f1a2b3c4d5e"
OWNER = "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f"
NOW = datetime(2026, 12, 2, 15, 30, 0, 250000, tzinfo=UTC)
SELECT = ("subject,description,scheduledend,smsc_status,smsc_smstype,smsc_sender,smsc_phonenumber,"
          "smsc_idempotencykey,_regardingobjectid_value,_smsc_templateid_value,_smsc_workflowid_value,smsc_cheapertext,"
          "modifiedon,"
          "_ownerid_value,smsc_error")
PAGED = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json", "OData-MaxVersion": "4.0",
         "OData-Version": "4.0", "Prefer": 'odata.include-annotations="*",odata.maxpagesize=500'}


@pytest.fixture
def server(httpserver_ipv4):
    yield httpserver_ipv4
    httpserver_ipv4.check_assertions()          # no unexpected or out-of-order request


@pytest.fixture
def activities(server):
    return DataverseSmsActivities(DataverseClient(server.url_for("/"), StaticTokenCredential(TOKEN), timeout=5))


def row(activity_id: str, etag: str, due: str, **columns) -> dict:
    return {"@odata.etag": etag, "activityid": activity_id, "subject": "SMS", "description": "Rappel : RDV demain 9h",
            "scheduledend": due, "smsc_status": 4, "smsc_smstype": 2, "smsc_sender": "CONTOSO",
            "smsc_phonenumber": "+33649819006", "smsc_idempotencykey": f"unit-{activity_id}-5948100",
            "modifiedon": "2026-12-02T14:00:00Z", "_ownerid_value": OWNER,
            "_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "systemuser", "smsc_error": None, **columns}


def test_the_due_query_asks_held_unit_sms_without_a_ticket_due_by_now_earliest_first(server, activities):
    next_link = server.url_for(f"{API}/smsc_textmessages?$select=activityid&$skiptoken=%3Ccookie%20page%3D%222%22%3E")
    server.expect_ordered_request(f"{API}/smsc_textmessages", method="GET", headers=PAGED, query_string={
        "$select": SELECT,
        "$filter": "smsc_status eq 4 and smsc_providermessageid eq null and scheduledend le 2026-12-02T15:30:00Z"
                   " and _smsc_campaignid_value eq null",
        "$orderby": "scheduledend asc",
    }).respond_with_json({"value": [row(FIRST, 'W/"5948260"', "2026-12-02T15:29:00Z")], "@odata.nextLink": next_link})
    server.expect_ordered_request(f"{API}/smsc_textmessages", method="GET", headers=PAGED, query_string={
        "$select": "activityid", "$skiptoken": '<cookie page="2">',
    }).respond_with_json({"value": [row(SECOND, 'W/"5948261"', "2026-12-02T15:30:00Z", smsc_smstype=1)]})

    due = list(activities.due_scheduled(NOW))

    assert [(a.id, a.etag, a.status, a.owner_id) for a in due] == [
        (FIRST, 'W/"5948260"', 4, OWNER), (SECOND, 'W/"5948261"', 4, OWNER)]
    assert due[0].due == datetime(2026, 12, 2, 15, 29, tzinfo=UTC) and due[1].sms_type == 1
    assert due[0].idempotency_key == f"unit-{FIRST}-5948100" and due[0].phone_number == "+33649819006"


def test_the_release_take_is_conditional_on_the_etag_the_query_read(server, activities):
    server.expect_request(f"{API}/smsc_textmessages({FIRST})", method="PATCH",
                          headers={"If-Match": 'W/"5948260"'}).respond_with_data(status=204)
    held = activity_from_row(row(FIRST, 'W/"5948260"', "2026-12-02T15:29:00Z"))
    text = "Rappel : RDV demain 9h"
    sms = ComposedSms(text, analyze(text), SmsType.TRANSACTIONAL, "CONTOSO", "+33649819006")
    activities.take(held, sms, held.idempotency_key or "")
    activities.take(held, sms, held.idempotency_key or "", hold_until=datetime(2026, 12, 3, 7, 0, tzinfo=UTC))

    first, second = (request.get_json() for request, _ in server.log)
    assert first["smsc_status"] == 3 and "scheduledend" not in first
    assert (second["smsc_status"], second["scheduledend"]) == (4, "2026-12-03T07:00:00Z")
    assert first["smsc_idempotencykey"] == second["smsc_idempotencykey"] == f"unit-{FIRST}-5948100"


def test_the_left_requests_query_asks_unit_sms_still_send_requested_oldest_first(server, activities):
    server.expect_request(f"{API}/smsc_textmessages", method="GET", headers=PAGED, query_string={
        "$select": SELECT,
        "$filter": "smsc_status eq 2 and modifiedon lt 2026-12-02T15:25:00Z and _smsc_campaignid_value eq null",
        "$orderby": "modifiedon asc",
    }).respond_with_json({"value": [row(FIRST, 'W/"77"', None, smsc_status=2)]})

    [left] = activities.left_requested(datetime(2026, 12, 2, 15, 25, tzinfo=UTC))
    assert (left.id, left.status, left.modified_on) == (FIRST, 2, datetime(2026, 12, 2, 14, 0, tzinfo=UTC))


def test_a_refused_cancel_writes_the_status_back_under_the_etag_read(server, activities):
    server.expect_request(f"{API}/smsc_textmessages({FIRST})", method="PATCH", headers={"If-Match": 'W/"5948299"'},
                          json={"smsc_status": 5, "smsc_error": "Trop tard"}).respond_with_data(status=204)
    activities.undo_cancel(SmsActivity(FIRST, 'W/"5948299"', 9), 5, "Trop tard")
    assert len(server.log) == 1

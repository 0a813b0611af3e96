"""A campaign's SMS activities go to Dataverse as `CreateMultiple` (one operation per 1,000, several in
one `$batch`); when it is refused as a whole (a resumed run meeting activities already written), the same rows go again as a
`$batch` with continue-on-error, which counts the ones already there as written."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from connector.crm.auth import StaticTokenCredential
from connector.crm.campaign_activities import DataverseCampaignActivities
from connector.crm.dataverse import DataverseClient
from connector.repositories.campaign_activities import CampaignSms
from connector.repositories.campaigns import Campaign, CampaignStatus
from connector.sms.port import SmsType
from tests.contract.test_dataverse_bulk import API, BASE, FAILED, RESPONSE_BOUNDARY, TOKEN, TOO_LONG, _multipart

CAMPAIGN = Campaign("5a1c0000-0000-4000-8000-000000000001", "Soldes", 'W/"1"', "contact", "Bonjour", None, 1, None,
                    CampaignStatus.SENDING, "smsc-5a1c0000-20261202", None)
CONTACTS = ["c0000000-0000-4000-8000-000000000001", "c0000000-0000-4000-8000-000000000002"]
MESSAGES = [CampaignSms(f"key-{n}", "contact", contact, f"+3361234567{n}", "Bonjour STOP au 30101", "GSM-7", 1,
                        "ticket-1") for n, contact in enumerate(CONTACTS)]
SENT = datetime(2026, 12, 2, 16, 0, tzinfo=timezone.utc)
DUPLICATE = ("A record that has the attribute values smsc_idempotencykey already exists. The entity key "
             "smsc_idempotencykey_key requires that this set of attributes contains unique values.")


@pytest.fixture
def server(httpserver_ipv4):
    yield httpserver_ipv4
    httpserver_ipv4.check_assertions()


@pytest.fixture
def client(server):
    return DataverseClient(server.url_for("/"), StaticTokenCredential(TOKEN), timeout=5)


def target(n: int) -> dict:
    contact = f"/contacts({CONTACTS[n]})"
    return {"@odata.type": "Microsoft.Dynamics.CRM.smsc_textmessage", "subject": "Soldes",
            "description": "Bonjour STOP au 30101", "regardingobjectid_contact_smsc_textmessage@odata.bind": contact,
            "smsc_textmessage_activity_parties": [{"participationtypemask": 2, "partyid_contact@odata.bind": contact}],
            "smsc_CampaignId@odata.bind": f"/campaigns({CAMPAIGN.id})", "smsc_idempotencykey": f"key-{n}",
            "smsc_status": 5, "smsc_direction": 1, "smsc_phonenumber": f"+3361234567{n}", "smsc_smstype": 1,
            "smsc_sender": None, "smsc_encoding": 1, "smsc_segments": 1, "smsc_providermessageid": "ticket-1",
            "actualend": "2026-12-02T16:00:00Z"}


def create(client) -> int:
    return DataverseCampaignActivities(client).create(CAMPAIGN, MESSAGES, sms_type=SmsType.MARKETING, sender=None,
                                                      sent_at=SENT)


def test_the_activities_go_as_one_create_multiple(server, client):
    server.expect_oneshot_request(
        f"{API}/smsc_textmessages/Microsoft.Dynamics.CRM.CreateMultiple", method="POST",
        headers={**BASE, "Content-Type": "application/json; charset=utf-8"},
        json={"Targets": [target(0), target(1)]},
    ).respond_with_json({"@odata.context": "[Organization Uri]/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM."
                                           "CreateMultipleResponse", "Ids": ["a1", "a2"]})

    assert create(client) == 0
    assert len(server.log) == 1


def test_an_sms_with_its_share_of_the_charge_carries_it_as_smsc_cost(server, client):
    from dataclasses import replace

    server.expect_oneshot_request(
        f"{API}/smsc_textmessages/Microsoft.Dynamics.CRM.CreateMultiple", method="POST",
        json={"Targets": [{**target(0), "smsc_cost": 0.045}, target(1)]},    # the other: no cost told
    ).respond_with_json({"Ids": ["a1", "a2"]})
    costed = [replace(MESSAGES[0], cost=0.045), MESSAGES[1]]
    assert DataverseCampaignActivities(client).create(CAMPAIGN, costed, sms_type=SmsType.MARKETING, sender=None,
                                                      sent_at=SENT) == 0


def test_a_create_multiple_refused_for_a_key_already_there_goes_again_as_a_batch(server, client):
    server.expect_oneshot_request(
        f"{API}/smsc_textmessages/Microsoft.Dynamics.CRM.CreateMultiple", method="POST",
    ).respond_with_json({"error": {"code": "0x80060892", "message": DUPLICATE}}, status=412)
    answer = (FAILED.format(b=RESPONSE_BOUNDARY, status="412 Precondition Failed", code="0x80060892",
                            message=DUPLICATE)
              + FAILED.format(b=RESPONSE_BOUNDARY, status="400 Bad Request", code="0x80044331", message=TOO_LONG)
              + f"--{RESPONSE_BOUNDARY}--\n")
    server.expect_oneshot_request(f"{API}/$batch", method="POST", headers={**BASE, "Prefer": "odata.continue-on-error"}) \
        .respond_with_response(_multipart(server, answer))

    assert create(client) == 1          # the row already there counts as written; the other was refused
    batch = server.log[1][0].get_data().decode()
    assert batch.count("POST ") == 2 and f"{API}/smsc_textmessages HTTP/1.1" in batch
    bodies = [json.loads(line) for line in batch.splitlines() if line.startswith("{")]
    assert bodies == [{k: v for k, v in target(n).items() if k != "@odata.type"} for n in (0, 1)]


def many(count: int) -> list[CampaignSms]:
    from dataclasses import replace

    return [replace(MESSAGES[0], idempotency_key=f"key-{n}") for n in range(count)]


def test_a_window_of_2500_activities_is_one_batch_of_three_create_multiple(server, client):
    """Written as the user who validated (not with the ledger): a window's activities still go as one
    request, a CreateMultiple of at most 1,000 rows per operation, stopping at the first refused."""
    from tests.contract.test_send_ledger_contract import batch_answer, created_keys

    seen = []

    def answer(request):
        seen.append(request)
        return batch_answer(204, 204, 204)

    server.expect_oneshot_request(f"{API}/$batch", method="POST").respond_with_handler(answer)
    assert DataverseCampaignActivities(client).create(CAMPAIGN, many(2500), sms_type=SmsType.MARKETING,
                                                      sender=None, sent_at=SENT) == 0
    [request] = seen
    assert "continue-on-error" not in request.headers.get("Prefer", "")
    assert [len(keys) for keys in created_keys(request.get_data(as_text=True))] == [1000, 1000, 500]


def test_a_refused_create_in_the_batch_sends_its_rows_and_the_next_ones_one_by_one(server, client):
    from werkzeug.wrappers import Response

    from tests.contract.test_send_ledger_contract import batch_answer

    part = "--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
    duplicate = ('HTTP/1.1 412 Precondition Failed\r\nContent-Type: application/json\r\n\r\n'
                 '{"error": {"code": "0x80060892", "message": "' + DUPLICATE + '"}}')
    stopped = Response(f"{part}HTTP/1.1 204 No Content\r\n\r\n\r\n{part}{duplicate}\r\n--b--\r\n", status=412,
                       content_type="multipart/mixed; boundary=b")
    seen = []

    def one_by_one(request):
        seen.append(request.get_data(as_text=True))
        return batch_answer(*[204] * seen[-1].count("POST "))

    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_response(stopped)
    server.expect_ordered_request(f"{API}/$batch", method="POST", headers={"Prefer": "odata.continue-on-error"}) \
        .respond_with_handler(one_by_one)
    server.expect_ordered_request(f"{API}/$batch", method="POST", headers={"Prefer": "odata.continue-on-error"}) \
        .respond_with_handler(one_by_one)

    assert DataverseCampaignActivities(client).create(CAMPAIGN, many(2500), sms_type=SmsType.MARKETING,
                                                      sender=None, sent_at=SENT) == 0
    assert [body.count("POST ") for body in seen] == [1000, 500]        # rows 1,000 to 2,499 only
    assert '"smsc_idempotencykey": "key-999"' not in seen[0] and '"smsc_idempotencykey": "key-1000"' in seen[0]

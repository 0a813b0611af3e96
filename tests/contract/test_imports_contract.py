"""The requests the imports send (pytest-httpserver): batched upserts of opt-outs on their alternate
key, and the documented unbound `AddListMembersList` action of static marketing lists."""
from __future__ import annotations

import json

import pytest
from werkzeug.wrappers import Response

from connector.crm.auth import StaticTokenCredential
from connector.crm.dataverse import DataverseClient
from connector.crm.marketing_lists import DataverseMarketingLists
from connector.crm.optouts import DataverseOptOuts
from connector.crm.port import CrmError
from connector.repositories.marketing_lists import MarketingList, MemberTable
from connector.repositories.optouts import OptOutReason

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token"
API = "/api/data/v9.2"
BASE = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json",
        "OData-MaxVersion": "4.0", "OData-Version": "4.0"}
RESPONSE_BOUNDARY = "batchresponse_3f1c2b8e-7d41-4e0a-9a55-0d6a1e2f3b4c"
LIST_ID = "6a1d3f2e-5b4c-4d3e-9f8a-7b6c5d4e3f2a"
OPTOUT_ID = "0f000000-0000-4000-8000-0000000000{n:02d}"
WRITTEN = """--{b}
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 204 No Content
OData-Version: 4.0
OData-EntityId: {org}/api/data/v9.2/smsc_optouts({id})

"""
REFUSED = """--{b}
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 400 Bad Request
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

{{"error":{{"code":"0x80040203","message":"Invalid value for smsc_reason."}}}}
"""


@pytest.fixture
def server(httpserver_ipv4):
    yield httpserver_ipv4
    httpserver_ipv4.check_assertions()


@pytest.fixture
def client(server):
    return DataverseClient(server.url_for("/"), StaticTokenCredential(TOKEN), timeout=5)


def _answer(server, parts: list[str]) -> Response:
    org = server.url_for("/").rstrip("/")
    text = "".join(p.format(b=RESPONSE_BOUNDARY, org=org, id=OPTOUT_ID.format(n=i)) for i, p in enumerate(parts))
    return Response((text + f"--{RESPONSE_BOUNDARY}--\n").replace("\n", "\r\n"), status=200,
                    headers={"OData-Version": "4.0", "Content-Type": f"multipart/mixed; boundary={RESPONSE_BOUNDARY}"})


def test_batch_upsert_sends_a_patch_on_the_alternate_key_without_if_match_per_row(server, client):
    server.expect_request(f"{API}/$batch", method="POST", headers={**BASE, "Prefer": "odata.continue-on-error"}) \
        .respond_with_response(_answer(server, [WRITTEN, REFUSED]))
    rows = [("smsc_phonenumber='+33612345678'", {"smsc_active": True, "smsc_reason": 3}),
            ("smsc_phonenumber='+262692123456'", {"smsc_active": True, "smsc_reason": 3})]

    results = client.batch_upsert("smsc_optouts", rows)

    [(request, _)] = server.log
    boundary = request.headers["Content-Type"].removeprefix("multipart/mixed; boundary=")
    url = server.url_for(f"{API}/smsc_optouts")
    parts = "".join(f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
                    f"PATCH {url}(smsc_phonenumber='%2B{number}') HTTP/1.1\r\n"
                    f"Content-Type: application/json; type=entry\r\n\r\n"
                    '{"smsc_active": true, "smsc_reason": 3}\r\n' for number in ("33612345678", "262692123456"))
    assert request.get_data() == f"{parts}--{boundary}--\r\n".encode()
    assert b"If-Match" not in request.get_data()          # an upsert: the row is created when absent
    written, refused = results
    assert (written.status, written.id, written.error) == (204, OPTOUT_ID.format(n=0), None)
    assert refused.status == 400 and isinstance(refused.error, CrmError)
    assert refused.error.message == "Invalid value for smsc_reason."


def test_batch_upsert_refuses_more_than_a_batch_holds(client):
    with pytest.raises(ValueError, match="at most 1000"):
        client.batch_upsert("smsc_optouts", [(f"smsc_phonenumber='+3361234{i:04d}'", {}) for i in range(1001)])


def test_opt_out_many_goes_1000_numbers_to_a_batch_and_names_the_refused_ones(server, client):
    numbers = [f"+336{i:08d}" for i in range(1500)]
    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_response(
        _answer(server, [WRITTEN] * 999 + [REFUSED]))
    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_response(
        _answer(server, [WRITTEN] * 500))

    refused = DataverseOptOuts(client).opt_out_many(numbers, OptOutReason.MANUAL)

    first, second = (request.get_data() for request, _ in server.log)
    assert first.count(b"PATCH ") == 1000 and second.count(b"PATCH ") == 500
    assert b"smsc_phonenumber='%2B33600001499'" in second
    assert refused == {"+33600000999": "Invalid value for smsc_reason."}


def test_add_members_calls_the_unbound_action_with_the_documented_body_1000_members_a_call(server, client):
    ids = [f"49b0be2e-d01c-ed11-b83e-{i:012d}" for i in range(1001)]
    for chunk in (ids[:1000], ids[1000:]):
        server.expect_ordered_request(f"{API}/AddListMembersList", method="POST", json={
            "List": {"@odata.type": "Microsoft.Dynamics.CRM.list", "listid": LIST_ID},
            "Members": [{"@odata.type": "Microsoft.Dynamics.CRM.contact", "contactid": i} for i in chunk]},
            headers={**BASE, "Content-Type": "application/json; charset=utf-8"}).respond_with_data(status=204)

    DataverseMarketingLists(client).add_members(MarketingList(LIST_ID, "Salon", MemberTable.CONTACT, True), ids)

    assert len(server.log) == 2


def test_a_lead_list_names_its_members_as_leads(server, client):
    lead = "5c6d7e8f-0000-4000-8000-000000000001"
    server.expect_request(f"{API}/AddListMembersList", method="POST").respond_with_data(status=204)

    DataverseMarketingLists(client).add_members(MarketingList(LIST_ID, "Printemps", MemberTable.LEAD, True), [lead])

    body = json.loads(server.log[0][0].get_data())
    assert body["Members"] == [{"@odata.type": "Microsoft.Dynamics.CRM.lead", "leadid": lead}]


def test_a_static_list_is_created_with_its_member_type(server, client):
    server.expect_request(f"{API}/lists", method="POST", json={
        "listname": "Salon 2026", "type": False, "createdfromcode": 4}).respond_with_data(
        status=204, headers={"OData-EntityId": server.url_for(f"{API}/lists({LIST_ID})")})

    created = DataverseMarketingLists(client).create_static("Salon 2026", MemberTable.LEAD)

    assert created == MarketingList(LIST_ID, "Salon 2026", MemberTable.LEAD, True)


def test_a_refused_action_raises_the_dataverse_error(server, client):
    server.expect_request(f"{API}/AddListMembersList", method="POST").respond_with_json(
        {"error": {"code": "0x80040203", "message": "Members cannot be added to a dynamic marketing list."}},
        status=400)

    with pytest.raises(CrmError, match="dynamic marketing list"):
        DataverseMarketingLists(client).add_members(MarketingList(LIST_ID, "D", MemberTable.CONTACT, True),
                                                    [LIST_ID])

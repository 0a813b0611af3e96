"""The requests of validate's fan-out against a loopback Web API (pytest-httpserver): the progress columns
written under the campaign's ETag, the resume timer's bounded query, and the send ledger's lease rows
(created with their alternate key, replaced with If-Match on the ETag read)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from connector.crm.auth import StaticTokenCredential
from connector.crm.campaigns import DataverseCampaigns
from connector.crm.dataverse import DataverseClient
from connector.crm.leases import DataverseLeases
from connector.errors import Conflict
from connector.repositories.campaigns import PartsProgress
from connector.repositories.leases import Lease, LeaseKey, LeaseState, PartOutcome
from tests.fakes.campaign_world import a_campaign

API = "/api/data/v9.2"
CAMPAIGN_ID = "70bf4d48-34cb-ed11-b596-0022481d68cd"
ROW_ID = "0b6e1c2a-8d1f-4f57-9a43-6a2f1d7c9e11"
KEY = LeaseKey(CAMPAIGN_ID, "smsc-70bf4d48-20261202150000-a1b2c3", 2)


@pytest.fixture
def server(httpserver_ipv4):
    yield httpserver_ipv4
    httpserver_ipv4.check_assertions()


@pytest.fixture
def crm(server):
    return DataverseClient(server.url_for("/"), StaticTokenCredential("token"), timeout=5)


def test_the_progress_is_written_under_the_campaigns_etag_and_read_with_it(server, crm):
    server.expect_oneshot_request(f"{API}/campaigns({CAMPAIGN_ID})", method="GET").respond_with_json(
        {"campaignid": CAMPAIGN_ID, "@odata.etag": 'W/"41"', "smsc_smsstatus": 4, "smsc_partstotal": 3,
         "smsc_partsdone": 1, "smsc_partsfailed": None})
    server.expect_oneshot_request(f"{API}/campaigns({CAMPAIGN_ID})", method="PATCH",
                                  headers={"If-Match": 'W/"41"'}).respond_with_data(status=204)
    campaigns = DataverseCampaigns(crm)
    campaign = campaigns.get(CAMPAIGN_ID)
    assert campaign.parts == PartsProgress(3, 1, 0)

    campaigns.record_parts(campaign, PartsProgress(3, 2, 0))
    [_, patch] = [request for request, _ in server.log]
    assert json.loads(patch.data) == {"smsc_partstotal": 3, "smsc_partsdone": 2, "smsc_partsfailed": 0}


def test_validate_moves_the_campaign_with_its_progress_result_and_send_time_in_one_conditional_patch(server, crm):
    from connector.repositories.campaigns import CampaignStatus

    server.expect_oneshot_request(f"{API}/campaigns({CAMPAIGN_ID})", method="PATCH",
                                  headers={"If-Match": 'W/"41"'}).respond_with_data(status=204)
    DataverseCampaigns(crm).move(a_campaign(CampaignStatus.READY, id=CAMPAIGN_ID, etag='W/"41"'),
                                 CampaignStatus.SENDING, parts=PartsProgress(1, 0, 0),
                                 result="1 of 1 part(s) queued for sending.",
                                 start=datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc))
    [(patch, _)] = server.log
    assert json.loads(patch.data) == {
        "smsc_smsstatus": 4, "smsc_partstotal": 1, "smsc_partsdone": 0, "smsc_partsfailed": 0,
        "actualstart": "2026-12-03T09:00:00Z", "smsc_lastresult": "1 of 1 part(s) queued for sending.",
        "smsc_action": None}


def test_the_end_writes_the_status_result_and_progress_in_one_patch(server, crm):
    from connector.repositories.campaigns import CampaignStatus

    server.expect_oneshot_request(f"{API}/campaigns({CAMPAIGN_ID})", method="PATCH").respond_with_data(status=204)
    DataverseCampaigns(crm).finish(CAMPAIGN_ID, "3 SMS sent.", status=CampaignStatus.SENT,
                                   parts=PartsProgress(1, 1, 0))
    [(patch, _)] = server.log
    assert patch.headers["If-Match"] == "*"            # an update of the row, whatever its version
    assert json.loads(patch.data) == {"smsc_smsstatus": 5, "smsc_partstotal": 1, "smsc_partsdone": 1,
                                      "smsc_partsfailed": 0, "smsc_lastresult": "3 SMS sent.", "smsc_action": None}


def test_a_progress_write_from_a_stale_read_is_a_conflict(server, crm):
    server.expect_oneshot_request(f"{API}/campaigns({CAMPAIGN_ID})", method="PATCH").respond_with_json(
        {"error": {"code": "0x80060882", "message": "The version of the existing record doesn't match"}}, status=412)
    with pytest.raises(Conflict):                           # another part was counted since this read
        DataverseCampaigns(crm).record_parts(a_campaign(id=CAMPAIGN_ID, etag='W/"40"'), PartsProgress(3, 2, 0))


def test_the_resume_timer_asks_for_a_bounded_page_of_fanned_out_campaigns_in_sending(server, crm):
    server.expect_oneshot_request(f"{API}/campaigns", method="GET", query_string={
        "$select": "name,smsc_recipienttype,smsc_text,_smsc_templateid_value,smsc_smstype,smsc_sender,"
                   "smsc_smsstatus,smsc_action,smsc_lastresult,smsc_providerticket,actualstart,othercost,"
                   "smsc_closedon,smsc_partstotal,smsc_partsdone,smsc_partsfailed,smsc_cheapertext",
        "$filter": "smsc_smsstatus eq 4 and smsc_partstotal ne null",
        "$orderby": "modifiedon asc", "$top": "50"}).respond_with_json({"value": [
            {"campaignid": CAMPAIGN_ID, "smsc_smsstatus": 4, "smsc_partstotal": 3}]})
    [campaign] = DataverseCampaigns(crm).sending(50)
    assert campaign.id == CAMPAIGN_ID and campaign.parts == PartsProgress(3, 0, 0)


def test_the_resume_timer_asks_for_campaigns_left_in_construction_since_a_time(server, crm):
    server.expect_oneshot_request(f"{API}/campaigns", method="GET", query_string={
        "$select": "name,smsc_recipienttype,smsc_text,_smsc_templateid_value,smsc_smstype,smsc_sender,"
                   "smsc_smsstatus,smsc_action,smsc_lastresult,smsc_providerticket,actualstart,othercost,"
                   "smsc_closedon,smsc_partstotal,smsc_partsdone,smsc_partsfailed,smsc_cheapertext",
        "$filter": "smsc_smsstatus eq 2 and modifiedon le 2026-12-02T15:45:00Z",
        "$orderby": "modifiedon asc", "$top": "50"}).respond_with_json({"value": [
            {"campaignid": CAMPAIGN_ID, "smsc_smsstatus": 2}]})
    since = datetime(2026, 12, 2, 15, 45, tzinfo=timezone.utc)
    [campaign] = DataverseCampaigns(crm).in_construction_since(since, 50)
    assert campaign.id == CAMPAIGN_ID and campaign.status.name == "IN_CONSTRUCTION"


def test_a_lease_is_created_with_its_alternate_key_and_replaced_under_its_etag(server, crm):
    until = datetime(2026, 12, 2, 16, 11, tzinfo=timezone.utc)
    server.expect_oneshot_request(f"{API}/smsc_sendledgers", method="POST", query_string={
        "$select": "smsc_sendledgerid"}, headers={"Prefer": "return=representation"}).respond_with_json(
        {"smsc_sendledgerid": ROW_ID, "@odata.etag": 'W/"7"'}, status=201,
        headers={"OData-EntityId": f"{server.url_for('/')}api/data/v9.2/smsc_sendledgers({ROW_ID})"})
    server.expect_oneshot_request(f"{API}/smsc_sendledgers({ROW_ID})", method="PATCH",
                                  headers={"If-Match": 'W/"7"'}).respond_with_data(status=204)
    server.expect_oneshot_request(f"{API}/smsc_sendledgers({ROW_ID})", method="GET").respond_with_json(
        {"smsc_sendledgerid": ROW_ID, "@odata.etag": 'W/"8"'})
    leases = DataverseLeases(crm)

    taken = leases.create(Lease(KEY, LeaseState.HELD, "part-1f2e", until))
    outcome = PartOutcome(998, 1, 2, ("+33600000002",))
    done = leases.replace(Lease(KEY, LeaseState.DONE, "part-1f2e", None, outcome=outcome, etag=taken.etag, id=taken.id))

    post, patch, _ = [request for request, _ in server.log]       # the created row came with its ETag
    assert json.loads(post.data) == {
        "smsc_requestid": "lease-smsc-70bf4d48-20261202150000-a1b2c3-p2", "smsc_part": 2,
        "smsc_CampaignId@odata.bind": f"/campaigns({CAMPAIGN_ID})", "smsc_state": 2, "smsc_leaseowner": "part-1f2e",
        "smsc_leaseexpires": "2026-12-02T16:11:00Z", "smsc_recipients": None, "smsc_name": '{"lease":2}'}
    assert "If-None-Match" not in post.headers and "If-Match" not in post.headers
    assert json.loads(patch.data) == {
        "smsc_state": 3, "smsc_leaseowner": "part-1f2e", "smsc_leaseexpires": None, "smsc_recipients": 998,
        "smsc_name": '{"lease":2,"refused":1,"optouts":2,"numbers":["+33600000002"]}'}
    assert (taken.etag, done.etag) == ('W/"7"', 'W/"8"')


def test_a_lease_is_read_by_its_request_id_and_a_second_create_is_a_conflict(server, crm):
    server.expect_oneshot_request(f"{API}/smsc_sendledgers", method="GET", query_string={
        "$select": "smsc_sendledgerid,smsc_name,_smsc_campaignid_value,smsc_part,smsc_requestid,smsc_recipients,"
                   "smsc_state,smsc_leaseowner,smsc_leaseexpires",
        "$filter": "smsc_requestid eq 'lease-smsc-70bf4d48-20261202150000-a1b2c3-p2'",
        "$top": "1"}).respond_with_json(
        {"value": [{"smsc_sendledgerid": ROW_ID, "@odata.etag": 'W/"9"', "smsc_state": 4, "smsc_part": 2,
                    "smsc_leaseowner": "part-1f2e", "smsc_name": '{"lease":2,"reason":"Octopush: HTTP 503"}'}]})
    server.expect_oneshot_request(f"{API}/smsc_sendledgers", method="POST").respond_with_json(
        {"error": {"code": "0x80060892", "message": "A record with matching key values already exists."}}, status=412)
    leases = DataverseLeases(crm)

    lease = leases.read(KEY)
    assert (lease.state, lease.reason, lease.etag) == (LeaseState.FAILED, "Octopush: HTTP 503", 'W/"9"')
    assert lease.id == ROW_ID
    with pytest.raises(Conflict):
        leases.create(Lease(KEY, LeaseState.HELD, "part-other", None))

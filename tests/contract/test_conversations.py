"""What the inbound side sends to the Web API (connector.crm.conversations on the real DataverseClient,
pytest-httpserver): the query of the SMS a reply answers, and the incoming activity as created."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from werkzeug.wrappers import Response

from connector.crm.auth import StaticTokenCredential
from connector.crm.conversations import DataverseConversations
from connector.crm.dataverse import DataverseClient
from connector.repositories.conversations import IncomingSms, OutgoingSms
from connector.repositories.sms_activities import RowRef

TOKEN = "contract-token"
API = "/api/data/v9.2"
ACTIVITY = "aed2ae8b-3c94-ed11-aad1-000d3a9933c9"
ACCOUNT = "acc00000-0000-4000-8000-000000000001"
CAMPAIGN = "ca000000-0000-4000-8000-000000000003"
NUMBER = "+33649819006"
SINCE = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
LOOKUP = "@Microsoft.Dynamics.CRM.lookuplogicalname"


def conversations(server) -> DataverseConversations:
    return DataverseConversations(DataverseClient(server.url_for("/"), StaticTokenCredential(TOKEN), timeout=5))


def test_the_sms_answered_is_the_latest_sent_to_the_number_under_the_ticket_with_its_campaigns_close(server):
    select = ("activityid,actualend,createdon,smsc_phonenumber,smsc_providermessageid,_regardingobjectid_value,"
              "_smsc_campaignid_value")
    expand = ("smsc_textmessage_activity_parties($select=participationtypemask,_partyid_value,addressused),"
              "smsc_CampaignId($select=smsc_closedon,actualstart)")
    base = (f"smsc_phonenumber eq '{NUMBER}' and (smsc_direction eq 1 or smsc_direction eq null)"
            " and smsc_providermessageid eq 'sms_1'")
    server.expect_ordered_request(f"{API}/smsc_textmessages", method="GET", query_string={
        "$select": select, "$filter": f"{base} and actualend ge 2026-11-30T12:00:00Z",
        "$orderby": "actualend desc,createdon desc", "$top": "1", "$expand": expand}).respond_with_json({"value": [{
            "activityid": ACTIVITY, "actualend": "2026-12-01T09:00:00Z", "smsc_phonenumber": NUMBER,
            "smsc_providermessageid": "sms_1", "_regardingobjectid_value": ACCOUNT,
            f"_regardingobjectid_value{LOOKUP}": "account", "_smsc_campaignid_value": CAMPAIGN,
            "smsc_CampaignId": {"smsc_closedon": "2026-12-02T09:00:00Z"},
            "smsc_textmessage_activity_parties": [{"participationtypemask": 2, "_partyid_value": ACCOUNT,
                                                   f"_partyid_value{LOOKUP}": "account"}]}]})
    server.expect_ordered_request(f"{API}/smsc_textmessages", method="GET", query_string={
        "$select": select, "$filter": f"{base} and actualend eq null and _smsc_campaignid_value ne null"
                                      " and (smsc_status eq 4 or smsc_status eq 6 or smsc_status eq 7)"
                                      " and createdon ge 2026-10-30T12:00:00Z",
        "$orderby": "createdon desc", "$top": "5", "$expand": expand}).respond_with_json({"value": []})

    found = conversations(server).latest_outgoing(NUMBER, SINCE, ticket="sms_1")

    assert found == OutgoingSms(ACTIVITY, NUMBER, datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc),
                                RowRef("account", ACCOUNT), RowRef("account", ACCOUNT), CAMPAIGN,
                                datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc), "sms_1")


def test_the_incoming_activity_is_created_regarding_the_record_from_it_in_the_campaign(server):
    server.expect_request(f"{API}/smsc_textmessages", method="POST").respond_with_response(Response(
        status=204, headers={"OData-EntityId": f"{server.url_for('/')}{API}/smsc_textmessages({ACTIVITY})"}))

    sms = IncomingSms("in:ev-1", NUMBER, "Merci !", "Réponse de +33649819006",
                      datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc), RowRef("account", ACCOUNT),
                      RowRef("account", ACCOUNT), CAMPAIGN)
    assert conversations(server).create_incoming(sms) == ACTIVITY

    [(request, _)] = server.log
    assert json.loads(request.data) == {
        "subject": "Réponse de +33649819006", "description": "Merci !", "smsc_phonenumber": NUMBER,
        "smsc_direction": 2, "smsc_status": 10, "smsc_idempotencykey": "in:ev-1", "actualend": "2026-12-02T10:00:00Z",
        "regardingobjectid_account_smsc_textmessage@odata.bind": f"/accounts({ACCOUNT})",
        "smsc_textmessage_activity_parties": [{"participationtypemask": 1,
                                               "partyid_account@odata.bind": f"/accounts({ACCOUNT})"}],
        "smsc_CampaignId@odata.bind": f"/campaigns({CAMPAIGN})"}


def test_the_records_with_a_mobile_are_looked_for_in_its_written_forms(server):
    either = "mobilephone eq '+33649819006' or mobilephone eq '06 49 81 90 06'"
    for table, key in (("contacts", "contactid"), ("leads", "leadid")):
        server.expect_ordered_request(f"{API}/{table}", method="GET", query_string={
            "$select": f"{key},mobilephone", "$top": "3", "$filter": f"statecode eq 0 and ({either})"}
        ).respond_with_json({"value": [{key: ACCOUNT, "mobilephone": "06 49 81 90 06"}] if table == "contacts"
                             else []})

    found = conversations(server).records_with_mobile(["06 49 81 90 06", "+33649819006"])
    assert found == [(RowRef("contact", ACCOUNT), "06 49 81 90 06")]


def test_a_campaign_sms_released_without_its_own_date_counts_from_the_campaigns_start(server):
    server.expect_ordered_request(f"{API}/smsc_textmessages", method="GET").respond_with_json({"value": []})
    server.expect_ordered_request(f"{API}/smsc_textmessages", method="GET").respond_with_json({"value": [
        {"activityid": ACTIVITY, "actualend": None, "createdon": "2026-11-20T08:00:00Z", "smsc_phonenumber": NUMBER,
         "_regardingobjectid_value": ACCOUNT, f"_regardingobjectid_value{LOOKUP}": "account",
         "_smsc_campaignid_value": CAMPAIGN, "smsc_CampaignId": {"smsc_closedon": None,
                                                                 "actualstart": "2026-12-01T08:00:00Z"}}]})

    found = conversations(server).latest_outgoing(NUMBER, SINCE)
    assert found is not None and found.sent_on == found.campaign_started_on == datetime(
        2026, 12, 1, 8, 0, tzinfo=timezone.utc)

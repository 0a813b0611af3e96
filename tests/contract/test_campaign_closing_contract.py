"""The requests of the campaign figures and closing adapters against a loopback Web API
(pytest-httpserver): one aggregate FetchXML GET, the bounded query of campaigns due for closing, the
closing PATCH."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest

from connector.crm.auth import StaticTokenCredential
from connector.crm.campaign_figures import DataverseCampaignFigures
from connector.crm.campaigns import DataverseCampaigns
from connector.crm.dataverse import DataverseClient
from connector.repositories.campaign_figures import CampaignFigures, CampaignRates

API = "/api/data/v9.2"
CAMPAIGN_ID = "70bf4d48-34cb-ed11-b596-0022481d68cd"
FORMATTED = "OData.Community.Display.V1.FormattedValue"


@pytest.fixture
def server(httpserver_ipv4):
    yield httpserver_ipv4
    httpserver_ipv4.check_assertions()


@pytest.fixture
def crm(server):
    return DataverseClient(server.url_for("/"), StaticTokenCredential("token"), timeout=5)


def test_the_figures_are_one_aggregate_fetch_read_from_dataverses_aliased_rows(server, crm):
    # Dataverse's answer to an aggregate fetch: one row per group, values under their aliases.
    groups = [{"count": 112, "numbers": 110, "status": 6, f"status@{FORMATTED}": "Delivered", "direction": 1},
              {"count": 3, "numbers": 3, "status": 5, "direction": 1},
              {"count": 5, "numbers": 5, "status": 7, "direction": 1},
              {"count": 11, "numbers": 8, "status": 10, "direction": 2}]
    server.expect_oneshot_request(f"{API}/smsc_textmessages", method="GET").respond_with_json(
        {"@odata.context": "…$metadata#smsc_textmessages", "value": groups})

    assert DataverseCampaignFigures(crm).figures(CAMPAIGN_ID) == CampaignFigures(120, 112, 5, 8)

    [(request, _)] = server.log
    fetch = ET.fromstring(request.args["fetchXml"])
    assert fetch.get("aggregate") == "true"
    attributes = {a.get("alias"): a.attrib for a in fetch.iter("attribute")}
    assert attributes["count"]["aggregate"] == "count"
    assert attributes["numbers"] == {"name": "smsc_phonenumber", "alias": "numbers", "aggregate": "countcolumn",
                                     "distinct": "true"}
    assert attributes["status"]["groupby"] == "true" and attributes["direction"]["groupby"] == "true"
    conditions = {c.get("attribute"): c for c in fetch.iter("condition")}
    assert conditions["smsc_campaignid"].get("value") == CAMPAIGN_ID
    assert [v.text for v in conditions["smsc_status"]] == ["5", "6", "7", "10"]


def test_campaigns_due_for_closing_are_one_bounded_query(server, crm):
    server.expect_oneshot_request(f"{API}/campaigns", method="GET", query_string={
        "$select": "name,smsc_recipienttype,smsc_text,_smsc_templateid_value,smsc_smstype,smsc_sender,"
                   "smsc_smsstatus,smsc_action,smsc_lastresult,smsc_providerticket,actualstart,othercost,"
                   "smsc_closedon,smsc_partstotal,smsc_partsdone,smsc_partsfailed,smsc_cheapertext",
        "$filter": "smsc_smsstatus eq 5 and smsc_closedon eq null and actualstart ne null and "
                   "actualstart le 2026-11-20T10:00:00Z",
        "$orderby": "actualstart asc", "$top": "50"}).respond_with_json({"value": [
            {"campaignid": CAMPAIGN_ID, "smsc_smsstatus": 5, "actualstart": "2026-11-19T08:00:00Z"}]})

    [due] = DataverseCampaigns(crm).due_for_closing(datetime(2026, 11, 20, 10, tzinfo=timezone.utc), 50)
    assert due.id == CAMPAIGN_ID and due.start == datetime(2026, 11, 19, 8, tzinfo=timezone.utc)
    assert due.closed_on is None


def test_closing_writes_the_date_and_rates_only(server, crm):
    server.expect_oneshot_request(f"{API}/campaigns({CAMPAIGN_ID})", method="PATCH").respond_with_data(status=204)
    DataverseCampaigns(crm).close(CAMPAIGN_ID, datetime(2026, 11, 22, 8, tzinfo=timezone.utc),
                                  CampaignRates(delivery=93.3, reply=None))
    [(request, _)] = server.log
    assert json.loads(request.data) == {"smsc_closedon": "2026-11-22T08:00:00Z", "smsc_deliveryrate": 93.3,
                                        "smsc_replyrate": None}
    assert request.headers["If-Match"] == "*"

"""The statistics adapter's requests: whose time zone the CRM groups dates in (WhoAmI, then that user's
personal options and the time zone catalogue) and the aggregate FetchXML grouping days in it."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.wrappers import Response

from connector.crm import users

from connector.crm.auth import StaticTokenCredential
from connector.crm.dataverse import DataverseClient
from connector.crm.statistics import DataverseStatistics, sending_fetch
from connector.repositories.statistics import Grouping

API = "/api/data/v9.2"
USER = "7e000000-0000-4000-8000-00000000c1a1"
CALLER = "aad00000-0000-4000-8000-00000000c1a1"


@pytest.fixture(autouse=True)
def _nothing_kept():
    """The adapter keeps the caller, its options and the zone catalogue: each test asks afresh."""
    users._zones.clear()
    users.forget_user_formats()


def test_the_zone_is_the_calling_users_and_the_days_are_grouped_in_it(server):
    server.expect_ordered_request(f"{API}/WhoAmI", method="GET", headers={"CallerObjectId": CALLER}) \
        .respond_with_json({"UserId": USER, "BusinessUnitId": USER, "OrganizationId": USER})
    server.expect_ordered_request(f"{API}/usersettingscollection({USER})", method="GET", query_string={
        "$select": "uilanguageid,dateformatstring,timeformatstring,timezonecode"}) \
        .respond_with_json({"uilanguageid": 1036, "timezonecode": 105})
    server.expect_ordered_request(f"{API}/timezonedefinitions", method="GET") \
        .respond_with_json({"value": [{"standardname": "Romance Standard Time"}]})
    start, end = datetime(2026, 10, 31, 23, tzinfo=timezone.utc), datetime(2026, 11, 30, 23, tzinfo=timezone.utc)
    sent = []

    def aggregate(request):
        sent.append(parse_qs(urlsplit(request.url).query)["fetchXml"][0])
        return Response('{"value": [{"year": 2026, "month": 11, "day": 1, "count": 1, "segments": 2, '
                        '"status": 6}]}', content_type="application/json")

    server.expect_ordered_request(f"{API}/smsc_textmessages", method="GET").respond_with_handler(aggregate)
    crm = DataverseClient(server.url_for("/"), StaticTokenCredential("token"), timeout=5).impersonate(CALLER)
    source = DataverseStatistics(crm)
    assert source.time_zone() == "Europe/Paris"
    assert source.sending(start, end, Grouping.DAY)["2026-11-01"].value.sms == 2
    fetch = ET.fromstring(sent[0])
    grouped = [a for a in fetch.iter("attribute") if a.get("dategrouping")]
    assert [a.get("dategrouping") for a in grouped] == ["year", "month", "day"]
    assert all("usertimezone" not in a.attrib for a in grouped)          # Dataverse's default: the user's zone
    assert [c.get("value") for c in fetch.iter("condition") if c.get("attribute") == "createdon"] == [
        "2026-10-31T23:00:00Z", "2026-11-30T23:00:00Z"]


def test_a_day_grouping_fetch_names_no_utc_override():
    text = sending_fetch(datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 12, 1, tzinfo=timezone.utc),
                         Grouping.MONTH)
    assert "usertimezone" not in text and 'dategrouping="month"' in text

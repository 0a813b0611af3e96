"""Aggregate FetchXML on the Dataverse emulator, as a client sends it (`GET <set>?fetchXml=`): count,
countcolumn (distinct), sum/avg/min/max, groupby with the alias order, paging of the groups, the
aggregate record limit, and the docs' own example (accounts by number of employees)."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

import pytest

from emulators.dataverse import DataverseEmulator
from emulators.server import EmulatorServer

API = "/api/data/v9.2/"
FORMATTED = "OData.Community.Display.V1.FormattedValue"


@pytest.fixture
def emulator():
    return DataverseEmulator()


@pytest.fixture
def api(emulator, make_api):
    with EmulatorServer(emulator) as server:
        yield make_api(server.url + API)


def fetch(api, entity_set: str, xml: str, **kw):
    return api.get(f"{entity_set}?fetchXml={quote(xml, safe='')}", **kw)


def sms(emulator, campaign_id: str, status: int, number: str, direction: int = 1) -> str:
    return emulator.insert("smsc_textmessages", {
        "subject": "SMS", "smsc_status": status, "smsc_direction": direction, "smsc_phonenumber": number,
        "smsc_CampaignId@odata.bind": f"/campaigns({campaign_id})"})


@pytest.fixture
def campaign(emulator):
    """5 sent (3 delivered, 1 undeliverable, 1 sent), 3 replies from 2 numbers, and another campaign's SMS."""
    campaign_id = emulator.insert("campaigns", {"name": "Figures"})
    other = emulator.insert("campaigns", {"name": "Other"})
    for n, status in enumerate([6, 6, 6, 7, 5]):
        sms(emulator, campaign_id, status, f"+3360000000{n}")
    for number in ("+33600000000", "+33600000000", "+33600000001"):
        sms(emulator, campaign_id, 10, number, direction=2)
    sms(emulator, other, 6, "+33600000009")
    return campaign_id


def by_status(campaign_id: str, extra: str = "") -> str:
    return (f"<fetch aggregate='true'{extra}><entity name='smsc_textmessage'>"
            "<attribute name='activityid' alias='count' aggregate='count'/>"
            "<attribute name='smsc_phonenumber' alias='numbers' aggregate='countcolumn' distinct='true'/>"
            "<attribute name='smsc_status' alias='status' groupby='true'/><order alias='status'/>"
            f"<filter><condition attribute='smsc_campaignid' operator='eq' value='{campaign_id}'/></filter>"
            "</entity></fetch>")


def test_count_and_distinct_countcolumn_grouped_by_a_choice(api, campaign):
    answer = fetch(api, "smsc_textmessages", by_status(campaign),
                   headers={"Prefer": f'odata.include-annotations="{FORMATTED}"'})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["@odata.context"].endswith("$metadata#smsc_textmessages")
    assert [{k: v for k, v in row.items() if "@" not in k} for row in body["value"]] == [
        {"count": 1, "numbers": 1, "status": 5}, {"count": 3, "numbers": 3, "status": 6},
        {"count": 1, "numbers": 1, "status": 7}, {"count": 3, "numbers": 2, "status": 10}]
    assert body["value"][1][f"status@{FORMATTED}"] == "Delivered"
    assert "@odata.etag" not in body["value"][0] and "activityid" not in body["value"][0]


def test_descending_alias_order_and_paging_of_the_groups(api, campaign):
    xml = by_status(campaign, " count='2' page='1'").replace("<order alias='status'/>",
                                                            "<order alias='status' descending='true'/>")
    more = {"Prefer": 'odata.include-annotations="Microsoft.Dynamics.CRM.morerecords"'}
    first = fetch(api, "smsc_textmessages", xml, headers=more).json()
    assert [r["status"] for r in first["value"]] == [10, 7]
    assert first["@Microsoft.Dynamics.CRM.morerecords"] is True
    second = fetch(api, "smsc_textmessages", xml.replace("page='1'", "page='2'"), headers=more).json()
    assert [r["status"] for r in second["value"]] == [6, 5] and "@Microsoft.Dynamics.CRM.morerecords" not in second


def test_without_groups_one_row_and_nulls_are_not_counted(api, emulator):
    """As the docs' example: count counts rows, countcolumn the rows with data (distinct: unique ones)."""
    campaign_id = emulator.insert("campaigns", {"name": "Segments"})
    for segments in (None, 1, 2, 2, 6):
        emulator.update("smsc_textmessages", sms(emulator, campaign_id, 5, "+33600000000"),
                        {"smsc_segments": segments})
    xml = ("<fetch aggregate='true'><entity name='smsc_textmessage'>"
           "<attribute name='smsc_segments' alias='Count' aggregate='count'/>"
           "<attribute name='smsc_segments' alias='ColumnCount' aggregate='countcolumn'/>"
           "<attribute name='smsc_segments' alias='Distinct' aggregate='countcolumn' distinct='true'/>"
           "<attribute name='smsc_segments' alias='Sum' aggregate='sum'/>"
           "<attribute name='smsc_segments' alias='Average' aggregate='avg'/>"
           "<attribute name='smsc_segments' alias='Minimum' aggregate='min'/>"
           "<attribute name='smsc_segments' alias='Maximum' aggregate='max'/>"
           f"<filter><condition attribute='smsc_campaignid' operator='eq' value='{campaign_id}'/></filter>"
           "</entity></fetch>")
    [row] = fetch(api, "smsc_textmessages", xml).json()["value"]
    assert row == {"Count": 5, "ColumnCount": 4, "Distinct": 3, "Sum": 11, "Average": 2, "Minimum": 1, "Maximum": 6}


def test_an_empty_selection_counts_zero(api, emulator):
    xml = by_status("00000000-0000-0000-0000-000000000001").replace(
        "<attribute name='smsc_status' alias='status' groupby='true'/><order alias='status'/>", "")
    assert fetch(api, "smsc_textmessages", xml).json()["value"] == [{"count": 0, "numbers": 0}]


@pytest.mark.parametrize("xml, status, text", [
    ("<fetch aggregate='true'><entity name='smsc_textmessage'><attribute name='smsc_status' aggregate='count'/>"
     "</entity></fetch>", 400, "needs an alias"),
    ("<fetch aggregate='true'><entity name='smsc_textmessage'><attribute name='smsc_status' alias='s'/>"
     "</entity></fetch>", 400, "either an aggregate function or groupby"),
    ("<fetch aggregate='true'><entity name='smsc_textmessage'>"
     "<attribute name='smsc_status' alias='s' aggregate='median'/></entity></fetch>", 400, "not an aggregate function"),
    ("<fetch aggregate='true'><entity name='smsc_textmessage'>"
     "<attribute name='smsc_phonenumber' alias='s' aggregate='sum'/></entity></fetch>", 400, "cannot be"),
    ("<fetch aggregate='true'><entity name='smsc_textmessage'>"
     "<attribute name='nosuch' alias='s' aggregate='count'/></entity></fetch>", 400, "doesn't contain attribute"),
    ("<fetch aggregate='true'><entity name='smsc_textmessage'><attribute name='activityid' alias='c' "
     "aggregate='count'/><order attribute='smsc_status'/></entity></fetch>", 400, "orders by the alias"),
    ("<fetch aggregate='true'><entity name='smsc_textmessage'><attribute name='createdon' alias='d' "
     "groupby='true' dategrouping='fiscal-year' usertimezone='false'/>"
     "<attribute name='activityid' alias='c' aggregate='count'/></entity></fetch>", 501, "fiscal"),
    ("<fetch aggregate='true'><entity name='smsc_textmessage'><attribute name='createdon' alias='d' "
     "groupby='true' dategrouping='fortnight' usertimezone='false'/>"
     "<attribute name='activityid' alias='c' aggregate='count'/></entity></fetch>", 400, "not a dategrouping"),
    ("<fetch aggregate='true'><entity name='smsc_textmessage'><attribute name='smsc_segments' alias='d' "
     "groupby='true' dategrouping='day' usertimezone='false'/>"
     "<attribute name='activityid' alias='c' aggregate='count'/></entity></fetch>", 400, "cannot be grouped by date"),
])
def test_malformed_aggregates_are_refused_naming_the_problem(api, xml, status, text):
    answer = fetch(api, "smsc_textmessages", xml)
    assert answer.status_code == status and text in answer.json()["error"]["message"]


def test_more_rows_than_the_aggregate_limit_is_dataverses_error(api, campaign):
    answer = fetch(api, "smsc_textmessages", by_status(campaign, " aggregatelimit='7'"))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "0x8004E023"
    assert "AggregateQueryRecordLimit exceeded" in answer.json()["error"]["message"]
    assert fetch(api, "smsc_textmessages", by_status(campaign, " aggregatelimit='8'")).status_code == 200


def test_a_link_entity_filters_the_aggregated_rows(api, campaign):
    xml = ("<fetch aggregate='true'><entity name='smsc_textmessage'>"
           "<attribute name='activityid' alias='count' aggregate='count'/>"
           "<link-entity name='campaign' from='campaignid' to='smsc_campaignid'>"
           "<filter><condition attribute='name' operator='eq' value='Figures'/></filter></link-entity>"
           "</entity></fetch>")
    assert fetch(api, "smsc_textmessages", xml).json()["value"] == [{"count": 8}]


def test_date_grouping_by_day_week_month_quarter_year_in_utc(api, emulator):
    """The docs' example: 25 March 2023 is day 25, week 12, month 3; 27 August 2023 (a Sunday) is week
    35 (weeks start on Sunday, week 1 holds 1 January); 1 January 2022 (a Saturday) is week 1 and
    2 January 2022 (Sunday) week 2."""
    from emulators.dataverse_seed_hooks import backdate

    campaign_id = emulator.insert("campaigns", {"name": "Dates"})
    for stamp in ("2023-03-25T10:00:00", "2023-03-25T23:59:59", "2023-08-27T00:00:00", "2022-01-01T12:00:00",
                  "2022-01-02T12:00:00"):
        backdate(emulator, "smsc_textmessages", sms(emulator, campaign_id, 5, "+336"),
                 datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc))
    parts = "".join(f"<attribute name='createdon' alias='{part}' groupby='true' dategrouping='{part}' "
                    "usertimezone='false'/>" for part in ("year", "quarter", "month", "week", "day"))
    xml = (f"<fetch aggregate='true'><entity name='smsc_textmessage'>{parts}"
           "<attribute name='activityid' alias='count' aggregate='count'/>"
           "<order alias='year'/><order alias='month'/><order alias='day'/></entity></fetch>")
    rows = fetch(api, "smsc_textmessages", xml).json()["value"]
    assert rows == [{"year": 2022, "quarter": 1, "month": 1, "week": 1, "day": 1, "count": 1},
                    {"year": 2022, "quarter": 1, "month": 1, "week": 2, "day": 2, "count": 1},
                    {"year": 2023, "quarter": 1, "month": 3, "week": 12, "day": 25, "count": 2},
                    {"year": 2023, "quarter": 3, "month": 8, "week": 35, "day": 27, "count": 1}]


def test_date_grouping_follows_the_calling_users_time_zone_unless_usertimezone_is_false(api, emulator):
    """An SMS sent at 23:30 UTC on 31 October counts on 1 November for a Paris user (Claire Martin,
    Romance Standard Time, UTC+1 then), on 31 October in UTC; the app user (GMT Standard Time: London,
    UTC+0 in winter) sees it on the 31st as well."""
    from emulators import dataverse_seed as seed
    from emulators.dataverse_seed_hooks import backdate

    campaign_id = emulator.insert("campaigns", {"name": "Midnight"})
    backdate(emulator, "smsc_textmessages", sms(emulator, campaign_id, 5, "+336"),
             datetime(2026, 10, 31, 23, 30, tzinfo=timezone.utc))
    backdate(emulator, "smsc_textmessages", sms(emulator, campaign_id, 5, "+337"),     # summer time: UTC+2
             datetime(2026, 7, 31, 22, 30, tzinfo=timezone.utc))

    def days(user_time_zone: str, **headers) -> list[tuple[int, int]]:
        parts = "".join(f"<attribute name='createdon' alias='{part}' groupby='true' dategrouping='{part}'"
                        f"{user_time_zone}/>" for part in ("month", "day"))
        xml = (f"<fetch aggregate='true'><entity name='smsc_textmessage'>{parts}"
               "<attribute name='activityid' alias='count' aggregate='count'/><order alias='month'/>"
               f"<filter><condition attribute='smsc_campaignid' operator='eq' value='{campaign_id}'/></filter>"
               "</entity></fetch>")
        answer = fetch(api, "smsc_textmessages", xml, headers=headers)
        assert answer.status_code == 200, answer.text
        return [(row["month"], row["day"]) for row in answer.json()["value"]]

    paris = {"CallerObjectId": seed.CLAIRE_MARTIN_AAD}
    assert days("", **paris) == [(8, 1), (11, 1)]
    assert days(" usertimezone='false'", **paris) == [(7, 31), (10, 31)]
    assert days("") == [(7, 31), (10, 31)]


def test_a_grouped_lookup_carries_its_row_name_and_table(api, emulator, campaign):
    xml = ("<fetch aggregate='true'><entity name='smsc_textmessage'>"
           "<attribute name='activityid' alias='count' aggregate='count'/>"
           "<attribute name='smsc_campaignid' alias='campaign' groupby='true'/>"
           "<order alias='count' descending='true'/></entity></fetch>")
    rows = fetch(api, "smsc_textmessages", xml, headers={"Prefer": 'odata.include-annotations="*"'}).json()["value"]
    assert rows[0] == {"count": 8, "campaign": campaign, f"campaign@{FORMATTED}": "Figures",
                       "campaign@Microsoft.Dynamics.CRM.lookuplogicalname": "campaign"}
    assert rows[1]["campaign@" + FORMATTED] == "Other" and rows[1]["count"] == 1
    plain = fetch(api, "smsc_textmessages", xml).json()["value"]
    assert plain[0] == {"count": 8, "campaign": campaign}

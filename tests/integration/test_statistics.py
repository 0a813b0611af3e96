"""Statistics on the emulators: a seeded month (three users, two templates, two campaigns, delivered,
undeliverable, failed and sent SMS, replies, STOP opt-outs, and SMS just outside the month) counted
by the CRM's aggregates equals a hand count of the seed list; the CRM requests do not grow with the
month's volume; `smsc stats` (table, JSON, chart, bad input) and GET /api/stats."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone

import pytest

from connector.bootstrap import get_services, statistics
from connector.campaigns.figures import percent
from connector.statistics import By, Period
from emulators import dataverse_seed as seed
from emulators.dataverse_seed_sms import SeededSms, seed_sms, seed_stops
from functions.local_host import invoke
from smsc.cli import main

NOV = Period(date(2026, 11, 1), date(2026, 11, 30))
USERS = (seed.CLAIRE_MARTIN_ID, seed.JOHN_BAKER_ID, seed.APP_USER_ID)
TEMPLATES = (seed.TEMPLATE_ORDER_ID, seed.TEMPLATE_REMINDER_ID, None)
CAMPAIGNS = (seed.CAMPAIGN_ORDERS_ID, None, seed.CAMPAIGN_MIXED_ID, None)
STATUSES = (6, 6, 6, 7, 5, 8, 6, 6, 7)
LEFT = {5, 6, 7}


def month_of_sms(n: int = 240) -> list[SeededSms]:
    """`n` outgoing SMS spread evenly over November 2026, 20 replies, and three SMS just outside it."""
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    rows = [SeededSms(start + timedelta(days=30) * i / n, STATUSES[i % len(STATUSES)], USERS[i % 3],
                      number=f"+336000{i:05d}", segments=1 + i % 3, cost=round(0.045 * (1 + i % 3), 3),
                      sms_type=1 + i % 2, template=TEMPLATES[i % 5 % 3], campaign=CAMPAIGNS[i % 4])
            for i in range(n)]
    # Replies: a number may answer twice; some are threaded to a campaign.
    rows += [SeededSms(start + timedelta(hours=7 + 31 * i), 10, seed.APP_USER_ID, number=f"+336000{i % 9:05d}",
                       direction=2, campaign=CAMPAIGNS[i % 4]) for i in range(20)]
    # Just outside the month: never counted.
    rows += [SeededSms(start - timedelta(seconds=1), 6, seed.CLAIRE_MARTIN_ID, template=seed.TEMPLATE_ORDER_ID),
             SeededSms(start + timedelta(days=30), 6, seed.CLAIRE_MARTIN_ID, template=seed.TEMPLATE_ORDER_ID),
             SeededSms(start + timedelta(days=30), 10, seed.APP_USER_ID, direction=2)]
    return rows


STOPS = [(f"+3361000000{i}", datetime(2026, 11, 3 + 5 * i, 12, tzinfo=timezone.utc)) for i in range(4)] + [
    ("+33610000009", datetime(2026, 10, 31, 23, 0, tzinfo=timezone.utc))]


@pytest.fixture
def month(stack):
    rows = month_of_sms()
    seed_sms(stack.dataverse, rows)
    seed_stops(stack.dataverse, STOPS, seed.APP_USER_ID)
    return [r for r in rows if datetime(2026, 11, 1, tzinfo=timezone.utc) <= r.created
            < datetime(2026, 12, 1, tzinfo=timezone.utc)]


def hand_count(rows: list[SeededSms], key) -> dict:
    """What the SMS of `rows` add up to per `key(row)`, counted one by one."""
    found: dict = defaultdict(Counter)
    for r in rows:
        if r.direction == 1 and r.status in LEFT:
            c = found[key(r)]
            c["sent"] += 1
            c["sms"] += r.segments
            c["delivered"] += r.status == 6
            c["undeliverable"] += r.status == 7
            c["cost"] += r.cost or 0
        elif r.direction == 1 and r.status == 8:
            found[key(r)]["failed"] += 1
    return found


def replies_of(rows: list[SeededSms], key) -> dict:
    numbers: dict = defaultdict(list)
    for r in rows:
        if r.direction == 2:
            numbers[key(r)].append(r.number)
    return numbers


def test_the_month_equals_the_hand_count_in_total_and_per_user_template_campaign_type(month, stack):
    service = statistics(get_services().crm)
    total = service.view(NOV, None)["total"]
    [mine] = hand_count(month, lambda r: "all").values()
    replies = [r.number for r in month if r.direction == 2]
    stops = sum(1 for _, when in STOPS if when.month == 11)
    assert total == {"sent": mine["sent"], "sms": mine["sms"], "delivered": mine["delivered"],
                     "undeliverable": mine["undeliverable"], "failed": mine["failed"],
                     "cost": pytest.approx(mine["cost"]), "replies": len(replies), "repliers": len(set(replies)),
                     "stops": stops, "delivery_rate": percent(mine["delivered"], mine["sent"]),
                     "reply_rate": percent(len(set(replies)), mine["sent"]), "stop_rate": percent(stops, mine["sent"])}
    assert total["failed"] > 0 and total["undeliverable"] > 0 and 0 < total["delivery_rate"] < 100

    names = {seed.CLAIRE_MARTIN_ID: "Claire Martin", seed.JOHN_BAKER_ID: "John Baker",
             seed.APP_USER_ID: "# SMSC Connector", seed.TEMPLATE_ORDER_ID: "Confirmation de commande",
             seed.TEMPLATE_REMINDER_ID: "Rappel RDV", seed.CAMPAIGN_ORDERS_ID: "Confirmation commandes",
             seed.CAMPAIGN_MIXED_ID: "Campagne mixte"}
    for by, key, none in ((By.USER, lambda r: r.owner, None), (By.TEMPLATE, lambda r: r.template, "(sans modèle)"),
                          (By.CAMPAIGN, lambda r: r.campaign, "(hors campagne)"),
                          (By.TYPE, lambda r: str(r.sms_type), None)):
        view = service.view(NOV, by, "fr")
        expected = hand_count(month, key)
        got = {g["key"]: g for g in view["groups"]}
        assert set(got) == set(expected), by
        for group_key, counted in expected.items():
            group = got[group_key]
            assert (group["sent"], group["sms"], group["delivered"], group["failed"]) == (
                counted["sent"], counted["sms"], counted["delivered"], counted["failed"]), (by, group_key)
            assert group["delivery_rate"] == percent(counted["delivered"], counted["sent"])
            if by is By.TYPE:
                assert group["label"] == {"1": "Marketing", "2": "Transactionnel"}[group_key]
            else:
                assert group["label"] == (names[group_key] if group_key else none)
        if by is By.CAMPAIGN:          # a reply belongs to the campaign it is threaded to
            answered = replies_of(month, key)
            assert {g["key"]: g["repliers"] for g in view["groups"]} == {
                k: len(set(answered.get(k, []))) for k in got}
        else:
            assert all(g["repliers"] is None and g["reply_rate"] is None for g in view["groups"])
        sent = [g["sent"] for g in view["groups"]]
        if by in (By.USER, By.TEMPLATE, By.CAMPAIGN):
            assert sent == sorted(sent, reverse=True)        # most used first


def test_days_weeks_and_months_equal_the_hand_count(month, stack):
    service = statistics(get_services().crm)
    days = service.view(NOV, By.DAY)["groups"]
    expected = hand_count(month, lambda r: r.created.date().isoformat())
    answered = replies_of(month, lambda r: r.created.date().isoformat())
    assert [g["key"] for g in days] == [(date(2026, 11, 1) + timedelta(days=n)).isoformat() for n in range(30)]
    for group in days:
        assert group["sms"] == expected[group["key"]]["sms"] and group["sent"] == expected[group["key"]]["sent"]
        assert group["repliers"] == len(set(answered.get(group["key"], [])))
    assert sum(g["stops"] for g in days) == 4 and days[2]["stops"] == 1

    weeks = service.view(NOV, By.WEEK, "en")["groups"]
    by_week = hand_count(month, lambda r: "{}-W{:02d}".format(*r.created.isocalendar()[:2]))
    assert [g["key"] for g in weeks] == [f"2026-W{w}" for w in range(44, 50)]
    assert {g["key"]: g["sms"] for g in weeks} == {k: by_week.get(k, Counter())["sms"] for k in (
        g["key"] for g in weeks)}
    assert weeks[1]["label"] == "week 45 2026"

    [november] = service.view(NOV, By.MONTH, "fr")["groups"]
    assert november["label"] == "nov. 2026" and november["sms"] == sum(c["sms"] for c in expected.values())


def aggregate_requests(stack) -> int:
    return sum(1 for r in stack.dataverse.requests if "fetchXml" in r.query)


@pytest.mark.slow
def test_the_crm_requests_do_not_grow_with_the_month(stack):
    service = statistics(get_services().crm)
    counts: dict[int, list[int]] = {}
    seeded = 0
    for size in (1_000, 10_000):
        seed_sms(stack.dataverse, month_of_sms(size - seeded)[:size - seeded])     # all within November
        seeded = size
        assert service.view(NOV, None)["total"]["sent"] + service.view(NOV, None)["total"]["failed"] == size
        counts[size] = []
        for by in (None, *By):
            before = aggregate_requests(stack)
            service.view(NOV, by)
            counts[size].append(aggregate_requests(stack) - before)
    assert counts[1_000] == counts[10_000]
    assert max(counts[1_000]) <= 3 + 6          # weekly replies: one request per week of the month


def test_smsc_stats_prints_the_table_the_json_and_draws_the_chart(month, stack, capsys, tmp_path):
    import json

    assert main(["stats", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "template", "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    # The days counted are the app user's (GMT Standard Time): the title says so, never "(UTC)".
    assert "Statistiques SMS du 2026-11-01 au 2026-11-30 (fuseau Europe/London)" in out and "Taux de réception" in out
    assert out.index("Confirmation de commande") < out.index("Rappel RDV") and "Total" in out

    assert main(["stats", "--from", "2026-11-01", "--to", "2026-11-30", "--json", "--lang", "en"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["total"] == statistics(get_services().crm).view(NOV, None, "en")["total"]

    # Without --lang, the language of the user the app runs as (the emulator's app user reads English).
    assert main(["stats", "--from", "2026-11-01", "--to", "2026-11-30"]) == 0
    assert "SMS statistics from 2026-11-01 to 2026-11-30 (time zone Europe/London)" in capsys.readouterr().out

    chart = tmp_path / "stats.png"
    assert main(["stats", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "week", "--plot", str(chart),
                 "--lang", "fr"]) == 0
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 20_000
    from PIL import Image
    with Image.open(chart) as drawn:        # the chart's title, also kept as the PNG's Title
        assert drawn.info["Title"] == "Statistiques SMS du 2026-11-01 au 2026-11-30 (fuseau Europe/London)"
    assert str(chart) in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--by", "year"], "smsc: --by must be one of user, template, campaign, type, day, week, month, not 'year'"),
    (["--from", "01/11/2026"], "smsc: --from: not a date (YYYY-MM-DD): '01/11/2026'"),
    (["--from", "2026-11-30", "--to", "2026-11-01"], "smsc: --from (2026-11-30) is after --to (2026-11-01)"),
    (["--plot", "chart.svg"], "smsc: --plot: the chart is written as PNG; name the file *.png, not 'chart.svg'"),
    (["--to", "9999-12-31"], "smsc: --to: 9999-12-31 is outside the days the CRM stores (1753-01-01 to 9999-12-30)"),
    (["--from", "0001-01-01", "--to", "0001-01-02"],
     "smsc: --from: 0001-01-01 is outside the days the CRM stores (1753-01-01 to 9999-12-30)"),
])
def test_smsc_stats_refuses_bad_input_in_one_line(stack, capsys, argv, message):
    before = aggregate_requests(stack)
    assert main(["stats", *argv]) == 2
    assert capsys.readouterr().err.splitlines() == [message]
    assert aggregate_requests(stack) == before


def test_get_api_stats_answers_the_same_figures_and_names_a_bad_parameter(month, stack):
    headers = {"x-smsc-webhook-key": stack.webhook_key}
    response = invoke("GET", "stats", headers=headers,
                      params={"from": "2026-11-01", "to": "2026-11-30", "by": "campaign", "lang": "fr"})
    assert response.status == 200
    assert response.json() == statistics(get_services().crm).view(NOV, By.CAMPAIGN, "fr")
    assert response.json()["by"] == "campaign" and response.json()["time_zone"] == "Europe/London"   # the app user
    for params, named in (({"by": "year"}, "by must be"), ({"from": "2026-13-01"}, "from: not a date"),
                          ({"to": "x"}, "to: not a date"), ({"lang": "de"}, "lang must be"),
                          ({"to": "9999-12-31"}, "to: 9999-12-31 is outside the days the CRM stores"),
                          ({"from": "0001-01-01", "to": "0001-01-02"}, "from: 0001-01-01 is outside")):
        bad = invoke("GET", "stats", headers=headers, params=params)
        assert bad.status == 400 and bad.json()["error"]["code"] == "bad_input"
        assert named in bad.json()["error"]["message"]
    assert invoke("GET", "stats", params={"by": "user"}).status == 401
    for first, last in (("1753-01-01", "1753-01-31"), ("9999-12-01", "9999-12-30")):     # the CRM's first and last days
        for by in ("day", "week", "month", "user"):
            edge = invoke("GET", "stats", headers=headers, params={"from": first, "to": last, "by": by})
            assert edge.status == 200 and edge.json()["total"]["sent"] == 0


def test_the_solution_charts_run_as_aggregate_fetches_on_the_seeded_month(month, stack):
    """Each chart's FetchXML, as the package writes it, is an aggregate the CRM answers (months of the
    calling user's time zone, as a dashboard shows them) and its groups add up to the hand count."""
    import xml.etree.ElementTree as ET

    from solution.definition import DEFINITION
    from solution.package import chart_data

    crm = get_services().crm
    answers = {}
    for chart in DEFINITION.charts:
        fetch = chart_data(chart).find("fetchcollection/fetch")
        fetch.attrib.pop("count", None)             # the client pages; the top rule is the order
        answers[chart.name.en] = list(crm.fetch_xml("smsc_textmessages", ET.tostring(fetch, encoding="unicode")))
    sent = [r for r in month if r.direction == 1 and r.status in LEFT]
    assert sum(g["aggregate_column"] for g in answers["SMS sent per month"]) == sum(r.segments for r in sent) + 2  # + the two outside November
    by_status = {g["groupby_column"]: g["aggregate_column"] for g in answers["Delivery rate (by status)"]}
    assert by_status[6] == sum(1 for r in sent if r.status == 6) + 2       # + the two delivered outside November
    templates = [g["aggregate_column"] for g in answers["Most used templates"]]
    assert templates == sorted(templates, reverse=True)
    assert sum(g["aggregate_column"] for g in answers["Replies per month"]) == sum(
        1 for r in month if r.direction == 2) + 1


def test_days_are_the_calling_users_local_days(stack):
    """An SMS sent at 23:30 UTC on 31 October counts on 1 November for a Paris user (Claire Martin, whose
    personal options say Romance Standard Time), on 31 October for the app user (GMT Standard Time):
    the CRM groups in the caller's zone and the period's bounds are that caller's midnights."""
    seed_sms(stack.dataverse, [SeededSms(datetime(2026, 10, 31, 23, 30, tzinfo=timezone.utc), 6, seed.APP_USER_ID)])
    crm = get_services().crm
    days = Period(date(2026, 10, 31), date(2026, 11, 1))
    paris = statistics(crm.impersonate(seed.CLAIRE_MARTIN_AAD)).view(days, By.DAY)
    assert paris["time_zone"] == "Europe/Paris"
    assert [(g["key"], g["sent"]) for g in paris["groups"]] == [("2026-10-31", 0), ("2026-11-01", 1)]
    london = statistics(crm).view(days, By.DAY)
    assert london["time_zone"] == "Europe/London"
    assert [(g["key"], g["sent"]) for g in london["groups"]] == [("2026-10-31", 1), ("2026-11-01", 0)]
    first = Period(date(2026, 11, 1), date(2026, 11, 1))          # the bounds follow: 1 November alone
    assert statistics(crm.impersonate(seed.CLAIRE_MARTIN_AAD)).view(first, None)["total"]["sent"] == 1
    assert statistics(crm).view(first, None)["total"]["sent"] == 0

"""The statistics service on the in-memory source: periods, weeks, rates, what is attributed where,
and the bad input it refuses."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from connector.errors import BadInput
from connector.statistics import By, Period, Statistics, by_of, period_of
from tests.fakes.statistics import FakeStatistics, Sms

NOV = Period(date(2026, 11, 1), date(2026, 11, 30))


def test_the_default_period_is_this_month_to_today_and_bad_dates_name_their_parameter():
    assert period_of(None, None, date(2026, 11, 17)) == Period(date(2026, 11, 1), date(2026, 11, 17))
    assert period_of("2026-10-03", None, date(2026, 11, 17)) == Period(date(2026, 10, 3), date(2026, 11, 17))
    assert period_of(None, "2026-10-20", date(2026, 11, 17)) == Period(date(2026, 10, 1), date(2026, 10, 20))
    with pytest.raises(BadInput, match=r"^--from: not a date"):
        period_of("17/11/2026", None, date(2026, 11, 17), prefix="--")
    with pytest.raises(BadInput, match=r"^from \(2026-11-18\) is after to \(2026-11-01\)"):
        period_of("2026-11-18", "2026-11-01", date(2026, 11, 17))
    with pytest.raises(BadInput, match="more than"):
        period_of("2020-01-01", "2026-01-01", date(2026, 11, 17))
    with pytest.raises(BadInput, match=r"^by must be one of user, template, campaign, type, day, week, month"):
        by_of("year")
    assert by_of("Template") is By.TEMPLATE and by_of(None) is None


def test_days_the_crm_cannot_store_are_refused_by_name_and_its_first_day_stays_in_range():
    """Dataverse keeps dates from 1753-01-01 to 9999-12-31: a period's end is the midnight after its last
    day, so 9999-12-30 is the last day one may ask for (9999-12-31 overflowed: a 500)."""
    with pytest.raises(BadInput, match=r"^--to: 9999-12-31 is outside the days the CRM stores "
                                       r"\(1753-01-01 to 9999-12-30\)$"):
        period_of(None, "9999-12-31", date(2026, 11, 17), prefix="--")
    with pytest.raises(BadInput, match=r"^from: 0001-01-01 is outside the days the CRM stores"):
        period_of("0001-01-01", "0001-01-02", date(2026, 11, 17))
    with pytest.raises(BadInput, match=r"^from: 1752-12-31 is outside"):
        period_of("1752-12-31", "1753-01-02", date(2026, 11, 17))
    last = period_of("9999-12-01", "9999-12-30", date(2026, 11, 17))
    assert replace(last, zone="Pacific/Pago_Pago").end == datetime(9999, 12, 31, 11, tzinfo=timezone.utc)
    first = replace(period_of("1753-01-01", "1753-01-02", date(2026, 11, 17)), zone="Europe/Paris")
    assert first.start == datetime(1753, 1, 1, tzinfo=timezone.utc)     # Paris's midnight was before it


def test_totals_and_rates_follow_the_campaign_rules():
    source = FakeStatistics([Sms(date(2026, 11, 2), 6, "+1", segments=2, cost=0.1),
                             Sms(date(2026, 11, 2), 6, "+2", cost=0.05), Sms(date(2026, 11, 3), 7, "+3"),
                             Sms(date(2026, 11, 3), 8, "+4"), Sms(date(2026, 11, 4), 10, "+1"),
                             Sms(date(2026, 11, 5), 10, "+1"), Sms(date(2026, 12, 1), 6, "+9")],
                            stops=[date(2026, 11, 4)])
    total = Statistics(source).view(NOV, None)["total"]
    assert total == {"sent": 3, "sms": 4, "delivered": 2, "undeliverable": 1, "failed": 1, "cost": 0.15,
                     "replies": 2, "repliers": 1, "stops": 1, "delivery_rate": 66.7, "reply_rate": 33.3,
                     "stop_rate": 33.3}


def test_weeks_are_iso_weeks_folded_from_days_with_one_replies_request_per_week():
    source = FakeStatistics([Sms(date(2026, 11, 1), 6), Sms(date(2026, 11, 2), 6), Sms(date(2026, 11, 8), 5),
                             Sms(date(2026, 11, 2), 10, "+1"), Sms(date(2026, 11, 3), 10, "+1")],
                            stops=[date(2026, 11, 3), date(2026, 11, 9)])
    view = Statistics(source).view(NOV, By.WEEK, "fr")
    weeks = [(g["key"], g["label"], g["sent"], g["repliers"], g["stops"]) for g in view["groups"]]
    assert weeks == [("2026-W44", "sem. 44 2026", 1, 0, 0), ("2026-W45", "sem. 45 2026", 2, 1, 1),
                     ("2026-W46", "sem. 46 2026", 0, 0, 1), ("2026-W47", "sem. 47 2026", 0, 0, 0),
                     ("2026-W48", "sem. 48 2026", 0, 0, 0), ("2026-W49", "sem. 49 2026", 0, 0, 0)]
    assert [c for c in source.calls if c[0] == "replies"].__len__() == 1 + 6
    assert view["total"]["stops"] == 2 and view["total"]["repliers"] == 1


def test_templates_most_used_first_and_replies_not_attributed_to_them():
    source = FakeStatistics([Sms(date(2026, 11, 2), 6, template="t1"), Sms(date(2026, 11, 2), 6, template="t2"),
                             Sms(date(2026, 11, 2), 6, template="t2"), Sms(date(2026, 11, 2), 5),
                             Sms(date(2026, 11, 3), 10)], names={"t1": "Rappel RDV", "t2": "Commande"})
    view = Statistics(source).view(NOV, By.TEMPLATE, "fr")
    assert [(g["label"], g["sent"], g["reply_rate"], g["stops"]) for g in view["groups"]] == [
        ("Commande", 2, None, None), ("(sans modèle)", 1, None, None), ("Rappel RDV", 1, None, None)]
    assert view["total"]["replies"] == 1


def test_campaigns_carry_their_replies_and_types_their_names():
    source = FakeStatistics([Sms(date(2026, 11, 2), 6, "+1", campaign="c1", sms_type=1),
                             Sms(date(2026, 11, 2), 6, "+2", campaign="c1", sms_type=2),
                             Sms(date(2026, 11, 3), 10, "+1", campaign="c1")], names={"c1": "Soldes"})
    [soldes] = Statistics(source).view(NOV, By.CAMPAIGN)["groups"]
    assert (soldes["label"], soldes["sent"], soldes["repliers"], soldes["reply_rate"]) == ("Soldes", 2, 1, 50.0)
    types = Statistics(source).view(NOV, By.TYPE, "en")["groups"]
    assert [(g["key"], g["label"]) for g in types] == [("1", "Marketing"), ("2", "Transactional")]


def test_months_are_listed_even_when_empty():
    view = Statistics(FakeStatistics([Sms(date(2026, 10, 5), 6)])).view(
        Period(date(2026, 9, 15), date(2026, 11, 2)), By.MONTH, "fr")
    assert [(g["key"], g["label"], g["sent"]) for g in view["groups"]] == [
        ("2026-09", "sept. 2026", 0), ("2026-10", "oct. 2026", 1), ("2026-11", "nov. 2026", 0)]


def test_the_period_is_made_of_the_local_days_of_the_zone_the_crm_groups_in():
    """A Paris user's November starts at 23:00 UTC on 31 October (winter time); a summer day at 22:00 UTC."""
    source = FakeStatistics([Sms(date(2026, 11, 1), 6)], zone="Europe/Paris")
    view = Statistics(source).view(NOV, By.DAY)
    assert source.bounds[0] == (datetime(2026, 10, 31, 23, tzinfo=timezone.utc),
                                datetime(2026, 11, 30, 23, tzinfo=timezone.utc))
    assert view["time_zone"] == "Europe/Paris" and view["groups"][0]["sent"] == 1
    july = Period(date(2026, 7, 1), date(2026, 7, 31), "Europe/Paris")
    assert (july.start, july.end) == (datetime(2026, 6, 30, 22, tzinfo=timezone.utc),
                                      datetime(2026, 7, 31, 22, tzinfo=timezone.utc))
    assert NOV.start == datetime(2026, 11, 1, tzinfo=timezone.utc)           # UTC: the zone by default


def test_today_is_the_crm_users_and_asked_only_when_the_period_needs_it():
    asked = []

    def today():
        asked.append(1)
        return date(2026, 11, 17)

    assert period_of("2026-11-02", "2026-11-09", today) == Period(date(2026, 11, 2), date(2026, 11, 9))
    with pytest.raises(BadInput):
        period_of("2026-13-01", None, today)
    assert not asked
    assert period_of(None, None, today) == Period(date(2026, 11, 1), date(2026, 11, 17)) and asked == [1]
    kiritimati = Statistics(FakeStatistics(zone="Pacific/Kiritimati")).today()     # UTC+14: already tomorrow
    assert kiritimati == datetime.now(timezone.utc).astimezone(ZoneInfo("Pacific/Kiritimati")).date()

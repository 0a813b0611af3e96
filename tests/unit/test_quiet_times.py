from datetime import datetime, timezone

import pytest

from connector.configuration import Configuration
from connector.quiet_times import QuietTimes, next_allowed

PARIS_WINTER = 1          # UTC+1 in November
NIGHTS = QuietTimes((20, 8))
FRENCH_RULES = QuietTimes((20, 8), sundays=True, holidays=True)


@pytest.mark.parametrize("paris_hour, expected", [
    (21, "2026-11-24T08:00:00+01:00"), (23, "2026-11-24T08:00:00+01:00"),
    (3, "2026-11-23T08:00:00+01:00"), (7, "2026-11-23T08:00:00+01:00"),
    (8, None), (12, None), (19, None),
])
def test_a_window_across_midnight_ends_at_the_next_morning(paris_hour, expected):
    moment = datetime(2026, 11, 23, paris_hour - PARIS_WINTER, 30, tzinfo=timezone.utc)
    found = next_allowed(moment, "+33649819006", NIGHTS)
    assert (found.isoformat() if found else None) == expected


def test_the_window_is_the_recipients_local_time():
    moment = datetime(2026, 11, 23, 19, 30, tzinfo=timezone.utc)        # 20:30 in Paris, 19:30 in London
    assert next_allowed(moment, "+33649819006", NIGHTS) is not None
    assert next_allowed(moment, "+447911123456", NIGHTS) is None


def test_no_window_no_wait():
    moment = datetime(2026, 11, 23, 23, 0, tzinfo=timezone.utc)
    assert next_allowed(moment, "+33649819006", None) is None
    assert next_allowed(moment, "+33649819006", QuietTimes((8, 8))) is None
    assert next_allowed(moment, "+33649819006", QuietTimes()) is None


def test_a_sunday_waits_for_monday_morning():
    sunday_noon = datetime(2026, 11, 29, 11, 0, tzinfo=timezone.utc)
    assert next_allowed(sunday_noon, "+33649819006", FRENCH_RULES).isoformat() == "2026-11-30T08:00:00+01:00"
    assert next_allowed(sunday_noon, "+33649819006", QuietTimes(sundays=True)).isoformat() == \
        "2026-11-30T00:00:00+01:00"
    assert next_allowed(sunday_noon, "+33649819006", NIGHTS) is None


def test_saturday_night_waits_past_sunday_and_a_holiday_monday():
    # Easter Monday 2026 is 6 April: Saturday 4 April at 21:00 waits for Tuesday 08:00.
    saturday_night = datetime(2026, 4, 4, 19, 0, tzinfo=timezone.utc)
    assert next_allowed(saturday_night, "+33649819006", FRENCH_RULES).isoformat() == "2026-04-07T08:00:00+02:00"


def test_bastille_day_is_held_to_the_next_morning():
    july_14 = datetime(2026, 7, 14, 10, 0, tzinfo=timezone.utc)
    assert next_allowed(july_14, "+33649819006", FRENCH_RULES).isoformat() == "2026-07-15T08:00:00+02:00"
    assert next_allowed(july_14, "+447911123456", QuietTimes(holidays=True)) is None      # not a UK holiday


def test_an_overseas_holiday_is_the_territorys_own():
    # 20 December: abolition of slavery in Réunion, an ordinary day in mainland France.
    moment = datetime(2027, 12, 20, 8, 0, tzinfo=timezone.utc)          # a Monday, noon in Réunion
    assert next_allowed(moment, "+262692123456", QuietTimes(holidays=True)) is not None
    assert next_allowed(moment, "+33649819006", QuietTimes(holidays=True)) is None


def test_quiet_times_come_from_the_configuration():
    config = Configuration(quiet_hours=(20, 8), quiet_sundays=True, quiet_holidays=True)
    assert QuietTimes.of(config) == FRENCH_RULES
    assert QuietTimes.of(Configuration()) == QuietTimes()

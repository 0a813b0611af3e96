from datetime import datetime, timezone

import pytest

from connector.quiet_hours import next_allowed

PARIS_WINTER = 1          # UTC+1 in November


@pytest.mark.parametrize("paris_hour, expected", [
    (21, "2026-11-24T08:00:00+01:00"), (23, "2026-11-24T08:00:00+01:00"),
    (3, "2026-11-23T08:00:00+01:00"), (7, "2026-11-23T08:00:00+01:00"),
    (8, None), (12, None), (19, None),
])
def test_a_window_across_midnight_ends_at_the_next_morning(paris_hour, expected):
    moment = datetime(2026, 11, 23, paris_hour - PARIS_WINTER, 30, tzinfo=timezone.utc)
    found = next_allowed(moment, "+33649819006", (20, 8))
    assert (found.isoformat() if found else None) == expected


def test_the_window_is_the_recipients_local_time():
    moment = datetime(2026, 11, 23, 19, 30, tzinfo=timezone.utc)        # 20:30 in Paris, 19:30 in London
    assert next_allowed(moment, "+33649819006", (20, 8)) is not None
    assert next_allowed(moment, "+447911123456", (20, 8)) is None


def test_no_window_no_wait():
    moment = datetime(2026, 11, 23, 23, 0, tzinfo=timezone.utc)
    assert next_allowed(moment, "+33649819006", None) is None
    assert next_allowed(moment, "+33649819006", (8, 8)) is None

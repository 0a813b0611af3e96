"""Marketing SMS wait for the end of the configured quiet hours (French rules bar commercial SMS
at night: the configuration row holds the window, e.g. 20 -> 8), in the recipient's local time.

Sundays and public holidays are not handled here (no calendar is configured): a known limit.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as number_zones


def _zone(number: str) -> ZoneInfo:
    zones = number_zones.time_zones_for_number(phonenumbers.parse(number))
    known = [z for z in zones if z != number_zones.UNKNOWN_TIMEZONE]
    return ZoneInfo(sorted(known)[-1] if known else "UTC")      # one stable pick for multi-zone numbers


def _quiet(hour: int, start: int, end: int) -> bool:
    return start <= hour < end if start < end else hour >= start or hour < end


def next_allowed(moment: datetime, number: str, quiet: tuple[int, int] | None) -> datetime | None:
    """None when `moment` is outside the quiet hours at the recipient's; else the instant they end."""
    if not quiet or quiet[0] == quiet[1]:
        return None
    start, end = quiet
    local = moment.astimezone(_zone(number))
    if not _quiet(local.hour, start, end):
        return None
    day = local.date() if local.hour < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end), tzinfo=local.tzinfo)

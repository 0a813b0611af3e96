"""Quiet times: marketing SMS wait for the end of the configured quiet hours (e.g. 20 -> 8) and
quiet days (Sundays, public holidays), in the recipient's local time and country (French rules
bar commercial SMS at night, on Sundays and public holidays — reference/octopush.md). Transactional
SMS are not held (the caller decides which SMS this applies to).

Public holidays come from the `holidays` library for the number's own country or territory
(Réunion's 20 December, Martinique's 22 May…); a country it does not know has none.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as number_zones

from connector.configuration import Configuration

SUNDAY = 6
LONGEST_WAIT_DAYS = 31          # bounded search: no configuration holds every day quiet for longer


@dataclass(frozen=True)
class QuietTimes:
    hours: tuple[int, int] | None = None      # (start hour, end hour), local time; None: no quiet hours
    sundays: bool = False
    holidays: bool = False

    @classmethod
    def of(cls, config: Configuration) -> "QuietTimes":
        return cls(config.quiet_hours, config.quiet_sundays, config.quiet_holidays)


def _number(number: str) -> phonenumbers.PhoneNumber:
    return phonenumbers.parse(number)


def _zone(parsed: phonenumbers.PhoneNumber) -> ZoneInfo:
    zones = number_zones.time_zones_for_number(parsed)
    known = [z for z in zones if z != number_zones.UNKNOWN_TIMEZONE]
    return ZoneInfo(sorted(known)[-1] if known else "UTC")      # one stable pick for multi-zone numbers


@lru_cache(maxsize=256)
def _public_holidays(region: str | None, year: int) -> frozenset[date]:
    if not region:
        return frozenset()
    import holidays         # deferred: 0.1 s of import a send without quiet holidays does not pay

    try:
        return frozenset(holidays.country_holidays(region, years=year))
    except NotImplementedError:     # a country the library does not cover
        return frozenset()


def _quiet_hour(hour: int, hours: tuple[int, int] | None) -> bool:
    if not hours or hours[0] == hours[1]:
        return False
    start, end = hours
    return start <= hour < end if start < end else hour >= start or hour < end


def _quiet_day(day: date, quiet: QuietTimes, region: str | None) -> bool:
    return (quiet.sundays and day.weekday() == SUNDAY) or (
        quiet.holidays and day in _public_holidays(region, day.year))


def next_allowed(moment: datetime, number: str, quiet: QuietTimes | None) -> datetime | None:
    """None when a marketing SMS may leave at `moment` for this number; else the first instant it may
    (local time of the recipient)."""
    if quiet is None or not (quiet.sundays or quiet.holidays or (quiet.hours and quiet.hours[0] != quiet.hours[1])):
        return None
    parsed = _number(number)
    region = phonenumbers.region_code_for_number(parsed)
    zone = _zone(parsed)
    local = moment.astimezone(zone)
    candidate = local
    for _ in range(LONGEST_WAIT_DAYS * 3):
        if _quiet_day(candidate.date(), quiet, region):
            candidate = datetime.combine(candidate.date() + timedelta(days=1), time(0), tzinfo=zone)
        elif _quiet_hour(candidate.hour, quiet.hours):
            assert quiet.hours is not None
            end = quiet.hours[1]
            day = candidate.date() if candidate.hour < end else candidate.date() + timedelta(days=1)
            candidate = datetime.combine(day, time(end), tzinfo=zone)
        else:
            return None if candidate == local else candidate
    return candidate

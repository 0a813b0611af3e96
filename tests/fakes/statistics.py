"""An in-memory StatisticsSource: counts a list of SMS and STOP days as the CRM's aggregates would."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from connector.repositories.statistics import Counted, Grouping, Replies, Sending


@dataclass(frozen=True)
class Sms:
    day: date
    status: int                 # 5 Sent, 6 Delivered, 7 Undeliverable, 8 Failed, 10 Received (a reply)
    number: str = "+33600000001"
    segments: int = 1
    cost: float = 0.0
    user: str | None = None
    template: str | None = None
    campaign: str | None = None
    sms_type: int | None = None


class FakeStatistics:
    """`day`s are local days of `zone`, the zone it groups in (as Dataverse groups in the caller's)."""

    def __init__(self, sms: list[Sms] = (), stops: list[date] = (), names: dict[str, str] | None = None,
                 zone: str = "UTC"):
        self.sms, self.stop_days, self.names, self.zone = list(sms), list(stops), dict(names or {}), zone
        self.calls: list[tuple[str, Grouping | None]] = []
        self.bounds: list[tuple[datetime, datetime]] = []

    def time_zone(self) -> str:
        return self.zone

    def _days(self, start: datetime, end: datetime) -> tuple[date, date]:
        self.bounds.append((start, end))
        zone = ZoneInfo(self.zone)
        return start.astimezone(zone).date(), end.astimezone(zone).date()

    def _key(self, day: date, row: Sms | None, by: Grouping | None) -> str | None:
        if by in (Grouping.DAY, Grouping.MONTH):
            return day.isoformat()[:10 if by is Grouping.DAY else 7]
        if by is Grouping.TYPE:
            return None if row is None or row.sms_type is None else str(row.sms_type)
        return None if by is None or row is None else getattr(row, by.value)

    def _within(self, start: datetime, end: datetime, status: set[int]) -> list[Sms]:
        first, after = self._days(start, end)
        return [s for s in self.sms if s.status in status and first <= s.day < after]

    def sending(self, start, end, by):
        self.calls.append(("sending", by))
        found: dict = {}
        for s in self._within(start, end, {5, 6, 7, 8}):
            key = self._key(s.day, s, by)
            add = Sending(failed=1) if s.status == 8 else Sending(1, s.segments, int(s.status == 6),
                                                                  int(s.status == 7), 0, s.cost)
            found[key] = Counted(self.names.get(key or ""), found[key].value + add if key in found else add)
        return found

    def replies(self, start, end, by):
        self.calls.append(("replies", by))
        groups: dict = {}
        for s in self._within(start, end, {10}):
            groups.setdefault(self._key(s.day, s, by), []).append(s.number)
        return {k: Counted(self.names.get(k or ""), Replies(len(v), len(set(v)))) for k, v in groups.items()}

    def stops(self, start, end, by):
        self.calls.append(("stops", by))
        found: dict = {}
        first, after = self._days(start, end)
        for day in (d for d in self.stop_days if first <= d < after):
            found[self._key(day, None, by)] = found.get(self._key(day, None, by), 0) + 1
        return found

"""The statistics managers look at (issue 13; seed 000 « Onglet Statistiques », seed 001's home page):
SMS sent (segments) and recipients reached, delivery rate, reply rate, STOP rate and cost over a
period, in total and per user, template (most used first), campaign, SMS type, day, week or month.

The rates are the campaigns' (connector.campaigns.figures): delivery rate = delivered / sent, reply
rate = distinct numbers that replied / recipients sent; the STOP rate = STOP opt-outs / recipients
sent. A reply belongs to a campaign (the one it is threaded to) and a day, never to a user, a template
or an SMS type; an opt-out only to a day: where a figure cannot be attributed it is None, and the
total still counts it. Days are the local days of the time zone the CRM groups dates in — the calling
user's (Dataverse's `dategrouping` default) — so the period's bounds are that zone's midnights; weeks are
ISO weeks (Monday first), folded from days; empty periods are listed with zeros, so a chart has no holes.

Every figure is counted by the CRM (StatisticsSource: a bounded number of aggregate requests, about
three to five, plus one per week of the period for the weekly replies).
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from connector.campaigns.figures import percent, rates
from connector.errors import BadInput
from connector.repositories.campaign_figures import CampaignFigures
from connector.repositories.statistics import Grouping, Replies, Sending, StatisticsSource
from connector.user_texts import say

MAX_DAYS = 3 * 366         # a longer period is a question for a data warehouse, not a dashboard
# The days a Dataverse date and time can fall on (1753-01-01 .. 9999-12-31 23:59): the last day a period
# may end on is the one before, since its end is the next midnight.
CRM_FIRST_DAY, CRM_LAST_DAY = date(1753, 1, 1), date(9999, 12, 30)
CRM_EARLIEST = datetime(1753, 1, 1, tzinfo=timezone.utc)


class By(enum.StrEnum):
    USER = "user"
    TEMPLATE = "template"
    CAMPAIGN = "campaign"
    TYPE = "type"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


PERIODS = (By.DAY, By.WEEK, By.MONTH)
REPLIES_BY = (By.CAMPAIGN, *PERIODS)
STOPS_BY = PERIODS
SMS_TYPES = {"1": "stats_type_marketing", "2": "stats_type_transactional"}


@dataclass(frozen=True)
class Period:
    first: date             # both days included
    last: date
    zone: str = "UTC"       # whose days: the IANA zone the CRM groups dates in

    @property
    def start(self) -> datetime:
        """The first day's midnight in `zone`, as a UTC instant (east of UTC, 1753-01-01's midnight is
        before the CRM's first instant: that instant then)."""
        return max(CRM_EARLIEST, datetime.combine(self.first, time(), ZoneInfo(self.zone)).astimezone(timezone.utc))

    @property
    def end(self) -> datetime:
        """The midnight after the last day in `zone`, as a UTC instant (excluded)."""
        return datetime.combine(self.last + timedelta(days=1), time(), ZoneInfo(self.zone)).astimezone(timezone.utc)


def _day(text: str | None, name: str) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"{name}: not a date (YYYY-MM-DD): {text[:40]!r}") from None
    if not CRM_FIRST_DAY <= day <= CRM_LAST_DAY:
        raise BadInput(f"{name}: {day} is outside the days the CRM stores ({CRM_FIRST_DAY} to {CRM_LAST_DAY})")
    return day


def period_of(first: str | None, last: str | None, today: date | Callable[[], date], *,
              prefix: str = "") -> Period:
    """The period asked for (`prefix`: how the caller names the parameters, `--` on the command line):
    by default from the first of this month to today (`today`: a day, or asked only when needed —
    `Statistics.today`, the CRM user's today)."""
    start, end = _day(first, f"{prefix}from"), _day(last, f"{prefix}to")
    if end is None:
        now = today() if callable(today) else today
        end = now if start is None or start <= now else start
    start = start or end.replace(day=1)
    if start > end:
        raise BadInput(f"{prefix}from ({start}) is after {prefix}to ({end})")
    if (end - start).days >= MAX_DAYS:
        raise BadInput(f"{prefix}from..{prefix}to spans more than {MAX_DAYS} days")
    return Period(start, end)


def by_of(text: str | None, *, prefix: str = "") -> By | None:
    if text is None or not text.strip():
        return None
    try:
        return By(text.strip().lower())
    except ValueError:
        raise BadInput(f"{prefix}by must be one of {', '.join(By)}, not {text[:40]!r}") from None


@dataclass(frozen=True)
class Figures:
    sent: int                   # SMS that left, one per recipient: the recipients reached
    sms: int                    # their segments: the SMS billed
    delivered: int
    undeliverable: int
    failed: int
    cost: float
    replies: int | None         # None: not attributable to this group
    repliers: int | None
    stops: int | None
    delivery_rate: float | None  # percent, one decimal; None when nothing was sent
    reply_rate: float | None
    stop_rate: float | None


def figures(sending: Sending, replies: Replies | None, stops: int | None) -> Figures:
    found = rates(CampaignFigures(sent=sending.sent, delivered=sending.delivered,
                                  undeliverable=sending.undeliverable, repliers=replies.repliers if replies else 0))
    return Figures(sending.sent, sending.sms, sending.delivered, sending.undeliverable, sending.failed,
                   round(sending.cost, 4), replies.replies if replies else None, replies.repliers if replies else None,
                   stops, found.delivery, found.reply if replies else None,
                   percent(stops, sending.sent) if stops is not None else None)


def _days(period: Period) -> Iterator[date]:
    day = period.first
    while day <= period.last:
        yield day
        day += timedelta(days=1)


def _week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def period_keys(period: Period, by: By) -> list[str]:
    """Every day (2026-11-05), ISO week (2026-W45) or month (2026-11) of the period, in order."""
    keys = (day.isoformat() if by is By.DAY else _week_key(day) if by is By.WEEK else day.isoformat()[:7]
            for day in _days(period))
    return list(dict.fromkeys(keys))


def period_label(key: str, by: By, lang: str) -> str:
    if by is By.DAY:
        day = date.fromisoformat(key)
        return day.strftime("%d/%m/%Y") if lang == "fr" else key
    if by is By.WEEK:
        year, week = key.split("-W")
        return say(lang, "stats_week", week=int(week), year=year)
    year, month = key.split("-")
    return say(lang, "stats_month", month=say(lang, "stats_months").split()[int(month) - 1], year=year)


def _fold(found: dict, by: By) -> dict:
    """Day groups into ISO weeks (additive figures only)."""
    if by is not By.WEEK:
        return found
    folded: dict = {}
    for key, value in found.items():
        week = _week_key(date.fromisoformat(key))
        folded[week] = folded[week] + value if week in folded else value
    return folded


def _grouping(by: By) -> Grouping:
    return Grouping.DAY if by is By.WEEK else Grouping(by.value)


class Statistics:
    def __init__(self, source: StatisticsSource):
        self.source = source

    def today(self) -> date:
        """Today in the zone the CRM groups dates in: the default last day of a period."""
        return datetime.now(ZoneInfo(self.source.time_zone())).date()

    def view(self, period: Period, by: By | None, lang: str = "en") -> dict:
        """The figures as JSON (GET /api/stats, smsc stats --json): the period, the total and the groups.
        The period's days are those of the zone the CRM groups in (`time_zone`: the calling user's)."""
        period = replace(period, zone=self.source.time_zone())
        start, end = period.start, period.end
        grouping = _grouping(by) if by is not None else None
        sending = self.source.sending(start, end, grouping)
        total_replies = self.source.replies(start, end, None).get(None)
        groups: list[dict] = []
        if by is None:
            stops_total = self.source.stops(start, end, None).get(None, 0)
        elif by in PERIODS:
            sent = _fold({k: v.value for k, v in sending.items()}, by)
            stops = _fold(self.source.stops(start, end, grouping), by)
            stops_total = sum(stops.values())
            replies = self._period_replies(period, by, _grouping(by))
            for key in period_keys(period, by):
                groups.append(self._group(key, period_label(key, by, lang), sent.get(key, Sending()),
                                          replies.get(key, Replies()), stops.get(key, 0)))
        else:
            stops_total = self.source.stops(start, end, None).get(None, 0)
            replies_by = self.source.replies(start, end, grouping) if by in REPLIES_BY else {}
            for row_key, counted in sending.items():
                # SMS types in the user's language; a row's name as the CRM gives it.
                label = (counted.label if by is not By.TYPE else None) or self._name(row_key, by, lang)
                answered = replies_by.get(row_key)
                groups.append(self._group(row_key, label, counted.value, (answered.value if answered else Replies())
                                          if by in REPLIES_BY else None, None))
            # Most used first: recipients, then SMS (segments); SMS types in their own order.
            groups.sort(key=lambda g: (str(g["key"]) if by is By.TYPE else "", -g["sent"], -g["sms"],
                                       g["label"].casefold()))
        total = sum((counted.value for counted in sending.values()), Sending())
        return {"from": period.first.isoformat(), "to": period.last.isoformat(), "by": by.value if by else None,
                "time_zone": period.zone, "lang": lang,
                "total": asdict(figures(total, total_replies.value if total_replies else Replies(), stops_total)),
                "groups": groups}

    def _period_replies(self, period: Period, by: By, grouping: Grouping) -> dict[str, Replies]:
        """Per day or month: one grouped request. Per ISO week: one request per week, since distinct
        repliers do not add up across days."""
        if by is not By.WEEK:
            return {str(k): v.value for k, v in self.source.replies(period.start, period.end, grouping).items()}
        found: dict[str, Replies] = {}
        for key in period_keys(period, by):
            year, week = key.split("-W")
            monday = date.fromisocalendar(int(year), int(week), 1)
            # The week's Sunday, unless the period ends before it (9999-W52's is past the last date).
            sunday = period.last if (period.last - monday).days < 6 else monday + timedelta(days=6)
            span = Period(max(monday, period.first), sunday, period.zone)
            counted = self.source.replies(span.start, span.end, None).get(None)
            found[key] = counted.value if counted else Replies()
        return found

    @staticmethod
    def _group(key: str | None, label: str, sending: Sending, replies: Replies | None, stops: int | None) -> dict:
        return {"key": key, "label": label, **asdict(figures(sending, replies, stops))}

    @staticmethod
    def _name(key: str | None, by: By, lang: str) -> str:
        if by is By.TYPE:
            return say(lang, SMS_TYPES[key]) if key in SMS_TYPES else say(lang, "stats_no_type")
        if key is None:
            return say(lang, f"stats_no_{by.value}")
        return key          # a row the CRM could not name (deleted, or not readable by the caller)

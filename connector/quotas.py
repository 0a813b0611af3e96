"""Quotas (« Contingentement », DESIGN §4 `smsc_quota`, §7) and the warning threshold, as data.

A quota row holds a mode, four limits and an enforcement. The row with no user is the default one:
users absent from the table get it, and a user's row in mode *Default* means "the default row's
quota". *Forbidden* refuses every send whatever the enforcement; *Unlimited* never limits.
Sends are counted in SMS (segments × recipients: « si le SMS envoyé contient 2 SMS et qu'il est
envoyé à 4 destinataires, ce seront 8 SMS ») and in recipients, per send and per calendar month in
the organisation's time zone (`QUOTA_TIME_ZONE`). A limit left empty or 0 is no limit (as the
guide's threshold: « si vide ou 0 alors pas de limite »); forbidding is the *Forbidden* mode's job.
Exactly at a limit is allowed; one over is not. *Warn* lets the send go with the warning; *Block*
refuses it. Workflow sends are counted but never limited (« ce SMS sera quand même envoyé »).

When quotas are off, the warning threshold (`Configuration.warn_threshold`) warns about a send
whose SMS count reaches it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from connector.configuration import Configuration
from connector.errors import SmscError
from connector.repositories.quotas import Enforcement, Limits, QuotaMode, QuotaRow, Quotas, Usage
from connector.user_texts import say

if TYPE_CHECKING:
    from connector.repositories.users import Users

__all__ = ["Enforcement", "Limits", "QuotaMode", "QuotaRow", "Usage"]     # the port's models, with their rules

# The organisation's time zone for the calendar month: the configuration has no column for it yet,
# so it is the guide's (French) organisations' one.
QUOTA_TIME_ZONE = "Europe/Paris"


@dataclass(frozen=True)
class Quota:
    """The quota that applies to a user, once the default row is taken into account."""
    mode: QuotaMode
    limits: Limits
    enforcement: Enforcement
    source: str             # "user" (their own row) or "default" (the default row, or none at all)


NO_QUOTA = Quota(QuotaMode.UNLIMITED, Limits(), Enforcement.WARN, "default")


def quota_for(own: QuotaRow | None, default: QuotaRow | None) -> Quota:
    """The user's own row unless absent or in mode Default; then the default row (none: unlimited)."""
    if own is not None and own.mode != QuotaMode.DEFAULT:
        return Quota(own.mode, own.limits, own.enforcement, "user")
    if default is None:
        return NO_QUOTA
    mode = QuotaMode.SPECIFIC if default.mode == QuotaMode.DEFAULT else default.mode
    return Quota(mode, default.limits, default.enforcement, "default")


@dataclass(frozen=True)
class Exceeded:
    """One limit gone over: a key of `user_texts` (quota_per_…) with the count and the limit."""
    key: str
    count: int
    limit: int


@dataclass(frozen=True)
class QuotaDecision:
    outcome: str                                   # ok | warn | block
    exceeded: tuple[Exceeded, ...] = ()
    forbidden: bool = False
    threshold: tuple[int, int] | None = field(default=None)   # (SMS count, threshold) reached

    @property
    def allowed(self) -> bool:
        return self.outcome != "block"

    def say(self, lang: str, *, ahead: bool = False) -> str | None:
        """What the user reads: the refusal, the warning, or None when there is nothing to say.
        `ahead`: said before the send (a campaign's simulation or preparation): it *will* be refused."""
        if self.forbidden:
            return say(lang, "quota_forbidden")
        if self.threshold is not None:
            return say(lang, "warn_threshold", count=self.threshold[0], threshold=self.threshold[1])
        if not self.exceeded:
            return None
        separator = " ; " if lang == "fr" else "; "
        limits = separator.join(say(lang, e.key, count=e.count, limit=e.limit) for e in self.exceeded)
        key = "quota_warning" if self.outcome != "block" else "quota_would_block" if ahead else "quota_blocked"
        return say(lang, key, limits=limits)


OK = QuotaDecision("ok")


def over(key: str, count: int, limit: int | None) -> list[Exceeded]:
    return [Exceeded(key, count, limit)] if limit and count > limit else []


def decide(quota: Quota, *, sms: int, recipients: int, used: Usage) -> QuotaDecision:
    """The outcome of a send of `sms` SMS to `recipients` recipients after `used` this month."""
    if quota.mode == QuotaMode.FORBIDDEN:
        return QuotaDecision("block", forbidden=True)
    if quota.mode == QuotaMode.UNLIMITED:
        return OK
    limits = quota.limits
    exceeded = (over("quota_per_send_sms", sms, limits.per_send_sms)
                + over("quota_per_send_recipients", recipients, limits.per_send_recipients)
                + over("quota_per_month_sms", used.sms + sms, limits.per_month_sms)
                + over("quota_per_month_recipients", used.recipients + recipients, limits.per_month_recipients))
    if not exceeded:
        return OK
    return QuotaDecision("block" if quota.enforcement == Enforcement.BLOCK else "warn", tuple(exceeded))


def threshold_decision(config: Configuration, sms: int) -> QuotaDecision:
    """With quotas off, a warning when the send's SMS count reaches the threshold (empty or 0: none)."""
    threshold = config.warn_threshold
    if config.quotas_enabled or not threshold or threshold <= 0 or sms < threshold:
        return OK
    return QuotaDecision("warn", threshold=(sms, threshold))


def month_window(now: datetime, zone: str = QUOTA_TIME_ZONE) -> tuple[datetime, datetime]:
    """The calendar month holding `now` in `zone`, as UTC instants [start, end)."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def remaining(limit: int | None, used: int) -> int | None:
    """What is left of a monthly limit (None: no limit), never below 0."""
    return max(limit - used, 0) if limit else None


class QuotaCheck:
    """The check of one send: the user's quota (one read) and, when a monthly limit applies, their
    consumption of the month (one aggregate); with quotas off, the warning threshold alone.
    `quotas` None (or no user: the connector itself) checks the threshold only."""

    def __init__(self, quotas: Quotas | None, clock: Callable[[], datetime], zone: str = QUOTA_TIME_ZONE):
        self.quotas, self.clock, self.zone = quotas, clock, zone

    def quota(self, user_id: str) -> Quota:
        assert self.quotas is not None
        return quota_for(*self.quotas.rows_for(user_id))

    def check(self, config: Configuration, user_id: str | None, *, sms: int, recipients: int) -> QuotaDecision:
        if not config.quotas_enabled:
            return threshold_decision(config, sms)
        if self.quotas is None or not user_id:
            return OK
        quota = self.quota(user_id)
        used = Usage()
        if quota.mode not in (QuotaMode.FORBIDDEN, QuotaMode.UNLIMITED) and (
                quota.limits.per_month_sms or quota.limits.per_month_recipients):
            used = self.quotas.month_usage(user_id, *month_window(self.clock(), self.zone))
        return decide(quota, sms=sms, recipients=recipients, used=used)


def limits_dict(limits: Limits) -> dict[str, int | None]:
    return {"per_send_sms": limits.per_send_sms or None, "per_send_recipients": limits.per_send_recipients or None,
            "per_month_sms": limits.per_month_sms or None,
            "per_month_recipients": limits.per_month_recipients or None}


def consumption(quotas: Quotas, users: Users, now: datetime, *, enabled: bool,
                zone: str = QUOTA_TIME_ZONE) -> dict[str, Any]:
    """« Voir l'état des consommations »: each user with a quota row or SMS this month, their quota,
    what they used this month (SMS, recipients) and what is left of the monthly limits."""
    start, end = month_window(now, zone)
    rows = quotas.all_rows()
    default = next((r for r in rows if r.user_id is None), None)
    own = {r.user_id.lower(): r for r in rows if r.user_id}
    used = {user.lower(): usage for user, usage in quotas.usage_by_user(start, end).items()}
    people = []
    for user_id in sorted(own.keys() | used.keys()):
        quota = quota_for(own.get(user_id), default)
        usage = used.get(user_id, Usage())
        unlimited = quota.mode in (QuotaMode.UNLIMITED, QuotaMode.FORBIDDEN)
        limits = Limits() if quota.mode == QuotaMode.UNLIMITED else quota.limits
        people.append({
            "id": user_id, "name": _name(users, user_id), "mode": quota.mode.name.lower(),
            "quota": quota.source, "enforcement": quota.enforcement.name.lower(), "limits": limits_dict(limits),
            "used": {"sms": usage.sms, "recipients": usage.recipients},
            "remaining": {"sms": 0 if quota.mode == QuotaMode.FORBIDDEN else
                          None if unlimited else remaining(limits.per_month_sms, usage.sms),
                          "recipients": 0 if quota.mode == QuotaMode.FORBIDDEN else
                          None if unlimited else remaining(limits.per_month_recipients, usage.recipients)}})
    return {"quotas_enabled": enabled, "month": start.astimezone(ZoneInfo(zone)).strftime("%Y-%m"),
            "time_zone": zone,
            "default": None if default is None else {"mode": quota_for(None, default).mode.name.lower(),
                                                     "enforcement": default.enforcement.name.lower(),
                                                     "limits": limits_dict(default.limits)},
            "users": people}


def _name(users: Users, user_id: str) -> str | None:
    try:
        return users.full_name(user_id)
    except SmscError:       # a deleted or unreadable user: their id still shows
        return None

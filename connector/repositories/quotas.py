"""The quota table (`smsc_quota`) and each user's consumption of the month, as the quota checks and
the consumption view read them (the rules themselves: `connector.quotas`)."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class QuotaMode(enum.IntEnum):
    """Values of the CRM choice `smsc_quota.smsc_mode`."""
    DEFAULT = 1
    SPECIFIC = 2
    FORBIDDEN = 3
    UNLIMITED = 4


class Enforcement(enum.IntEnum):
    """Values of the CRM choice `smsc_quota.smsc_enforcement`."""
    WARN = 1
    BLOCK = 2


@dataclass(frozen=True)
class Limits:
    """None (or 0) = no limit."""
    per_send_sms: int | None = None
    per_send_recipients: int | None = None
    per_month_sms: int | None = None
    per_month_recipients: int | None = None


@dataclass(frozen=True)
class QuotaRow:
    """One `smsc_quota` row; `user_id` None is the default row."""
    user_id: str | None
    mode: QuotaMode = QuotaMode.SPECIFIC
    limits: Limits = Limits()
    enforcement: Enforcement = Enforcement.WARN


@dataclass(frozen=True)
class Usage:
    """SMS (segments summed) and recipients (one per SMS activity) of a user in the month."""
    sms: int = 0
    recipients: int = 0


class Quotas(Protocol):
    def rows_for(self, user_id: str) -> tuple[QuotaRow | None, QuotaRow | None]:
        """(the user's own row, the default row), either None when absent, in one read."""
        ...

    def all_rows(self) -> list[QuotaRow]:
        """Every quota row, the default one included (the consumption view)."""
        ...

    def month_usage(self, user_id: str, start: datetime, end: datetime) -> Usage:
        """The user's outgoing SMS created in [start, end) that went or are going (not Draft, Send
        requested, Failed nor Cancelled): SMS = their segments summed, recipients = their count.
        Counted by the CRM (an aggregate), never by reading the activities."""
        ...

    def usage_by_user(self, start: datetime, end: datetime) -> dict[str, Usage]:
        """`month_usage` of every user who sent in [start, end), by user id."""
        ...

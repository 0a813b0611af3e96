"""The quota table (`smsc_quota`) and each user's consumption of the month, as the quota checks and
the consumption view read them (the rules themselves: `connector.quotas`)."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from connector.quotas import QuotaRow, Usage


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

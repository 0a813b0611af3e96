from datetime import datetime

from connector.repositories.quotas import QuotaRow, Usage


class FakeQuotas:
    """Quota rows, and sent SMS as (owner, created on, segments); `checks` counts month_usage calls."""

    def __init__(self, *rows: QuotaRow, sent: list[tuple[str, datetime, int]] | None = None):
        self.rows = list(rows)
        self.sent = list(sent or [])
        self.checks = 0

    def rows_for(self, user_id: str) -> tuple[QuotaRow | None, QuotaRow | None]:
        own = next((r for r in self.rows if r.user_id == user_id), None)
        return own, next((r for r in self.rows if r.user_id is None), None)

    def all_rows(self) -> list[QuotaRow]:
        return list(self.rows)

    def month_usage(self, user_id: str, start: datetime, end: datetime) -> Usage:
        self.checks += 1
        return self.usage_by_user(start, end).get(user_id, Usage())

    def usage_by_user(self, start: datetime, end: datetime) -> dict[str, Usage]:
        found: dict[str, Usage] = {}
        for owner, created, segments in self.sent:
            if start <= created < end:
                used = found.get(owner, Usage())
                found[owner] = Usage(used.sms + segments, used.recipients + 1)
        return found

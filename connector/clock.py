"""Time as the CRM writes it: aware UTC instants, `2026-11-23T09:30:00Z` on the wire."""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def odata_utc(moment: datetime) -> str:
    """An instant as a Dataverse date-time literal / column value (UTC, second precision)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(value: str) -> datetime:
    """A Dataverse date-time (`...Z`) as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))

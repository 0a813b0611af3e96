"""The SMS activity's status (DESIGN §4 `smsc_status`): what every send path reasons about.

How the activity is stored (its table, columns, parties, choice values) is the Dataverse adapter's
business: `connector.crm.sms_activities`, behind the `SmsActivities` port.
"""
from __future__ import annotations

import enum
from typing import Any


class SmsStatus(enum.IntEnum):
    DRAFT = 1
    SEND_REQUESTED = 2
    SENDING = 3
    SCHEDULED = 4
    SENT = 5
    DELIVERED = 6
    UNDELIVERABLE = 7
    FAILED = 8
    CANCELLED = 9
    RECEIVED = 10


_MOVED = frozenset({"ACTIVITY_SET", "PARTIES", "PARTY_TO", "LOOKUP_TABLE", "COLUMNS", "EXPAND_PARTIES",
                    "ENCODING_CHOICE"})


def __getattr__(name: str) -> Any:
    """Transitional: the table's names for the callers not on `SmsActivities` yet (campaigns, the
    workflow scheduler); they live in `connector.crm.sms_activities`."""
    if name in _MOVED:
        from connector.crm import sms_activities

        return getattr(sms_activities, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

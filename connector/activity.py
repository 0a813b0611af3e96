"""The SMS activity's status (DESIGN §4 `smsc_status`): what every send path reasons about.

How the activity is stored (its table, columns, parties, choice values) is the Dataverse adapter's
business: `connector.crm.sms_activities`, behind the `SmsActivities` port.
"""
from __future__ import annotations

import enum


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



def status_label(status: int | None) -> str:
    """A status as the connector's answers name it (`scheduled`), or the raw value it does not know."""
    known = SmsStatus._value2member_map_.get(status)
    return known.name.lower() if known is not None else str(status)

"""Who an SMS goes to: a contact, a lead or an account, its mobile number and what a template merges."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from connector.outgoing import SmsRejected
from connector.text.templates import FieldRefs

RECIPIENT_TABLES = ("contact", "lead", "account")
NAME_COLUMN = {"contact": "fullname", "lead": "fullname", "account": "name"}     # each one's display name


class RecipientError(SmsRejected):
    """The recipient cannot receive this SMS (wrong table, no primary contact, unknown template field)."""


@dataclass
class RecipientRecord:
    table: str
    id: str
    name: str | None
    mobile: str | None                  # an account: its primary contact's
    merge_values: dict[str, Any] = field(default_factory=dict)   # the template context (columns, lookups)
    has_primary_contact: bool = True    # False: an account without one (nothing else was read)


class Recipients(Protocol):
    def load(self, table: str, record_id: str, fields: FieldRefs | None = None) -> RecipientRecord:
        """The record with its mobile and, for `fields`, the columns and lookups a template reads.
        NotFound naming the row when it does not exist; RecipientError("unknown_field") when the
        table has no such column."""
        ...

"""The recipients of a campaign: its marketing lists (static or dynamic) read as a stream of
candidates, and the related rows (lookups) the merge fields read."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from connector.errors import BadInput
from connector.repositories.campaigns import Campaign
from connector.text.template_rules import FieldRefs


@dataclass
class Candidate:
    table: str
    id: str
    name: str | None
    raw_mobile: str | None
    row: dict[str, Any] = field(repr=False)     # the record as templates read it (record_context)
    list_name: str = ""
    no_primary_contact: bool = False


@dataclass(frozen=True)
class MarketingList:
    id: str
    name: str
    dynamic: bool


class UnknownColumn(BadInput):
    """A merge field names a column the table does not have."""
    error_code = "unknown_field"

    def __init__(self, table: str, column: str, *, consent: bool = False):
        super().__init__(f"The {table} table has no column '{column}'")
        self.table, self.column = table, column
        self.consent = consent      # the configuration's consent column, not a merge field


class CampaignRecipients(Protocol):
    def lists(self, campaign: Campaign) -> list[MarketingList]:
        """The campaign's marketing lists of its recipient type (others cannot hold its recipients)."""
        ...

    def candidates(self, campaign: Campaign, fields: FieldRefs | None, page_size: int = 5000) -> Iterator[Candidate]:
        """Every member of every list, page by page, with the columns `fields` reads; raises
        `UnknownColumn` when a merge field names a column the table does not have."""
        ...

    def lookup_target(self, row: dict[str, Any], lookup: str) -> tuple[str, str] | None:
        """(table, id) of the row a lookup column of `row` points to; None when empty."""
        ...

    def related_record(self, table: str, record_id: str, columns: Iterable[str]) -> dict[str, Any]:
        """The columns of a related row (raises `UnknownColumn` as `candidates` does)."""
        ...

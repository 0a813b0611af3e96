"""Static marketing lists and the people (contacts or leads) an import puts in them."""
from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol


class MemberTable(enum.Enum):
    """The tables a marketing list of people holds; values are the logical names."""
    CONTACT = "contact"
    LEAD = "lead"


@dataclass(frozen=True)
class MarketingList:
    id: str
    name: str
    members: MemberTable | None       # None: accounts (a list the import cannot fill)
    static: bool


@dataclass(frozen=True)
class NewPerson:
    """A contact or lead to create; `last_name` is required by Dataverse (the caller falls back on the number)."""
    mobile: str                       # E.164
    last_name: str
    first_name: str = ""
    email: str = ""
    company: str = ""                 # leads only


@dataclass(frozen=True)
class Created:
    """One create of `People.create_many`: the new id, or the CRM's reason for refusing the row."""
    id: str | None
    error: str | None = None


class MarketingLists(Protocol):
    def named(self, name: str) -> list[MarketingList]:
        """The active lists with exactly this name (names are not unique in Dataverse)."""
        ...

    def create_static(self, name: str, members: MemberTable) -> MarketingList:
        """A new static list of `members`."""
        ...

    def member_ids(self, marketing_list: MarketingList) -> Iterator[str]:
        """The ids of the list's members, page by page."""
        ...

    def add_members(self, marketing_list: MarketingList, ids: Sequence[str]) -> None:
        """Add these people (of the list's member table) to the static list, those already in it
        staying once; batched by the adapter. Raises the CRM's error when a call is refused."""
        ...


class People(Protocol):
    """Contacts or leads, by mobile number."""

    def mobiles(self, table: MemberTable) -> Iterator[tuple[str, str]]:
        """`(id, mobile number as stored)` of every row of the table with a mobile number, active rows
        first, page by page (the whole table: an index over it is as large as the CRM's table)."""
        ...

    def create_many(self, table: MemberTable, people: Sequence[NewPerson]) -> list[Created]:
        """Create the rows in batched writes: one result per person, in order."""
        ...

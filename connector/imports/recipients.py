"""Import of recipients: the people of a CSV file into a static marketing list.

The list is found by name (created static when absent, of the member table asked). People are
matched by mobile number, E.164 on both sides: the table's mobile numbers are read once, page by
page, into an index E.164 -> id (numbers.NumberIndex) — its size is bounded by the CRM's table, not
by the file; when two rows share a mobile, an active one is taken. Rows without a match are created
with `create` (names and e-mail from the file's columns; Dataverse requires a last name: the number
stands in when the file has none), 1,000 to a `$batch`; the members are added 1,000 to a call. The
list's current members are read once too, to report « already a member » rather than add twice.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from connector.configuration import Configuration
from connector.errors import BadInput
from connector.imports.csv_source import CsvSource, column_key
from connector.imports.numbers import NumberIndex
from connector.imports.report import ImportReport, Status
from connector.imports.rows import Outcome, RowChecks, chunks, report_all
from connector.repositories.marketing_lists import MarketingList, MarketingLists, MemberTable, NewPerson, People
from connector.text.phone import InvalidPhoneNumber, normalize
from connector.user_texts import say

# Header names (compared by csv_source.column_key) of the columns a created person takes.
PERSON_COLUMNS = {
    "first_name": {"prenom", "firstname", "givenname", "prenoms"},
    "last_name": {"nom", "lastname", "surname", "familyname", "nomdefamille", "name"},
    "email": {"email", "mail", "courriel", "emailaddress", "emailaddress1", "adresseemail", "adressemail"},
    "company": {"societe", "entreprise", "company", "companyname", "raisonsociale", "organisation", "organization"},
}


@dataclass
class RecipientsImported:
    """What the import found and did beyond the rows: the list, and whether it was (or would be) created."""
    report: ImportReport
    marketing_list: MarketingList | None
    list_created: bool          # True in a dry run too, when the list would be created


class RecipientsImport:
    """An import into the list named `list_name`; the list is checked at once (BadInput: a dynamic list, a
    list of another member type, two lists of that name), before anything is read from the file or written."""

    def __init__(self, lists: MarketingLists, people: People, config: Configuration, *, list_name: str,
                 table: MemberTable, create: bool = False, dry_run: bool = False):
        self.lists, self.people, self.config = lists, people, config
        self.list_name, self.table, self.create, self.dry_run = list_name, table, create, dry_run
        self.existing = _target_list(lists, list_name, table)

    def run(self, source: CsvSource, report: ImportReport,
            progress: Callable[[int], None] = lambda rows: None) -> RecipientsImported:
        lists, people, table, existing = self.lists, self.people, self.table, self.existing
        marketing_list = existing or (None if self.dry_run else lists.create_static(self.list_name, table))
        # The members as 128-bit ints, read once: bounded by the list's size. Not updated as people are
        # added: a person has one mobile, and a number comes once (duplicates are refused before).
        members = {uuid.UUID(i).int for i in lists.member_ids(existing)} if existing else set()
        index = mobile_index(people, table, self.config)
        columns = _person_columns(source.header)
        checks = RowChecks(self.config, source.width, require_mobile=True)
        noun = say("fr", f"import_person_{table.value}")
        for rows in chunks(source.rows()):
            outcomes = [checks.check(row) for row in rows]
            fields = {row.line: row.fields for row in rows}
            to_add: list[tuple[Outcome, str]] = []
            to_create: list[Outcome] = []
            for outcome in outcomes:
                if outcome.key:
                    continue
                person_id = index.get(outcome.number)
                if person_id is not None and uuid.UUID(person_id).int in members:
                    outcome.settle(Status.PRESENT, "import_member_present")
                elif person_id is not None:
                    to_add.append((outcome, person_id))
                    outcome.settle(Status.TAKEN, "import_member_added", table=noun)
                elif self.create:
                    to_create.append(outcome)
                    outcome.settle(Status.TAKEN, "import_member_created", table=noun)
                else:
                    outcome.settle(Status.REFUSED, "import_no_person", table=noun.lower())
            if marketing_list is not None and not self.dry_run:
                to_add += _create(people, table, to_create, fields, columns)
                lists.add_members(marketing_list, [person_id for _, person_id in to_add])
            report_all(report, outcomes)
            progress(report.read)
        return RecipientsImported(report, marketing_list, existing is None)


def import_recipients(source: CsvSource, lists: MarketingLists, people: People, config: Configuration,
                      report: ImportReport, *, list_name: str, table: MemberTable, create: bool = False,
                      dry_run: bool = False, progress: Callable[[int], None] = lambda rows: None
                      ) -> RecipientsImported:
    """`RecipientsImport(...).run(...)` in one call."""
    return RecipientsImport(lists, people, config, list_name=list_name, table=table, create=create,
                            dry_run=dry_run).run(source, report, progress)


def mobile_index(people: People, table: MemberTable, config: Configuration) -> NumberIndex:
    """E.164 -> id of the table's rows; mobiles that do not normalise cannot match a valid row: skipped."""
    index = NumberIndex()
    for person_id, mobile in people.mobiles(table):
        try:
            index.put(normalize(mobile, config.default_country, international_prefix=config.international_prefix),
                      person_id)
        except InvalidPhoneNumber:
            continue
    return index


def _target_list(lists: MarketingLists, name: str, table: MemberTable) -> MarketingList | None:
    if not name.strip():
        raise BadInput("give the marketing list's name (--list)", error_code="no_list_name")
    found = lists.named(name)
    if len(found) > 1:
        raise BadInput(f"{len(found)} active marketing lists are named {name!r}: rename one",
                       error_code="ambiguous_list")
    if not found:
        return None
    marketing_list = found[0]
    if not marketing_list.static:
        raise BadInput(f"the marketing list {name!r} is dynamic: its members come from its query",
                       error_code="dynamic_list")
    if marketing_list.members is not table:
        holds = marketing_list.members.value if marketing_list.members else "account"
        raise BadInput(f"the marketing list {name!r} holds {holds}s, not {table.value}s (--table)",
                       error_code="list_member_type")
    return marketing_list


def _person_columns(header: list[str] | None) -> dict[str, int]:
    """Which column of the file gives each attribute of a created person (the first header matching)."""
    columns: dict[str, int] = {}
    for position, name in enumerate(header or []):
        key = column_key(name)
        for attribute, names in PERSON_COLUMNS.items():
            if key in names:
                columns.setdefault(attribute, position)
    return columns


def _create(people: People, table: MemberTable, outcomes: list[Outcome], fields: dict[int, list[str]],
            columns: dict[str, int]) -> list[tuple[Outcome, str]]:
    """Create the people of these rows; the refused ones are settled as refused, the others returned with their id."""
    if not outcomes:
        return []

    def value(outcome: Outcome, attribute: str) -> str:
        position = columns.get(attribute)
        return fields[outcome.line][position] if position is not None else ""

    people_rows = [NewPerson(mobile=o.number, last_name=value(o, "last_name") or o.number,
                             first_name=value(o, "first_name"), email=value(o, "email"), company=value(o, "company"))
                   for o in outcomes]
    created = []
    for outcome, result in zip(outcomes, people.create_many(table, people_rows)):
        if result.id is None:
            outcome.settle(Status.REFUSED, "import_crm_refused", error=result.error or "")
        else:
            created.append((outcome, result.id))
    return created

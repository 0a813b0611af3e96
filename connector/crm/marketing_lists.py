"""Marketing lists (`list`) and their people (`contact`, `lead`) behind the ports of
connector.repositories.marketing_lists.

A static list is `type = false` with its member type in `createdfromcode` (1 account, 2 contact,
4 lead; fixed once created). Members are added with the documented unbound action
`AddListMembersList` (`{"List": {list entity}, "Members": [entities]}`), 1,000 per call; a member
already in the list stays once. People are created in `$batch` requests of 1,000 (continue-on-error).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from connector.crm.odata import odata_literal
from connector.crm.port import Crm, entity_set
from connector.repositories.marketing_lists import Created, MarketingList, MemberTable, NewPerson

LIST_SET = "lists"
ACTION = "AddListMembersList"
NAMESPACE = "Microsoft.Dynamics.CRM."
BATCH_SIZE = 1000
MEMBER_CODES = {MemberTable.CONTACT: 2, MemberTable.LEAD: 4}     # list.createdfromcode
MEMBER_NAVIGATION = {MemberTable.CONTACT: "listcontact_association", MemberTable.LEAD: "listlead_association"}
LIST_COLUMNS = ["listid", "listname", "type", "createdfromcode"]


class DataverseMarketingLists:
    def __init__(self, crm: Crm):
        self.crm = crm

    def named(self, name: str) -> list[MarketingList]:
        rows = self.crm.retrieve_multiple(LIST_SET, select=LIST_COLUMNS,
                                          filter=f"listname eq {odata_literal(name)} and statecode eq 0")
        return [_marketing_list(row) for row in rows]

    def create_static(self, name: str, members: MemberTable) -> MarketingList:
        list_id = self.crm.create(LIST_SET, {"listname": name, "type": False, "createdfromcode": MEMBER_CODES[members]})
        return MarketingList(list_id, name, members, True)

    def member_ids(self, marketing_list: MarketingList) -> Iterator[str]:
        table = _member_table(marketing_list)
        rows = self.crm.related(LIST_SET, marketing_list.id, MEMBER_NAVIGATION[table], select=[f"{table.value}id"])
        return (row[f"{table.value}id"] for row in rows)

    def add_members(self, marketing_list: MarketingList, ids: Sequence[str]) -> None:
        table = _member_table(marketing_list)
        target = {"@odata.type": f"{NAMESPACE}list", "listid": marketing_list.id}
        for start in range(0, len(ids), BATCH_SIZE):
            members = [{"@odata.type": f"{NAMESPACE}{table.value}", f"{table.value}id": member_id}
                       for member_id in ids[start:start + BATCH_SIZE]]
            self.crm.execute_action(ACTION, {"List": target, "Members": members})


class DataversePeople:
    def __init__(self, crm: Crm):
        self.crm = crm

    def mobiles(self, table: MemberTable) -> Iterator[tuple[str, str]]:
        key = f"{table.value}id"
        rows = self.crm.retrieve_multiple(entity_set(table.value), select=[key, "mobilephone"],
                                          filter="mobilephone ne null", orderby=f"statecode asc,{key} asc")
        return ((row[key], row["mobilephone"]) for row in rows if row.get("mobilephone"))

    def create_many(self, table: MemberTable, people: Sequence[NewPerson]) -> list[Created]:
        created: list[Created] = []
        for start in range(0, len(people), BATCH_SIZE):
            rows = [_person_row(table, person) for person in people[start:start + BATCH_SIZE]]
            created += [Created(result.id, result.error.message if result.error else None)
                        for result in self.crm.batch_create(entity_set(table.value), rows)]
        return created


def _person_row(table: MemberTable, person: NewPerson) -> dict[str, Any]:
    row = {"lastname": person.last_name, "firstname": person.first_name, "emailaddress1": person.email,
           "mobilephone": person.mobile}
    if table is MemberTable.LEAD:
        row["companyname"] = person.company
    return {column: value for column, value in row.items() if value}


def _marketing_list(row: dict[str, Any]) -> MarketingList:
    members = {code: table for table, code in MEMBER_CODES.items()}.get(row.get("createdfromcode") or 0)
    return MarketingList(row["listid"], row.get("listname") or "", members, not row.get("type"))


def _member_table(marketing_list: MarketingList) -> MemberTable:
    if marketing_list.members is None:
        raise ValueError(f"the list {marketing_list.name!r} holds accounts")
    return marketing_list.members

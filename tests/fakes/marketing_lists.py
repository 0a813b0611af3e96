import uuid
from collections.abc import Iterator, Sequence

from connector.repositories.marketing_lists import Created, MarketingList, MemberTable, NewPerson


class FakeMarketingLists:
    """Lists by id with their member ids; `calls` records each add_members call's size."""

    def __init__(self, *lists: MarketingList):
        self.lists = {m.id: m for m in lists}
        self.members: dict[str, list[str]] = {m.id: [] for m in lists}
        self.calls: list[int] = []

    def named(self, name: str) -> list[MarketingList]:
        return [m for m in self.lists.values() if m.name == name]

    def create_static(self, name: str, members: MemberTable) -> MarketingList:
        created = MarketingList(str(uuid.uuid4()), name, members, True)
        self.lists[created.id], self.members[created.id] = created, []
        return created

    def member_ids(self, marketing_list: MarketingList) -> Iterator[str]:
        return iter(list(self.members[marketing_list.id]))

    def add_members(self, marketing_list: MarketingList, ids: Sequence[str]) -> None:
        self.calls.append(len(ids))
        self.members[marketing_list.id] += [i for i in ids if i not in self.members[marketing_list.id]]


class FakePeople:
    """Rows of each table as {id: {"mobile": ..., **columns}}; `refuse`: last names create_many refuses."""

    def __init__(self, **tables: dict[str, dict]):
        self.rows = {table: dict(tables.get(table.value, {})) for table in MemberTable}
        self.refuse: set[str] = set()

    def mobiles(self, table: MemberTable) -> Iterator[tuple[str, str]]:
        return ((i, row["mobile"]) for i, row in self.rows[table].items() if row.get("mobile"))

    def create_many(self, table: MemberTable, people: Sequence[NewPerson]) -> list[Created]:
        results = []
        for person in people:
            if person.last_name in self.refuse:
                results.append(Created(None, "A validation error occurred."))
                continue
            new_id = str(uuid.uuid4())
            self.rows[table][new_id] = {"mobile": person.mobile, "last_name": person.last_name,
                                        "first_name": person.first_name, "email": person.email}
            results.append(Created(new_id))
        return results

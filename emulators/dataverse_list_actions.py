"""Marketing-list actions of the Dataverse emulator: `AddListMembersList` (unbound).

As documented (Web API action reference, "AddListMembersList Action"): `POST {api}/AddListMembersList`
with `{"List": {"@odata.type": "Microsoft.Dynamics.CRM.list", "listid": …}, "Members": [{"@odata.type":
"Microsoft.Dynamics.CRM.contact", "contactid": …}, …]}` adds the members to a static list and answers
204 without a body. A member already in the list is not added twice; every member must exist and be of
the list's member type (`createdfromcode`), and a dynamic list takes no member. All or nothing: one
store transaction. Links are the rows of the N:N member relationship (`listcontact_association`…),
the same the `$ref` routes of dataverse_assoc write, and the static list's `membercount` follows.
"""
from __future__ import annotations

from werkzeug.wrappers import Response

from .dataverse_assoc import MANY_TO_MANY, MEMBER_TYPES, check_member, refresh_member_count
from .dataverse_errors import BAD_PAYLOAD, GUID, ODATA_ERROR, DataverseError, not_found
from .dataverse_http import Call, request_body

NAMESPACE = "Microsoft.Dynamics.CRM."
ACTIONS = ("AddListMembersList", f"{NAMESPACE}AddListMembersList")
MAX_MEMBERS = 1000          # our bound per call, the size of a `$batch`; the docs give none


def list_action_response(call: Call) -> Response:
    if call.request.method != "POST":
        raise DataverseError(f"The {call.request.method} method is not allowed on 'AddListMembersList'.",
                             405, ODATA_ERROR)
    body = request_body(call.request)
    list_id = _entity_id(body.get("List"), "list", "List")
    members = body.get("Members")
    if not isinstance(members, list) or not members:
        raise DataverseError("Members must be a non-empty collection of crmbaseentity.", 400, BAD_PAYLOAD)
    if len(members) > MAX_MEMBERS:
        raise DataverseError(f"At most {MAX_MEMBERS} members per call, not {len(members)}.", 400, BAD_PAYLOAD)
    add_list_members(call, list_id, [_member(m) for m in members])
    return Response(status=204, headers={"OData-Version": "4.0"})


def add_list_members(call: Call, list_id: str, members: list[tuple[str, str]]) -> None:
    """Link `(logical name, id)` members to the list; those already linked are left as they are."""
    store = call.reader.store
    with store.transaction():
        found = store.get("lists", list_id)
        if found is None:
            raise not_found("list", list_id)
        member_type = MEMBER_TYPES.get(found[1].get("createdfromcode"))
        for logical, _ in members:
            check_member(found[1], logical)         # a dynamic list, or a member of another type: 400
        rel = MANY_TO_MANY[f"list{member_type}_association"]
        ids = list(dict.fromkeys(member_id for _, member_id in members))
        existing = store.get_many(f"{member_type}s", ids)
        for member_id in ids:
            if member_id not in existing:
                raise not_found(member_type or "crmbaseentity", member_id)
        store.execute("INSERT OR IGNORE INTO associations VALUES (?,?,?)",
                      ((rel.name, list_id, member_id) for member_id in ids), many=True)
        refresh_member_count(store, rel, list_id)


def _entity_id(value: object, logical: str, parameter: str) -> str:
    if not isinstance(value, dict):
        raise DataverseError(f"{parameter} must be a {logical} entity.", 400, BAD_PAYLOAD)
    typed = value.get("@odata.type")
    if typed is not None and typed.removeprefix("#") != f"{NAMESPACE}{logical}":
        raise DataverseError(f"{parameter} must be of type {NAMESPACE}{logical}, not {typed}.", 400, BAD_PAYLOAD)
    row_id = value.get(f"{logical}id")
    if not isinstance(row_id, str) or not GUID.match(row_id):
        raise DataverseError(f"{parameter} needs its {logical}id (a GUID).", 400, BAD_PAYLOAD)
    return row_id.lower()


def _member(value: object) -> tuple[str, str]:
    """`(logical name, id)` of one member: its `@odata.type` names the table (contact, lead, account)."""
    typed = value.get("@odata.type") if isinstance(value, dict) else None
    logical = typed.removeprefix("#").removeprefix(NAMESPACE) if isinstance(typed, str) else ""
    if logical not in MEMBER_TYPES.values():
        raise DataverseError("Each member needs an @odata.type of Microsoft.Dynamics.CRM.contact, lead or account.",
                             400, BAD_PAYLOAD)
    return logical, _entity_id(value, logical, "Member")

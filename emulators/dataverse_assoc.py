"""N:N relationships of the Dataverse emulator: marketing list members and campaign lists.

System N:N relationships use their SchemaName as the navigation property on both sides
(`lists(id)/listcontact_association`, `contacts(id)/listcontact_association`). Links are rows of the
store's `associations` table (relationship, entity1 id, entity2 id), indexed from both sides, so a
100,000-member list is an index range. Static lists keep `membercount` up to date, as Dataverse does.
Routes: `GET <set>(id)/<nav>` (an OData collection: $select, $filter, $orderby, $expand, paging),
`POST <set>(id)/<nav>/$ref` with `{"@odata.id": ".../<other set>(id)"}` (associate, 204),
`DELETE <set>(id)/<nav>(other id)/$ref` or `DELETE <set>(id)/<nav>/$ref?$id=<url>` (disassociate, 204).

The documented actions bound to a list make the same links: `lists(id)/Microsoft.Dynamics.CRM.AddMemberList`
(`{"EntityId"}` -> `{"Id"}`; the unbound `AddListMembersList` is dataverse_list_actions') and
`lists(id)/Microsoft.Dynamics.CRM.AddItemCampaign` (`{"Campaign": {"campaignid"}}` -> the campaignitem), the
way a marketer's page links a list to a campaign. The unbound `AddAppComponents` links a model-driven app to
its site map, tables and dashboards (`appmodulecomponents` rows).
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from werkzeug.wrappers import Response

from .dataverse_errors import BAD_PAYLOAD, DUPLICATE, ODATA_ERROR, DataverseError, not_found
from .dataverse_http import Call, query_response, reply, request_body
from .dataverse_schema import BY_SET, TABLES, Table
from .dataverse_store import Store

INVALID_ARGUMENT = "0x80040203"
MEMBER_TYPES = {1: "account", 2: "contact", 4: "lead"}       # list.createdfromcode
REST = re.compile(r"^(\w+)(?:\(([0-9a-fA-F-]{36})\))?(/\$ref)?$")
REF = re.compile(r"^(?:.*/)?([A-Za-z_]\w*)\(([0-9a-fA-F-]{36})\)$")
ACTION = "Microsoft.Dynamics.CRM."
LIST_ACTIONS = ("AddMemberList", "AddItemCampaign")          # bound to a list
UNBOUND_ACTIONS = ("AddAppComponents",)
APP_COMPONENT_TYPES = {"sitemap": 62, "entity": 1, "systemform": 60}     # appmodulecomponent.componenttype
APP_COMPONENT_IDS = {"systemform": "formid"}                  # else `<type>id`
GUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ITEM_IDS = uuid.UUID("0c0a1e00-0000-4000-8000-0000000000aa")   # namespace of the emulated intersect rows' ids


@dataclass(frozen=True)
class ManyToMany:
    name: str               # SchemaName = navigation property name on both sides
    entity1: str
    entity2: str
    intersect: str

    def other(self, logical: str) -> str:
        return self.entity2 if logical == self.entity1 else self.entity1

    def scope(self, logical: str, row_id: str) -> tuple[str, list]:
        """SQL condition (over `rows`) selecting the rows linked to `row_id` of table `logical`."""
        mine, theirs = ("id1", "id2") if logical == self.entity1 else ("id2", "id1")
        # A correlated EXISTS (one primary-key probe per row), not `id IN (SELECT …)`, which SQLite builds
        # again for each page: reading a list's members then costs the same per row at any size.
        return (f"EXISTS (SELECT 1 FROM associations WHERE relationship = ? AND {mine} = ? AND {theirs} = rows.id)",
                [self.name, row_id])

    def pair(self, logical: str, row_id: str, other_id: str) -> tuple[str, str, str]:
        return (self.name, row_id, other_id) if logical == self.entity1 else (self.name, other_id, row_id)


MANY_TO_MANY = {r.name: r for r in (
    ManyToMany("listcontact_association", "list", "contact", "listmember"),
    ManyToMany("listaccount_association", "list", "account", "listmember"),
    ManyToMany("listlead_association", "list", "lead", "listmember"),
    ManyToMany("campaignlist_association", "campaign", "list", "campaignitem"),
    ManyToMany("systemuserroles_association", "systemuser", "role", "systemuserroles"),
    ManyToMany("teammembership_association", "systemuser", "team", "teammembership"))}


def navigation(table: Table, nav: str) -> ManyToMany | None:
    rel = MANY_TO_MANY.get(nav)
    return rel if rel and table.logical in (rel.entity1, rel.entity2) else None


def many_to_many_definitions(table: Table) -> list[dict]:
    """`EntityDefinitions(...)/ManyToManyRelationships` rows."""
    return [{"SchemaName": r.name, "Entity1LogicalName": r.entity1, "Entity2LogicalName": r.entity2,
             "IntersectEntityName": r.intersect, "Entity1NavigationPropertyName": r.name,
             "Entity2NavigationPropertyName": r.name}
            for r in MANY_TO_MANY.values() if table.logical in (r.entity1, r.entity2)]


# --- store operations --------------------------------------------------------------------------
def refresh_member_count(store: Store, rel: ManyToMany, list_id: str) -> None:
    """A static list's `membercount` follows its members (dynamic lists keep theirs)."""
    found = store.get("lists", list_id)
    if rel.entity1 != "list" or found is None or found[1].get("type"):
        return
    count = store.query("SELECT count(*) FROM associations WHERE relationship = ? AND id1 = ?",
                        [rel.name, list_id])[0][0]
    if found[1].get("membercount") != count:
        store.update("lists", list_id, {**found[1], "membercount": count})


def associate(store: Store, table: Table, row_id: str, nav: str, target_set: str, target_id: str) -> None:
    """Link two existing rows; a pair already linked is refused as Dataverse refuses it."""
    rel = navigation(table, nav)
    if rel is None:
        raise DataverseError(f"Could not find a property named '{nav}' on type '{table.type_name}'.")
    other = TABLES[rel.other(table.logical)]
    if target_set != other.entity_set:
        raise DataverseError(f"'{nav}' links {table.entity_set} to {other.entity_set}, not to "
                             f"{target_set}.", 400, BAD_PAYLOAD)
    row_id, target_id = row_id.lower(), target_id.lower()
    with store.transaction():
        rows = {t.logical: (store.get(t.entity_set, i), i) for t, i in ((table, row_id), (other, target_id))}
        for logical, (found, i) in rows.items():
            if found is None:
                raise not_found(logical, i)
        if rel.entity1 == "list":
            check_member(rows["list"][0][1], rel.entity2)
        if not store.execute("INSERT OR IGNORE INTO associations VALUES (?,?,?)",
                             rel.pair(table.logical, row_id, target_id)):
            raise DataverseError("Cannot insert duplicate key.", 412, DUPLICATE)
        refresh_member_count(store, rel, rel.pair(table.logical, row_id, target_id)[1])


def check_member(marketing_list: dict, member: str) -> None:
    """Only static lists take members, and only of the list's member type."""
    if marketing_list.get("type"):
        raise DataverseError("Members cannot be added to a dynamic marketing list.", 400, INVALID_ARGUMENT)
    if MEMBER_TYPES.get(marketing_list.get("createdfromcode")) != member:
        raise DataverseError(f"A {member} cannot be a member of a list of type "
                             f"{marketing_list.get('createdfromcode')}.", 400, INVALID_ARGUMENT)


def disassociate(store: Store, table: Table, row_id: str, nav: str, target_id: str) -> None:
    rel = navigation(table, nav)
    with store.transaction():
        pair = rel.pair(table.logical, row_id.lower(), target_id.lower())
        store.execute("DELETE FROM associations WHERE relationship = ? AND id1 = ? AND id2 = ?", pair)
        refresh_member_count(store, rel, pair[1])


def add_members(store: Store, rel: ManyToMany, id1: str, ids2: list[str]) -> None:
    """Fast bulk link (benchmarks): no existence checks, duplicates ignored."""
    with store.transaction():
        store.execute("INSERT OR IGNORE INTO associations VALUES (?,?,?)",
                      ((rel.name, id1, i.lower()) for i in ids2), many=True)
        refresh_member_count(store, rel, id1)


def forget(store: Store, table: Table, row_id: str) -> None:
    """A deleted row leaves every N:N relationship it was part of."""
    for rel in MANY_TO_MANY.values():
        for side, logical in (("id1", rel.entity1), ("id2", rel.entity2)):
            if logical == table.logical:
                store.execute(f"DELETE FROM associations WHERE relationship = ? AND {side} = ?",
                              [rel.name, row_id])


# --- HTTP --------------------------------------------------------------------------------------
def parse_rest(table: Table, rest: str) -> tuple[ManyToMany, str | None, bool] | str | None:
    """`<nav>`, `<nav>/$ref`, `<nav>(<id>)/$ref` of an N:N navigation, or the name of a list action bound
    to this row (`Microsoft.Dynamics.CRM.AddMemberList`); None for anything else."""
    if table.logical == "list" and rest.startswith(ACTION) and rest[len(ACTION):] in LIST_ACTIONS:
        return rest[len(ACTION):]
    match = REST.match(rest)
    rel = navigation(table, match[1]) if match else None
    return (rel, match[2], bool(match[3])) if rel else None


def association_response(call: Call, table: Table, row_id: str | None, key: str, rest: str) -> Response:
    parsed = parse_rest(table, rest)
    method, store = call.request.method, call.reader.store
    if row_id is None or store.get(table.entity_set, row_id) is None:
        raise not_found(table.logical, key)
    if isinstance(parsed, str):
        if method != "POST":
            raise DataverseError(f"The {method} method is not allowed on '{rest}'.", 405, ODATA_ERROR)
        return list_action_response(call, row_id, parsed)
    assert parsed is not None
    rel, other_id, ref = parsed
    if method == "GET" and not ref and other_id is None:
        return query_response(call, TABLES[rel.other(table.logical)], rel.scope(table.logical, row_id))
    if method == "POST" and ref and other_id is None:
        target = REF.match(str(request_body(call.request).get("@odata.id")))
        if not target or target[1] not in BY_SET:
            raise DataverseError("The @odata.id must be the URL of a row: '<set>(<guid>)'.", 400, BAD_PAYLOAD)
        associate(store, table, row_id, rel.name, target[1], target[2])
        return Response(status=204, headers={"OData-Version": "4.0"})
    if method == "DELETE" and ref:
        target = REF.match(call.request.args.get("$id", "")) if other_id is None else None
        if other_id is None and not target:
            raise DataverseError("Disassociate needs <nav>(<id>)/$ref or $ref?$id=<url>.", 400, ODATA_ERROR)
        disassociate(store, table, row_id, rel.name, other_id or target[2])
        return Response(status=204, headers={"OData-Version": "4.0"})
    raise DataverseError(f"The {method} method is not allowed on '{rest}'.", 405, ODATA_ERROR)



# --- the documented marketing-list actions ------------------------------------------------------
def _guid(value: object, what: str) -> str:
    if not isinstance(value, str) or not GUID_TEXT.match(value.strip("{}")):
        raise DataverseError(f"{what} must be a GUID.", 400, BAD_PAYLOAD)
    return value.strip("{}").lower()


def _reference(value: object, logical: str, what: str) -> str:
    """The id of an entity parameter (`{"<table>id": "...", "@odata.type": "Microsoft.Dynamics.CRM.<table>"}`)."""
    if not isinstance(value, dict):
        raise DataverseError(f"{what} must be a {logical} entity.", 400, BAD_PAYLOAD)
    kind = str(value.get("@odata.type", f"#{ACTION}{logical}")).lstrip("#").removeprefix(ACTION)
    if kind != logical:
        raise DataverseError(f"{what} must be a {logical} entity, not {kind}.", 400, BAD_PAYLOAD)
    return _guid(value.get(f"{logical}id"), f"{what}.{logical}id")


def _add_member(store: Store, marketing_list: dict, list_id: str, member: str, member_id: str) -> None:
    """One member linked to a static list (already there: left as it is); dataverse_list_actions does many."""
    check_member(marketing_list, member)
    with store.transaction():
        if store.get(TABLES[member].entity_set, member_id) is None:
            raise not_found(member, member_id)
        rel = MANY_TO_MANY[f"list{member}_association"]
        store.execute("INSERT OR IGNORE INTO associations VALUES (?,?,?)", (rel.name, list_id, member_id))
        refresh_member_count(store, rel, list_id)


def list_action_response(call: Call, list_id: str, action: str) -> Response:
    """`lists(id)/Microsoft.Dynamics.CRM.AddMemberList` and `.../AddItemCampaign`."""
    body, store = request_body(call.request), call.reader.store
    found = store.get("lists", list_id)
    if action == "AddMemberList":
        member_id = _guid(body.get("EntityId"), "EntityId")
        member = MEMBER_TYPES.get(found[1].get("createdfromcode")) if found else None
        if found is None or member is None:
            raise not_found("list", list_id)
        _add_member(store, found[1], list_id, member, member_id)
        return reply({"@odata.context": f"{call.base}$metadata#{ACTION}AddMemberListResponse",
                      "Id": str(uuid.uuid5(_ITEM_IDS, f"listmember/{list_id}/{member_id}"))})
    campaign_id = _reference(body.get("Campaign"), "campaign", "Campaign")
    rel = MANY_TO_MANY["campaignlist_association"]
    with store.transaction():
        if store.get("campaigns", campaign_id) is None:
            raise not_found("campaign", campaign_id)
        store.execute("INSERT OR IGNORE INTO associations VALUES (?,?,?)", (rel.name, campaign_id, list_id))
    item_id = str(uuid.uuid5(_ITEM_IDS, f"campaignitem/{campaign_id}/{list_id}"))
    return reply({"@odata.context": f"{call.base}$metadata#campaignitems/$entity", "campaignitemid": item_id,
                  "entityid": list_id, "entitytype": "list", "_campaignid_value": campaign_id})


def unbound_action_response(call: Call, action: str) -> Response:
    """`AddAppComponents`: `{"AppId", "Components": [{"sitemapid"} | {"entityid": <MetadataId>} | {"formid"}]}`
    -> 204."""
    if call.request.method != "POST":
        raise DataverseError(f"The {call.request.method} method is not allowed on '{action}'.", 405, ODATA_ERROR)
    return _add_app_components(call.reader.store, request_body(call.request))


def _add_app_components(store: Store, body: dict) -> Response:
    """The app's components as `appmodulecomponents` rows (a component already there is left as it is)."""
    app_id = _guid(body.get("AppId"), "AppId")
    raw = body.get("Components")
    if not isinstance(raw, list) or not raw:
        raise DataverseError("Components must be a non-empty collection of entities.", 400, BAD_PAYLOAD)
    wanted = []
    for index, component in enumerate(raw):
        kind = str(component.get("@odata.type", "") if isinstance(component, dict) else "").lstrip("#")
        kind = kind.removeprefix(ACTION)
        if kind not in APP_COMPONENT_TYPES:
            raise DataverseError(f"Components[{index}]: an emulated app takes a sitemap, an entity or a "
                                 f"systemform, not '{kind}'.", 400, BAD_PAYLOAD)
        id_name = APP_COMPONENT_IDS.get(kind, f"{kind}id")
        wanted.append((APP_COMPONENT_TYPES[kind], _guid(component.get(id_name), f"Components[{index}].{id_name}")))
    with store.transaction():
        found = store.get("appmodules", app_id)
        if found is None:
            raise not_found("appmodule", app_id)
        unique = found[1].get("appmoduleidunique") or app_id
        if not found[1].get("appmoduleidunique"):
            store.update("appmodules", app_id, {**found[1], "appmoduleidunique": unique})
        present = {(data.get("componenttype"), data.get("objectid"))
                   for _, _, _, data in store.select("appmodulecomponents")
                   if data.get("_appmoduleidunique_value") == unique}
        for kind, object_id in wanted:
            if (kind, object_id) not in present:
                row_id = str(uuid.uuid5(_ITEM_IDS, f"appmodulecomponent/{unique}/{kind}/{object_id}"))
                store.insert("appmodulecomponents", row_id, {
                    "appmodulecomponentid": row_id, "componenttype": kind, "objectid": object_id,
                    "_appmoduleidunique_value": unique})
    return reply(None, 204)

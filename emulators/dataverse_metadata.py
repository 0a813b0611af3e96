"""Table definitions (`EntityDefinitions`) of the Dataverse emulator, shaped as the Web API answers them.

Serves `EntityDefinitions(LogicalName='x')` (with `$select` and `$expand=Attributes($select=...)`),
`.../Attributes`, and the attribute collections cast to one type:
`.../Attributes/Microsoft.Dynamics.CRM.LookupAttributeMetadata` (with `Targets`) and
`.../Attributes/Microsoft.Dynamics.CRM.StateAttributeMetadata` or `...PicklistAttributeMetadata` (with
`$expand=OptionSet($select=Options)`), plus the relationship collections. As in Dataverse:
`MetadataId` is always returned, every attribute carries its `@odata.type`, a lookup has a companion
`<lookup>name` attribute (`AttributeOf` the lookup), `ownerid` is an Owner lookup to systemuser and
team, a lookup to two tables is a Customer, and an unknown table is a 404 naming the metadata cache.
Also the collection `EntityDefinitions?$filter=LogicalName eq 'x'&$select=...` (Microsoft's Python client
asks it first), a table by `MetadataId`, one attribute (`Attributes(LogicalName='x')`), `Keys`,
`RelationshipDefinitions(SchemaName='x')` and `GlobalOptionSetDefinitions(Name='x')`. What the metadata
API was told (labels, SchemaNames: dataverse_metadata_write) shows in the answers.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from werkzeug.wrappers import Request, Response

from dataclasses import dataclass

from .dataverse_errors import GUID, DataverseError, QueryError, unknown_segment
from .dataverse_metadata_write import metadata_id
from .dataverse_schema import TABLES, Schema, Table, current_schema, relationships

CRM = "Microsoft.Dynamics.CRM."
NOT_IN_METADATA = "0x80041102"
PATH = re.compile(r"^(EntityDefinitions|RelationshipDefinitions|GlobalOptionSetDefinitions)(?:\(([^)]*)\))?"
                  r"(?:/(\w+)(?:\(([^)]*)\))?)?(?:/Microsoft\.Dynamics\.CRM\.(\w+))?$")
ROOTS = ("EntityDefinitions", "RelationshipDefinitions", "GlobalOptionSetDefinitions")
CONDITION = re.compile(r"^\s*(\w+)\s+eq\s+(?:(?:Microsoft\.Dynamics\.CRM\.\w+)?'((?:[^']|'')*)'|(true|false)"
                       r"|([0-9a-fA-F-]{36}))\s*$")   # a string, an enum member (Type'Name'), a boolean, a guid
EXPAND = re.compile(r"^(\w+)(?:\((.*)\))?$")
# Column type of the emulator -> (AttributeType, metadata type).
TYPES = {"string": ("String", "StringAttributeMetadata"), "memo": ("Memo", "MemoAttributeMetadata"),
         "int": ("Integer", "IntegerAttributeMetadata"), "bool": ("Boolean", "BooleanAttributeMetadata"),
         "datetime": ("DateTime", "DateTimeAttributeMetadata"), "money": ("Money", "MoneyAttributeMetadata"),
         "decimal": ("Decimal", "DecimalAttributeMetadata"), "choice": ("Picklist", "PicklistAttributeMetadata"),
         "guid": ("Uniqueidentifier", "UniqueIdentifierAttributeMetadata")}
FIXED = {"statecode": ("State", "StateAttributeMetadata"), "statuscode": ("Status", "StatusAttributeMetadata"),
         "versionnumber": ("BigInt", "BigIntAttributeMetadata")}
OWNER_TARGETS = ["systemuser", "team"]
NAVIGATION = ("Attributes", "OptionSet", "Keys")
CASTS = {metadata_type for _, metadata_type in (*TYPES.values(), *FIXED.values())} | {"LookupAttributeMetadata"}


_metadata_id = metadata_id
MANAGED_TRUE = {"Value": True, "CanBeChanged": True, "ManagedPropertyLogicalName": "iscustomizable"}
HAS_ACTIVITIES = {"account", "contact", "lead", "campaign", "salesorder", "incident", "quote", "invoice"}
_NO_EXTRAS = Schema()


def extras() -> Schema:
    """The serving emulator's schema, with what the metadata API was told (empty outside a request)."""
    return current_schema() or _NO_EXTRAS


@dataclass
class MetaPath:
    """`<root>(<key>)/<collection>(<item>)/Microsoft.Dynamics.CRM.<cast>`, every part but the root optional."""
    root: str
    key: str | None
    collection: str | None
    item: str | None
    cast: str | None


def parse_path(path: str) -> MetaPath | None:
    match = PATH.match(path)
    return MetaPath(*match.groups()) if match else None


def key_value(key: str, name: str) -> str | None:
    """`Name='x'` -> x; a bare guid -> the guid; None when the key names something else."""
    if GUID.match(key):
        return key.lower()
    found = re.fullmatch(rf"{name}='((?:[^']|'')*)'", key)
    return found[1].replace("''", "'") if found else None


def entity_key(key: str) -> Table:
    """The table a `EntityDefinitions(...)` key addresses: `LogicalName='x'` or its MetadataId."""
    logical = key_value(key, "LogicalName")
    table = None
    if logical is not None and GUID.match(logical):
        table = next((TABLES[t] for t in TABLES if entity_row_id(TABLES[t]) == logical), None)
    elif logical is not None:
        table = TABLES.get(logical)
    if table is None:
        raise DataverseError(f"The entity with a name = '{logical or key}' with namemapping = 'Logical' was not "
                             "found in the MetadataCache.", 404, NOT_IN_METADATA)
    return table


def entity_row_id(table: Table) -> str:
    return extras().entity_props.get(table.logical, {}).get("MetadataId") or metadata_id(table.logical)


def entity_row(table: Table) -> dict:
    """`EntityMetadata` of a table: computed from the schema, then what the metadata API was told."""
    props = extras().entity_props.get(table.logical, {})
    row = {"LogicalName": table.logical, "SchemaName": table.logical, "EntitySetName": table.entity_set,
           "LogicalCollectionName": table.entity_set, "PrimaryIdAttribute": table.primary_id,
           "PrimaryNameAttribute": table.primary_name, "IsActivity": table.primary_id == "activityid",
           "IsCustomEntity": table.logical.startswith("smsc_"),
           "OwnershipType": "UserOwned" if "ownerid" in table.lookups else "OrganizationOwned",
           "DisplayName": _label(table.logical), "DisplayCollectionName": _label(table.entity_set),
           "Description": _label(""), "CollectionSchemaName": table.entity_set,
           "HasNotes": table.logical != "annotation",
           "HasActivities": table.logical in HAS_ACTIVITIES, "IsCustomizable": MANAGED_TRUE,
           "IsPrivate": False, "IsValidForAdvancedFind": True, "IsAuditEnabled": {"Value": False, "CanBeChanged": True},
           "IsManaged": False, "MetadataId": entity_row_id(table), "_type": "EntityMetadata"}
    row.update({k: v for k, v in props.items() if k != "@odata.type"})
    return {**row, "Attributes": attributes(table), "Keys": keys(table)}


def keys(table: Table) -> list[dict]:
    told = extras().entity_keys.get(table.logical)
    if told is not None:
        return [{**k, "_type": "EntityKeyMetadata"} for k in told]
    return [{"@odata.type": f"#{CRM}EntityKeyMetadata", "LogicalName": f"{table.logical}_{column}_key",
             "SchemaName": f"{table.logical}_{column}_key", "EntityLogicalName": table.logical,
             "KeyAttributes": [column], "EntityKeyIndexStatus": "Active",
             "MetadataId": metadata_id(table.logical, "key", column), "_type": "EntityKeyMetadata"}
            for column in table.alternate_keys]


def matches(row: dict, text: str | None) -> bool:
    """`$filter` of metadata collections: `Name eq 'value'` (or true/false/guid) joined by `and`."""
    for part in re.split(r"\s+and\s+", text or "") if text else []:
        found = CONDITION.match(part.strip("() "))
        if not found:
            raise DataverseError(f"The emulator filters metadata with 'Property eq value' and 'and' only: "
                                 f"'{text}'.", 501, "0x80060888")
        name, text_value, boolean, guid = found.groups()
        value = row.get(name)
        if isinstance(value, dict) and "Value" in value:        # managed properties
            value = value["Value"]
        if text_value is not None and str(value).lower() != text_value.replace("''", "'").lower():
            return False
        if boolean is not None and value is not (boolean == "true"):
            return False
        if guid is not None and str(value).lower() != guid.lower():
            return False
    return True


def _label(text: str) -> dict:
    label = {"Label": text, "LanguageCode": 1033}
    return {"LocalizedLabels": [label], "UserLocalizedLabel": label}


def attributes(table: Table) -> list[dict]:
    """Every attribute of `table`, each with its type-specific properties (Targets, OptionSet)."""
    rows = [_attribute(table, table.primary_id, "Uniqueidentifier", "UniqueIdentifierAttributeMetadata")]
    for column, kind in table.columns.items():
        attribute_type, metadata_type = FIXED.get(column) or TYPES.get(kind, ("String", "StringAttributeMetadata"))
        row = _attribute(table, column, attribute_type, metadata_type)
        if column in table.choices:
            row["OptionSet"] = {"MetadataId": _metadata_id(table.logical, column, "options"), "Options": [
                {"Value": value, "Label": _label(text)} for value, text in sorted(table.choices[column].items())]}
        rows.append(row)
    for lookup in table.lookups.values():
        targets = OWNER_TARGETS if lookup.attr == "ownerid" else sorted(lookup.targets)
        kind = "Owner" if lookup.attr == "ownerid" else "Customer" if len(targets) == 2 and set(targets) == {
            "account", "contact"} else "Lookup"
        rows.append({**_attribute(table, lookup.attr, kind, "LookupAttributeMetadata"), "Targets": targets})
        rows.append({**_attribute(table, f"{lookup.attr}name", "String", "StringAttributeMetadata"),
                     "AttributeOf": lookup.attr})
    told = extras().attribute_props
    for row in rows:
        row.update({k: v for k, v in told.get((table.logical, row["LogicalName"]), {}).items()
                    if k not in ("@odata.type", "AttributeType")})
    return sorted(rows, key=lambda row: row["LogicalName"])


def _attribute(table: Table, name: str, attribute_type: str, metadata_type: str) -> dict:
    return {"@odata.type": f"#{CRM}{metadata_type}", "MetadataId": _metadata_id(table.logical, name),
            "LogicalName": name, "SchemaName": name, "AttributeType": attribute_type, "AttributeOf": None,
            "EntityLogicalName": table.logical, "IsCustomAttribute": name.startswith("smsc_"),
            "DisplayName": _label(name), "Description": _label(""),
            "RequiredLevel": {"Value": "SystemRequired" if name == table.primary_id else "None",
                              "CanBeChanged": True, "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings"},
            "IsPrimaryId": name == table.primary_id, "IsPrimaryName": name == table.primary_name,
            "IsValidForCreate": name not in table.computed, "IsValidForUpdate": name not in table.computed,
            "IsValidForRead": True, "IsCustomizable": MANAGED_TRUE, "_type": metadata_type}


def _options(text: str) -> tuple[list[str], dict[str, dict]]:
    """`$select` names and `$expand` items (each with its own options) of one level of a query."""
    select, expand = [], {}
    for option in _split(text, ";"):
        name, _, value = option.partition("=")
        if name == "$select":
            select = [s for s in value.split(",") if s]
        elif name == "$expand":
            for item in _split(value, ","):
                match = EXPAND.match(item)
                if not match:
                    raise QueryError(f"The $expand item '{item}' is not valid.")
                expand[match[1]] = {"text": match[2] or ""}
        elif name:
            raise QueryError(f"The query option '{name}' is not supported in table definitions.")
    return select, expand


def _split(text: str, separator: str) -> list[str]:
    """`text` cut at `separator` outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for p in parts + [current] if p]


def _shape(row: dict, select: list[str], expand: dict[str, dict]) -> dict:
    """The row with the properties selected (MetadataId and @odata.type always) and its expansions."""
    for name in select:
        if name not in row or name in NAVIGATION:
            raise QueryError(f"Could not find a property named '{name}' on type '{CRM}{row['_type']}'.")
    shaped = {key: value for key, value in row.items()
              if not key.startswith("_") and key not in NAVIGATION
              and (not select or key in select or key in ("MetadataId", "@odata.type"))}
    for name, options in expand.items():
        if name not in NAVIGATION or name not in row:
            raise QueryError(f"Could not find a navigation property named '{name}' on type '{CRM}{row['_type']}'.")
        inner_select, inner_expand = _options(options["text"])
        value = row[name]
        shaped[name] = ([_shape(item, inner_select, inner_expand) for item in value] if isinstance(value, list)
                        else _shape(value, inner_select, inner_expand))
    return shaped


def _query(args) -> tuple[list[str], dict[str, dict]]:
    select = [s for s in args.get("$select", "").split(",") if s]
    expand = _options(f"$expand={args['$expand']}")[1] if args.get("$expand") else {}
    return select, expand


def entity_definitions(request: Request, path: str, many_to_many: Callable[[Table], list[dict]],
                       reply: Callable[..., Response]) -> Response:
    """GET of a metadata path (EntityDefinitions, RelationshipDefinitions, GlobalOptionSetDefinitions)."""
    meta = parse_path(path)
    if meta is None:
        raise unknown_segment(path)
    base = request.host_url.rstrip("/") + f"/api/data/v9.2/$metadata#{meta.root}"
    if meta.root == "RelationshipDefinitions":
        return relationship_definitions(request, meta, many_to_many, reply, base)
    if meta.root == "GlobalOptionSetDefinitions":
        return option_set_definitions(request, meta, reply, base)
    args = request.args
    if meta.key is None:
        if meta.collection or meta.cast:
            raise unknown_segment(path)
        select, expand = _query(args)
        rows = [entity_row(TABLES[t]) for t in TABLES]
        return reply({"@odata.context": f"{base}({','.join(select)})" if select else base,
                      "value": [_shape(r, select, expand) for r in rows if matches(r, args.get("$filter"))]})
    table = entity_key(meta.key)
    logical, collection, cast = table.logical, meta.collection, meta.cast
    if collection is None:
        if cast is not None:
            raise unknown_segment(f"{CRM}{cast}")
        select, expand = _query(args)
        return reply({"@odata.context": f"{base}({','.join(select)})/$entity",
                      **_shape(entity_row(table), select, expand)})
    if collection in ("Attributes", "Keys"):
        rows = attributes(table) if collection == "Attributes" else keys(table)
        if meta.item is not None:
            wanted = key_value(meta.item, "LogicalName")
            rows = [r for r in rows if wanted in (r["LogicalName"], str(r.get("MetadataId")).lower())]
            if not rows:
                raise DataverseError(f"Could not find {collection[:-1].lower()} '{meta.item}' on '{logical}'.",
                                     404, NOT_IN_METADATA)
        if cast is not None:
            if cast not in CASTS:
                raise unknown_segment(f"{CRM}{cast}")
            rows = [row for row in rows if row["_type"] == cast]
            if meta.item is not None and not rows:
                raise unknown_segment(f"{CRM}{cast}")
        select, expand = _query(args)
        if meta.item is not None:
            return reply({"@odata.context": f"{base}('{logical}')/{collection}/$entity",
                          **_shape(rows[0], select, expand)})
        rows = [row for row in rows if matches(row, args.get("$filter"))]
        return reply({"@odata.context": f"{base}('{logical}')/{collection}",
                      "value": [_shape(row, select, expand) for row in rows]})
    if cast is not None or meta.item is not None:
        raise unknown_segment(f"{CRM}{cast}" if cast else meta.item or "")
    found = {**relationships(table), "ManyToManyRelationships": many_to_many(table)}.get(collection)
    if found is None:
        raise unknown_segment(collection)
    rows = found
    select = [s for s in args.get("$select", "").split(",") if s]
    pick = lambda row: {k: v for k, v in row.items() if not select or k in select}  # noqa: E731
    return reply({"value": [pick(r) for r in rows if matches(r, args.get("$filter"))]})


def all_relationships(many_to_many: Callable[[Table], list[dict]]) -> list[dict]:
    """Every relationship definition: the one-to-many ones (once, from the referencing side) and N:N."""
    rows: dict[str, dict] = {}
    for logical in TABLES:
        table = TABLES[logical]
        for row in relationships(table)["ManyToOneRelationships"]:
            rows.setdefault(row["SchemaName"], {"@odata.type": f"#{CRM}OneToManyRelationshipMetadata",
                                                "RelationshipType": "OneToManyRelationship",
                                                "MetadataId": metadata_id("relationship", row["SchemaName"]),
                                                "ReferencedAttribute": TABLES[row["ReferencedEntity"]].primary_id
                                                if row["ReferencedEntity"] in TABLES else None, **row})
        for row in many_to_many(table):
            rows.setdefault(row["SchemaName"], {"@odata.type": f"#{CRM}ManyToManyRelationshipMetadata",
                                                "RelationshipType": "ManyToManyRelationship",
                                                "MetadataId": metadata_id("relationship", row["SchemaName"]), **row})
    for name, told in extras().relationship_defs.items():
        rows[name] = {**rows.get(name, {}), **told}
    return list(rows.values())


def relationship_definitions(request: Request, meta: MetaPath, many_to_many, reply, base: str) -> Response:
    rows = all_relationships(many_to_many)
    if meta.cast is not None:
        rows = [r for r in rows if r["@odata.type"] == f"#{CRM}{meta.cast}"]
    select = [s for s in request.args.get("$select", "").split(",") if s]
    pick = lambda row: {k: v for k, v in row.items()   # noqa: E731
                        if not select or k in select or k in ("MetadataId", "@odata.type")}
    if meta.collection is not None:
        raise unknown_segment(meta.collection)
    if meta.key is None:
        return reply({"@odata.context": base,
                      "value": [pick(r) for r in rows if matches(r, request.args.get("$filter"))]})
    wanted = key_value(meta.key, "SchemaName")
    found = [r for r in rows if wanted in (r["SchemaName"], str(r.get("MetadataId")).lower())]
    if not found:
        raise DataverseError(f"Could not find a relationship '{meta.key}'.", 404, NOT_IN_METADATA)
    return reply({"@odata.context": f"{base}/$entity", **pick(found[0])})


def option_set_definitions(request: Request, meta: MetaPath, reply, base: str) -> Response:
    rows = list(extras().option_sets.values())
    if meta.collection is not None:
        raise unknown_segment(meta.collection)
    if meta.key is None:
        return reply({"@odata.context": base, "value": rows})
    wanted = key_value(meta.key, "Name")
    found = [r for r in rows if wanted in (r["Name"], str(r.get("MetadataId")).lower())]
    if not found:
        raise DataverseError(f"Could not find a global option set '{meta.key}'.", 404, NOT_IN_METADATA)
    return reply({"@odata.context": f"{base}/$entity", **found[0]})

"""Table definitions (`EntityDefinitions`) of the Dataverse emulator, shaped as the Web API answers them.

Serves `EntityDefinitions(LogicalName='x')` (with `$select` and `$expand=Attributes($select=...)`),
`.../Attributes`, and the attribute collections cast to one type:
`.../Attributes/Microsoft.Dynamics.CRM.LookupAttributeMetadata` (with `Targets`) and
`.../Attributes/Microsoft.Dynamics.CRM.StateAttributeMetadata` or `...PicklistAttributeMetadata` (with
`$expand=OptionSet($select=Options)`), plus the relationship collections. As in Dataverse:
`MetadataId` is always returned, every attribute carries its `@odata.type`, a lookup has a companion
`<lookup>name` attribute (`AttributeOf` the lookup), `ownerid` is an Owner lookup to systemuser and
team, a lookup to two tables is a Customer, and an unknown table is a 404 naming the metadata cache.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from werkzeug.wrappers import Request, Response

from .dataverse_errors import DataverseError, QueryError, unknown_segment
from .dataverse_schema import TABLES, Table, relationships

CRM = "Microsoft.Dynamics.CRM."
NOT_IN_METADATA = "0x80041102"
PATH = re.compile(r"^EntityDefinitions\(LogicalName='([^']*)'\)(?:/(\w+))?(?:/Microsoft\.Dynamics\.CRM\.(\w+))?$")
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
NAVIGATION = ("Attributes", "OptionSet")
CASTS = {metadata_type for _, metadata_type in (*TYPES.values(), *FIXED.values())} | {"LookupAttributeMetadata"}


def _metadata_id(*names: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "emulator:metadata:" + ":".join(names)))


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
    return sorted(rows, key=lambda row: row["LogicalName"])


def _attribute(table: Table, name: str, attribute_type: str, metadata_type: str) -> dict:
    return {"@odata.type": f"#{CRM}{metadata_type}", "MetadataId": _metadata_id(table.logical, name),
            "LogicalName": name, "AttributeType": attribute_type, "AttributeOf": None,
            "EntityLogicalName": table.logical, "_type": metadata_type}


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
    match = PATH.match(path)
    if not match:
        raise unknown_segment(path)
    logical, collection, cast = match[1], match[2], match[3]
    table = TABLES.get(logical)
    if table is None:
        raise DataverseError(f"The entity with a name = '{logical}' with namemapping = 'Logical' was not found "
                             "in the MetadataCache.", 404, NOT_IN_METADATA)
    args = request.args
    base = request.host_url.rstrip("/") + "/api/data/v9.2/$metadata#EntityDefinitions"
    if collection is None:
        entity = {"LogicalName": table.logical, "EntitySetName": table.entity_set,
                  "PrimaryIdAttribute": table.primary_id, "PrimaryNameAttribute": table.primary_name,
                  "IsActivity": table.primary_id == "activityid", "MetadataId": _metadata_id(table.logical),
                  "_type": "EntityMetadata", "Attributes": attributes(table)}
        select, expand = _query(args)
        return reply({"@odata.context": f"{base}({','.join(select)})/$entity", **_shape(entity, select, expand)})
    if collection == "Attributes":
        rows = attributes(table)
        if cast is not None:
            if cast not in CASTS:
                raise unknown_segment(f"{CRM}{cast}")
            rows = [row for row in rows if row["_type"] == cast]
        select, expand = _query(args)
        conditions = re.findall(r"(\w+) eq '([^']*)'", args.get("$filter", ""))
        rows = [row for row in rows if all(row.get(k) == v for k, v in conditions)]
        return reply({"@odata.context": f"{base}('{logical}')/Attributes",
                      "value": [_shape(row, select, expand) for row in rows]})
    if cast is not None:
        raise unknown_segment(f"{CRM}{cast}")
    rows = {**relationships(table), "ManyToManyRelationships": many_to_many(table)}.get(collection)
    if rows is None:
        raise unknown_segment(collection)
    select = [s for s in args.get("$select", "").split(",") if s]
    pick = lambda row: {k: v for k, v in row.items() if not select or k in select}  # noqa: E731
    conditions = re.findall(r"(\w+) eq '([^']*)'", args.get("$filter", ""))
    return reply({"value": [pick(r) for r in rows if all(r.get(k) == v for k, v in conditions)]})

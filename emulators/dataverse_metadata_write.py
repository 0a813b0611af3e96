"""Metadata writes of the Dataverse emulator: tables, columns, relationships, keys and global choices.

Each change is a pure function of one organisation's `Schema` and the request body, shaped as the Web
API documents it (`@odata.type` Microsoft.Dynamics.CRM.EntityMetadata, StringAttributeMetadata,
PicklistAttributeMetadata, OneToManyRelationshipMetadata, EntityKeyMetadata, OptionSetMetadata; labels
as `LocalizedLabels`). The emulator logs every change it accepted and replays the log when it opens its
SQLite file again, so the functions must be deterministic: MetadataIds derive from names unless given.
A created table is usable through the data API at once (entity set, typed columns, lookups with their
navigation properties, alternate keys enforced); an activity table gets the standard activity columns,
the regarding lookup and its `<table>_activity_parties` collection.
"""
from __future__ import annotations

import copy
import re
import uuid

from .dataverse_errors import BAD_PAYLOAD, DataverseError
from .dataverse_schema import (ACTIVE, Collection, Lookup, Schema, Table, _table)

CRM = "Microsoft.Dynamics.CRM."
DUPLICATE_NAME = "0x80040237"       # DuplicateRecord, as for any name already taken
NOT_IN_METADATA = "0x80041102"
# AttributeMetadata type -> column type of the emulator.
KINDS = {"StringAttributeMetadata": "string", "MemoAttributeMetadata": "memo", "IntegerAttributeMetadata": "int",
         "BigIntAttributeMetadata": "int", "BooleanAttributeMetadata": "bool",
         "DateTimeAttributeMetadata": "datetime", "MoneyAttributeMetadata": "money",
         "DecimalAttributeMetadata": "decimal", "DoubleAttributeMetadata": "decimal",
         "PicklistAttributeMetadata": "choice", "UniqueIdentifierAttributeMetadata": "guid"}
# Tables a custom activity can be regarding (those of the emulator with activities enabled).
REGARDING = ("account", "contact", "lead", "campaign", "salesorder", "incident", "quote", "invoice")
ACTIVITY_COLUMNS = ("subject description:memo scheduledstart:datetime scheduledend:datetime actualstart:datetime "
                    "actualend:datetime activitytypecode statecode:choice statuscode:int")
ACTIVITY_STATES = {0: "Open", 1: "Completed", 2: "Canceled"}
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+$")


def metadata_id(*names: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "emulator:metadata:" + ":".join(names)))


def type_of(body: dict) -> str:
    """`Microsoft.Dynamics.CRM.X` or `#Microsoft.Dynamics.CRM.X` -> `X`."""
    return str(body.get("@odata.type", "")).lstrip("#").removeprefix(CRM)


def expect_type(body: dict, *allowed: str, implied: str | None = None) -> str:
    """The body's metadata type, one of `allowed`; `implied` when the collection's own type may go unsaid."""
    kind = type_of(body) or implied or ""
    if kind not in allowed:
        raise DataverseError(f"The @odata.type must be one of {', '.join(CRM + a for a in allowed)} "
                             f"(got '{body.get('@odata.type')}').", 400, BAD_PAYLOAD)
    return kind


LABELS = ("DisplayName", "DisplayCollectionName", "Description", "Label")
ENTITY_REQUIRED = ("SchemaName", "DisplayName", "DisplayCollectionName", "OwnershipType", "IsActivity",
                   "HasActivities", "HasNotes")     # documented as required (all but Description)


def check_shape(body: dict, what: str, required: tuple[str, ...]) -> None:
    """The documented required properties are there, and every label is a Label with LocalizedLabels."""
    missing = [name for name in required if body.get(name) is None]
    if missing:
        raise DataverseError(f"{what} needs {', '.join(missing)}.", 400, BAD_PAYLOAD)
    for name in LABELS:
        label = body.get(name)
        labels = label.get("LocalizedLabels") if isinstance(label, dict) else None
        if label is not None and not (isinstance(labels, list) and all(
                isinstance(x, dict) and isinstance(x.get("Label"), str) and isinstance(x.get("LanguageCode"), int)
                for x in labels)):
            raise DataverseError(f"{what}: {name} must be a Label whose LocalizedLabels each have a Label (text) "
                                 "and a LanguageCode (integer).", 400, BAD_PAYLOAD)


def with_user_labels(value):
    """Every Label in `value` gets its UserLocalizedLabel (the English one, else the first), as reads show."""
    if isinstance(value, dict):
        out = {k: with_user_labels(v) for k, v in value.items()}
        labels = out.get("LocalizedLabels")
        if isinstance(labels, list):
            english = [x for x in labels if isinstance(x, dict) and x.get("LanguageCode") == 1033]
            out["UserLocalizedLabel"] = (english or labels or [None])[0]
        return out
    if isinstance(value, list):
        return [with_user_labels(v) for v in value]
    return value


def label_text(label) -> str | None:
    labels = (label or {}).get("LocalizedLabels") or []
    english = [x for x in labels if x.get("LanguageCode") == 1033]
    return (english or labels or [{}])[0].get("Label")


def merge_labels(old, new):
    """MSCRM.MergeLabels: the new LocalizedLabels replace the old ones of the same language only."""
    if not (isinstance(old, dict) and isinstance(new, dict) and "LocalizedLabels" in new):
        return new
    merged = {x.get("LanguageCode"): x for x in old.get("LocalizedLabels") or []}
    merged.update({x.get("LanguageCode"): x for x in new.get("LocalizedLabels") or []})
    return {**new, "LocalizedLabels": list(merged.values())}


def plural(logical: str) -> str:
    if re.search(r"(s|x|z|ch|sh)$", logical):
        return logical + "es"
    if re.search(r"[^aeiou]y$", logical):
        return logical[:-1] + "ies"
    return logical + "s"


def taken(message: str) -> DataverseError:
    return DataverseError(message, 400, DUPLICATE_NAME)


def table_of(schema: Schema, logical: str) -> Table:
    if logical not in schema:
        raise DataverseError(f"The entity with a name = '{logical}' with namemapping = 'Logical' was not found "
                             "in the MetadataCache.", 404, NOT_IN_METADATA)
    return schema[logical]


def set_lookup(table: Table, lookup: Lookup) -> None:
    """Add or replace a lookup and its navigation properties on a table of the schema's own."""
    old = table.lookups.get(lookup.attr)
    for nav in (old.targets.values() if old else ()):
        table.navs.pop(nav, None)
    table.lookups[lookup.attr] = lookup
    for target, nav in lookup.targets.items():
        table.navs[nav] = (lookup, target)


def add_target(schema: Schema, logical: str, attr: str, target: str, nav: str) -> None:
    if logical in schema and attr in schema[logical].lookups:
        table = schema.editable(logical)
        old = table.lookups[attr]
        set_lookup(table, Lookup(attr, {**old.targets, target: nav}, old.readonly))


# --- columns ---------------------------------------------------------------------------------------
def numbered(options: list) -> list[tuple[int, dict]]:
    """Each option with its value; one given none gets the next of the default publisher's (100000000...)."""
    out, next_value = [], 100_000_000
    for option in options:
        if not isinstance(option, dict):
            raise DataverseError("Each option must be an object with its Value and Label.", 400, BAD_PAYLOAD)
        value = option.get("Value")
        if value is None:
            value, next_value = next_value, next_value + 1
        elif not isinstance(value, int) or isinstance(value, bool):
            raise DataverseError(f"Option value '{value}' is not an integer.", 400, BAD_PAYLOAD)
        out.append((value, option))
    if len({v for v, _ in out}) != len(out):
        raise DataverseError("Option values must be unique.", 400, BAD_PAYLOAD)
    return out


def with_values(option_set: dict) -> dict:
    """The option set as reads show it: every option with its value."""
    if isinstance(option_set.get("Options"), list):
        option_set["Options"] = [{**o, "Value": v} for v, o in numbered(option_set["Options"])]
    return option_set


def column_of(schema: Schema, body: dict) -> tuple[str, str, dict[int, str] | None]:
    """(logical name, column type, choice labels) of an AttributeMetadata body."""
    kind = expect_type(body, *KINDS)
    check_shape(body, f"The attribute {body.get('SchemaName') or ''}", ("SchemaName", "DisplayName"))
    schema_name = body.get("SchemaName")
    if not isinstance(schema_name, str) or not schema_name:
        raise DataverseError("An attribute needs a SchemaName.", 400, BAD_PAYLOAD)
    choices = None
    if kind == "PicklistAttributeMetadata":
        bound = body.get("GlobalOptionSet@odata.bind")
        if bound:
            found = [o for o in schema.option_sets.values() if o["MetadataId"] in bound or f"'{o['Name']}'" in bound]
            if not found:
                raise DataverseError(f"No global choice '{bound}'.", 404, NOT_IN_METADATA)
            options = found[0].get("Options") or []
        else:
            options = (body.get("OptionSet") or {}).get("Options") or []
        choices = {value: label_text(o.get("Label")) or str(value) for value, o in numbered(options)}
    return schema_name.lower(), KINDS[kind], choices


def remember_attribute(schema: Schema, logical: str, column: str, body: dict) -> dict:
    props = with_user_labels(copy.deepcopy(body))
    props["LogicalName"] = column
    props.setdefault("MetadataId", metadata_id(logical, column))
    if isinstance(props.get("OptionSet"), dict):
        props["OptionSet"].setdefault("MetadataId", metadata_id(logical, column, "options"))
        with_values(props["OptionSet"])
    bound = props.pop("GlobalOptionSet@odata.bind", None)
    if bound:
        found = [o for o in schema.option_sets.values() if o["MetadataId"] in bound or f"'{o['Name']}'" in bound]
        props["OptionSet"] = copy.deepcopy(found[0])
    schema.attribute_props[(logical, column)] = props
    return props


def add_attribute(schema: Schema, logical: str, body: dict) -> str:
    """POST EntityDefinitions(...)/Attributes: a new column; returns its MetadataId."""
    table = table_of(schema, logical)
    if type_of(body) == "LookupAttributeMetadata":
        raise DataverseError("Lookup columns are created with their relationship (POST RelationshipDefinitions).",
                             400, BAD_PAYLOAD)
    column, kind, choices = column_of(schema, body)
    if column in table.columns or column in table.lookups or column == table.primary_id:
        raise taken(f"An attribute with the name '{column}' already exists on '{logical}'.")
    table = schema.editable(logical)
    table.columns[column] = kind
    if choices is not None:
        table.choices[column] = choices
    return remember_attribute(schema, logical, column, body)["MetadataId"]


def update_attribute(schema: Schema, logical: str, column: str, body: dict, merge: bool) -> None:
    """PUT EntityDefinitions(...)/Attributes(...): its labels and properties (the type stays)."""
    table = table_of(schema, logical)
    if column not in table.columns and column not in table.lookups and column != table.primary_id:
        raise DataverseError(f"Could not find attribute '{column}' on '{logical}'.", 404, NOT_IN_METADATA)
    check_shape(body, f"The attribute {column}", ())
    old = schema.attribute_props.get((logical, column), {"LogicalName": column})
    new = {k: (merge_labels(old.get(k), v) if merge else v) for k, v in body.items()}
    schema.attribute_props[(logical, column)] = with_user_labels({**old, **new, "LogicalName": column,
                                                                  "MetadataId": old.get("MetadataId") or
                                                                  metadata_id(logical, column)})


# --- tables ----------------------------------------------------------------------------------------
def create_entity(schema: Schema, body: dict) -> str:
    """POST EntityDefinitions: a table with its primary name column and columns; returns its MetadataId."""
    expect_type(body, "EntityMetadata", implied="EntityMetadata")
    check_shape(body, "A table", ENTITY_REQUIRED)
    schema_name = body.get("SchemaName")
    if not isinstance(schema_name, str) or not NAME.match(schema_name):
        raise DataverseError("A table needs a SchemaName with its publisher's prefix (prefix_name).", 400,
                             BAD_PAYLOAD)
    logical = schema_name.lower()
    entity_set = body.get("EntitySetName") or plural(logical)
    if logical in schema:
        raise taken(f"An entity with the specified name '{logical}' already exists. Specify a unique name.")
    if entity_set in schema.by_set():
        raise taken(f"The entity set name '{entity_set}' is already used.")
    attributes = body.get("Attributes") or []
    if not isinstance(attributes, list) or not all(isinstance(a, dict) for a in attributes):
        raise DataverseError("Attributes must be an array of AttributeMetadata objects.", 400, BAD_PAYLOAD)
    primary = [a for a in attributes if a.get("IsPrimaryName")]
    if len(primary) != 1 or type_of(primary[0]) != "StringAttributeMetadata" or not primary[0].get("SchemaName"):
        raise DataverseError("A table needs exactly one primary name column (StringAttributeMetadata with "
                             "IsPrimaryName true).", 400, BAD_PAYLOAD)
    activity = bool(body.get("IsActivity"))
    name = column_of(schema, primary[0])[0]
    if activity and name != "subject":
        raise DataverseError("The primary name column of an activity table must be Subject.", 400, BAD_PAYLOAD)
    owned = activity or body.get("OwnershipType", "UserOwned") in ("UserOwned", 1, "1")
    columns = [f"{name}:string"] if not activity else [ACTIVITY_COLUMNS]
    if not activity:
        columns.append("statecode:choice statuscode:int")
    typed = [column_of(schema, a) for a in attributes if not a.get("IsPrimaryName")]
    columns += [f"{c}:{k}" for c, k, _ in typed]
    lookups, collections = {}, []
    if activity:
        targets = [t for t in REGARDING if t in schema] + [
            t for t, p in schema.entity_props.items() if p.get("HasActivities") and t in schema]
        lookups["regardingobjectid"] = {t: f"regardingobjectid_{t}_{logical}" for t in targets}
        collections.append(Collection(f"{logical}_activity_parties", "activityparty", "activityid"))
    table = _table(logical, entity_set, "activityid" if activity else f"{logical}id", name, " ".join(columns),
                   lookups=lookups, states=ACTIVITY_STATES if activity else ACTIVE,
                   status={0: 1, 1: 2, 2: 3} if activity else {0: 1, 1: 2}, owned=owned,
                   computed=("activitytypecode",) if activity else (), collections=collections)
    for column, _, choices in typed:
        if choices is not None:
            table.choices[column] = choices
    schema[logical] = table
    for attribute in attributes:
        remember_attribute(schema, logical, attribute["SchemaName"].lower(), attribute)
    props = with_user_labels({k: copy.deepcopy(v) for k, v in body.items() if k not in ("Attributes", "@odata.type")})
    props.update(LogicalName=logical, EntitySetName=entity_set, IsActivity=activity, IsCustomEntity=True,
                 PrimaryIdAttribute=table.primary_id, PrimaryNameAttribute=name,
                 OwnershipType="UserOwned" if owned else "OrganizationOwned")
    props.setdefault("MetadataId", metadata_id(logical))
    schema.entity_props[logical] = props
    if activity:
        add_target(schema, "activityparty", "activityid", logical, f"activityid_{logical}")
    if body.get("HasNotes"):
        add_target(schema, "annotation", "objectid", logical, f"objectid_{logical}")
    if body.get("HasActivities"):
        for other in list(schema):
            if other != logical and "regardingobjectid" in schema[other].lookups and schema[other].collections:
                add_target(schema, other, "regardingobjectid", logical, f"regardingobjectid_{logical}_{other}")
    return props["MetadataId"]


def update_entity(schema: Schema, logical: str, body: dict, merge: bool) -> None:
    """PUT EntityDefinitions(...): labels and properties; names and the entity set stay."""
    table = table_of(schema, logical)
    check_shape(body, f"The table {logical}", ())
    old = schema.entity_props.get(logical) or {"LogicalName": logical, "MetadataId": metadata_id(logical)}
    fixed = {"LogicalName", "EntitySetName", "MetadataId", "PrimaryIdAttribute", "PrimaryNameAttribute", "IsActivity"}
    new = {k: (merge_labels(old.get(k), v) if merge else v) for k, v in body.items()
           if k not in fixed and k not in ("Attributes", "@odata.type")}
    schema.entity_props[logical] = with_user_labels({**old, **new, "EntitySetName": table.entity_set})


# --- relationships, keys, global choices ----------------------------------------------------------
def create_relationship(schema: Schema, body: dict) -> str:
    """POST RelationshipDefinitions (one-to-many): the lookup column and both navigation properties."""
    expect_type(body, "OneToManyRelationshipMetadata")
    schema_name, lookup = body.get("SchemaName"), body.get("Lookup") or {}
    referenced, referencing = body.get("ReferencedEntity"), body.get("ReferencingEntity")
    if not schema_name or not isinstance(lookup, dict) or not lookup.get("SchemaName"):
        raise DataverseError("A one-to-many relationship needs a SchemaName and a Lookup with its SchemaName.",
                             400, BAD_PAYLOAD)
    expect_type(lookup, "LookupAttributeMetadata")
    check_shape(lookup, "The lookup", ("SchemaName", "DisplayName"))
    if schema_name in schema.relationship_defs:
        raise taken(f"A relationship named '{schema_name}' already exists.")
    parent, child = table_of(schema, str(referenced)), table_of(schema, str(referencing))
    attr = lookup["SchemaName"].lower()
    if attr in child.columns or attr in child.lookups:
        raise taken(f"An attribute with the name '{attr}' already exists on '{child.logical}'.")
    to_parent = body.get("ReferencingEntityNavigationPropertyName") or lookup["SchemaName"]
    to_children = body.get("ReferencedEntityNavigationPropertyName") or schema_name
    if to_parent in child.navs or to_children in parent.collections:
        raise DataverseError(f"NavigationPropertyName {to_parent if to_parent in child.navs else to_children} is "
                             "not unique within an entity", 400, "0x80072551")
    cascade = (body.get("CascadeConfiguration") or {}).get("Delete") == "Cascade"
    child = schema.editable(child.logical)
    set_lookup(child, Lookup(attr, {parent.logical: to_parent}))
    schema.editable(parent.logical).collections[to_children] = Collection(to_children, child.logical, attr, cascade)
    definition = with_user_labels(copy.deepcopy(body))
    definition.pop("Lookup")
    definition.update({"@odata.type": f"#{CRM}OneToManyRelationshipMetadata", "SchemaName": schema_name,
                       "ReferencedEntity": parent.logical, "ReferencingEntity": child.logical,
                       "ReferencedAttribute": parent.primary_id, "ReferencingAttribute": attr,
                       "ReferencingEntityNavigationPropertyName": to_parent,
                       "ReferencedEntityNavigationPropertyName": to_children, "IsCustomRelationship": True,
                       "RelationshipType": "OneToManyRelationship"})
    definition.setdefault("MetadataId", metadata_id("relationship", schema_name))
    schema.relationship_defs[schema_name] = definition
    remember_attribute(schema, child.logical, attr, {**lookup, "Targets": [parent.logical]})
    return definition["MetadataId"]


def create_key(schema: Schema, logical: str, body: dict) -> str:
    """POST EntityDefinitions(...)/Keys: an alternate key, active at once (Dataverse builds its index
    in a system job); a one-column key is enforced on writes and addresses rows (`<set>(<col>='v')`)."""
    expect_type(body, "EntityKeyMetadata", implied="EntityKeyMetadata")
    table = table_of(schema, logical)
    columns = body.get("KeyAttributes") or []
    if not body.get("SchemaName") or not columns or not all(c in table.columns for c in columns):
        raise DataverseError("An alternate key needs a SchemaName and KeyAttributes naming columns of "
                             f"'{logical}'.", 400, BAD_PAYLOAD)
    key_name = body["SchemaName"].lower()
    if any(k["LogicalName"] == key_name for k in schema.entity_keys.get(logical, [])):
        raise taken(f"A key named '{key_name}' already exists on '{logical}'.")
    existing = [k["KeyAttributes"] for k in schema.entity_keys.get(logical, [])] or [
        [c] for c in table.alternate_keys]
    if sorted(columns) in [sorted(k) for k in existing]:
        raise taken(f"'{logical}' already has a key on {', '.join(columns)}.")
    if len(columns) == 1 and columns[0] not in table.alternate_keys:
        editable = schema.editable(logical)
        editable.alternate_keys = (*editable.alternate_keys, columns[0])
    definition = with_user_labels({**copy.deepcopy(body), "@odata.type": f"#{CRM}EntityKeyMetadata",
                                   "LogicalName": key_name, "EntityLogicalName": logical,
                                   "KeyAttributes": list(columns), "EntityKeyIndexStatus": "Active"})
    definition.setdefault("MetadataId", metadata_id(logical, "key", key_name))
    schema.entity_keys.setdefault(logical, []).append(definition)
    return definition["MetadataId"]


def create_option_set(schema: Schema, body: dict) -> str:
    """POST GlobalOptionSetDefinitions: a global choice that picklist columns can bind."""
    expect_type(body, "OptionSetMetadata")
    check_shape(body, "A global choice", ("Name", "DisplayName"))
    name = body.get("Name")
    if not name:
        raise DataverseError("A global choice needs a Name.", 400, BAD_PAYLOAD)
    if name in schema.option_sets:
        raise taken(f"A global option set named '{name}' already exists.")
    numbered(body.get("Options") or [])
    kind = body.get("OptionSetType", "Picklist")
    definition = with_values(with_user_labels({**copy.deepcopy(body), "@odata.type": f"#{CRM}OptionSetMetadata",
                                               "IsGlobal": True, "OptionSetType": kind}))
    definition.setdefault("MetadataId", metadata_id("optionset", name))
    schema.option_sets[name] = definition
    return definition["MetadataId"]


def bare(schema: Schema) -> Schema:
    """A fresh organisation: no `smsc_` table, no `smsc_` column, no lookup target among them."""
    for logical in [t for t in schema if t.startswith("smsc_")]:
        del schema[logical]
    for logical in list(schema):
        table = schema[logical]
        if not (any(c.startswith("smsc_") for c in table.columns) or any(
                a.startswith("smsc_") or any(t not in schema for t in lk.targets) for a, lk in table.lookups.items())):
            continue
        table = schema.editable(logical)
        for column in [c for c in table.columns if c.startswith("smsc_")]:
            del table.columns[column]
            table.choices.pop(column, None)
        lookups = dict(table.lookups)
        table.lookups.clear()
        table.navs.clear()
        for attr, lookup in lookups.items():
            if not attr.startswith("smsc_"):
                set_lookup(table, Lookup(attr, {t: n for t, n in lookup.targets.items() if t in schema},
                                         lookup.readonly))
    return schema


# --- options of an existing choice (InsertOptionValue, UpdateOptionValue) ---------------------------
def _choice(schema: Schema, body: dict) -> tuple[dict, list[tuple[str, str]]]:
    """The option set an action names (a global one, or a column's own) and the columns using it."""
    name, logical, column = body.get("OptionSetName"), body.get("EntityLogicalName"), body.get("AttributeLogicalName")
    if name:
        if name not in schema.option_sets:
            raise DataverseError(f"No global option set named '{name}'.", 404, NOT_IN_METADATA)
        users = [key for key, props in schema.attribute_props.items()
                 if (props.get("OptionSet") or {}).get("Name") == name]
        return schema.option_sets[name], users
    table = table_of(schema, str(logical))
    if table.columns.get(str(column)) != "choice":
        raise DataverseError(f"'{column}' is not a choice column of '{logical}'.", 400, BAD_PAYLOAD)
    props = schema.attribute_props.setdefault((table.logical, str(column)), {"LogicalName": column})
    option_set = props.setdefault("OptionSet", {"Options": [
        {"Value": v, "Label": with_user_labels({"LocalizedLabels": [{"Label": t, "LanguageCode": 1033}]})}
        for v, t in sorted(table.choices.get(str(column), {}).items())]})
    return option_set, [(table.logical, str(column))]


def _refresh_choices(schema: Schema, option_set: dict, users: list[tuple[str, str]]) -> None:
    for logical, column in users:
        if logical in schema:
            schema.editable(logical).choices[column] = {
                o["Value"]: label_text(o.get("Label")) or str(o["Value"]) for o in option_set["Options"]}
            if option_set is not schema.attribute_props.get((logical, column), {}).get("OptionSet"):
                schema.attribute_props[(logical, column)]["OptionSet"] = copy.deepcopy(option_set)


def insert_option(schema: Schema, body: dict) -> int:
    """InsertOptionValue: a new option (its Value given or the next one); returns the value."""
    check_shape(body, "InsertOptionValue", ("Label",))
    option_set, users = _choice(schema, body)
    options = option_set.setdefault("Options", [])
    values = {o["Value"] for o in options}
    value = body.get("Value")
    if value is None:
        value = max([v for v in values if v >= 100_000_000] or [99_999_999]) + 1
    if not isinstance(value, int) or value in values:
        raise DataverseError(f"The option value {value} is not a new integer value.", 400, BAD_PAYLOAD)
    options.append(with_user_labels({"Value": value, "Label": body["Label"],
                                     **({"Description": body["Description"]} if body.get("Description") else {})}))
    _refresh_choices(schema, option_set, users)
    return value


def update_option(schema: Schema, body: dict) -> None:
    """UpdateOptionValue: an option's label (merged by language with MergeLabels)."""
    check_shape(body, "UpdateOptionValue", ("Value", "Label", "MergeLabels"))
    option_set, users = _choice(schema, body)
    found = [o for o in option_set.get("Options", []) if o.get("Value") == body["Value"]]
    if not found:
        raise DataverseError(f"No option with the value {body['Value']}.", 404, NOT_IN_METADATA)
    label = merge_labels(found[0].get("Label"), body["Label"]) if body["MergeLabels"] else body["Label"]
    found[0]["Label"] = with_user_labels(label)
    _refresh_choices(schema, option_set, users)


# --- deletions ---------------------------------------------------------------------------------------
def custom(name: str) -> bool:
    """Custom tables and columns carry their publisher's prefix (`smsc_`, `new_`); standard ones do not."""
    return "_" in name.strip("_")


def delete_entity(schema: Schema, logical: str) -> str:
    """DELETE EntityDefinitions(...): a custom table, its relationships and every lookup target to it."""
    table_of(schema, logical)
    if not custom(logical):
        raise DataverseError(f"'{logical}' is a system table: it cannot be deleted.", 400, BAD_PAYLOAD)
    found = schema.entity_props.get(logical, {}).get("MetadataId") or metadata_id(logical)
    del schema[logical]
    for other in list(schema):
        current = schema[other]
        if not any(logical in lk.targets for lk in current.lookups.values()) and not any(
                c.child == logical for c in current.collections.values()):
            continue
        editable = schema.editable(other)
        for attr, lookup in list(editable.lookups.items()):
            if logical in lookup.targets:
                kept = {t: n for t, n in lookup.targets.items() if t != logical}
                if kept or attr in ("activityid", "objectid", "regardingobjectid"):
                    set_lookup(editable, Lookup(attr, kept, lookup.readonly))
                else:
                    set_lookup(editable, Lookup(attr, {}, lookup.readonly))
                    del editable.lookups[attr]
                    schema.attribute_props.pop((other, attr), None)
        for nav in [n for n, c in editable.collections.items() if c.child == logical]:
            del editable.collections[nav]
    for name in [n for n, d in schema.relationship_defs.items() if logical in (d["ReferencedEntity"],
                                                                              d["ReferencingEntity"])]:
        del schema.relationship_defs[name]
    schema.entity_props.pop(logical, None)
    schema.entity_keys.pop(logical, None)
    for key in [k for k in schema.attribute_props if k[0] == logical]:
        del schema.attribute_props[key]
    return found


def delete_attribute(schema: Schema, logical: str, column: str) -> str:
    """DELETE .../Attributes(...): a custom column that no key uses (a lookup goes with its relationship)."""
    table = table_of(schema, logical)
    if column not in table.columns:
        raise DataverseError(f"Could not find attribute '{column}' on '{logical}'.", 404, NOT_IN_METADATA)
    if not custom(column) or column == table.primary_name:
        raise DataverseError(f"'{column}' is a system or primary column: it cannot be deleted.", 400, BAD_PAYLOAD)
    if any(column in k["KeyAttributes"] for k in schema.entity_keys.get(logical, [])) or column in table.alternate_keys:
        raise DataverseError(f"'{column}' is used by an alternate key: delete the key first.", 400, BAD_PAYLOAD)
    found = schema.attribute_props.pop((logical, column), {}).get("MetadataId") or metadata_id(logical, column)
    editable = schema.editable(logical)
    del editable.columns[column]
    editable.choices.pop(column, None)
    return found


def delete_key(schema: Schema, logical: str, key: str) -> str:
    """DELETE .../Keys(...): the key stops being enforced and addressing rows."""
    table = table_of(schema, logical)
    keys = schema.entity_keys.get(logical, [])
    found = [k for k in keys if key.lower() in (k["LogicalName"], str(k["MetadataId"]).lower())]
    if not found:
        raise DataverseError(f"Could not find key '{key}' on '{logical}'.", 404, NOT_IN_METADATA)
    keys.remove(found[0])
    if len(found[0]["KeyAttributes"]) == 1 and found[0]["KeyAttributes"][0] in table.alternate_keys:
        editable = schema.editable(logical)
        editable.alternate_keys = tuple(c for c in editable.alternate_keys if c != found[0]["KeyAttributes"][0])
    return found[0]["MetadataId"]


def delete_relationship(schema: Schema, key: str) -> str:
    """DELETE RelationshipDefinitions(...): a relationship created through the API, with its lookup column."""
    found = [d for d in schema.relationship_defs.values() if key in (d["SchemaName"], str(d["MetadataId"]).lower())]
    if not found:
        raise DataverseError(f"Could not find a relationship '{key}' created here.", 404, NOT_IN_METADATA)
    definition = found[0]
    child = schema.editable(definition["ReferencingEntity"])
    set_lookup(child, Lookup(definition["ReferencingAttribute"], {}))
    del child.lookups[definition["ReferencingAttribute"]]
    schema.attribute_props.pop((child.logical, definition["ReferencingAttribute"]), None)
    schema.editable(definition["ReferencedEntity"]).collections.pop(
        definition["ReferencedEntityNavigationPropertyName"], None)
    del schema.relationship_defs[definition["SchemaName"]]
    return definition["MetadataId"]


def delete_option_set(schema: Schema, key: str) -> str:
    """DELETE GlobalOptionSetDefinitions(...): a global choice no column uses."""
    found = [o for o in schema.option_sets.values() if key in (o["Name"], str(o["MetadataId"]).lower())]
    if not found:
        raise DataverseError(f"Could not find a global option set '{key}'.", 404, NOT_IN_METADATA)
    if any((p.get("OptionSet") or {}).get("Name") == found[0]["Name"] for p in schema.attribute_props.values()):
        raise DataverseError(f"The global option set '{found[0]['Name']}' is used by a column.", 400, BAD_PAYLOAD)
    del schema.option_sets[found[0]["Name"]]
    return found[0]["MetadataId"]

"""The Web API metadata bodies of the definition's components, as Microsoft documents them
("Create and update table / column definitions, table relationships, choices using the Web API",
"Custom activities"): one function per component kind, pure.

Labels are written in the organisation's provisioned languages among French and English (`languages`);
choice values are DESIGN §4's numbers, never the publisher's option value prefix.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from solution.model import (
    ENGLISH,
    FRENCH,
    AlternateKey,
    BooleanColumn,
    Choice,
    ChoiceColumn,
    Column,
    DateTimeColumn,
    DecimalColumn,
    IntegerColumn,
    Label,
    LookupColumn,
    MemoColumn,
    MoneyColumn,
    Option,
    StringColumn,
    Table,
)

CRM = "Microsoft.Dynamics.CRM."
Body = dict[str, Any]
BOTH_LANGUAGES = frozenset({ENGLISH, FRENCH})


def label(text: Label, languages: Iterable[int] = BOTH_LANGUAGES) -> Body:
    """A `Label` with one `LocalizedLabel` per language (English first, French second)."""
    by_language = text.by_language()
    return {"@odata.type": f"{CRM}Label", "LocalizedLabels": [
        {"@odata.type": f"{CRM}LocalizedLabel", "Label": by_language[code], "LanguageCode": code}
        for code in (ENGLISH, FRENCH) if code in languages]}


def _required(column: Column) -> Body:
    return {"Value": column.required.value, "CanBeChanged": True,
            "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings"}


def _option(option: Option, languages: Iterable[int]) -> Body:
    return {"Value": option.value, "Label": label(option.label, languages)}


def option_set(choice: Choice, languages: Iterable[int]) -> Body:
    """A local option set (in a column) or, with `is_global`, a `GlobalOptionSetDefinitions` body."""
    body: Body = {"@odata.type": f"{CRM}OptionSetMetadata", "IsGlobal": choice.is_global,
                  "OptionSetType": "Picklist", "Options": [_option(o, languages) for o in choice.options]}
    if choice.is_global:
        body |= {"Name": choice.name, "DisplayName": label(choice.display, languages)}
    return body


def _typed(column: Column) -> Body:
    """The type-specific part of an attribute definition."""
    if isinstance(column, StringColumn):
        return {"@odata.type": f"{CRM}StringAttributeMetadata", "AttributeType": "String",
                "AttributeTypeName": {"Value": "StringType"}, "MaxLength": column.max_length,
                "FormatName": {"Value": column.format.value}}
    if isinstance(column, MemoColumn):
        return {"@odata.type": f"{CRM}MemoAttributeMetadata", "AttributeType": "Memo",
                "AttributeTypeName": {"Value": "MemoType"}, "Format": "TextArea", "MaxLength": column.max_length}
    if isinstance(column, IntegerColumn):
        return {"@odata.type": f"{CRM}IntegerAttributeMetadata", "AttributeType": "Integer",
                "AttributeTypeName": {"Value": "IntegerType"}, "Format": "None",
                "MinValue": column.min_value, "MaxValue": column.max_value}
    if isinstance(column, DecimalColumn):
        return {"@odata.type": f"{CRM}DecimalAttributeMetadata", "AttributeType": "Decimal",
                "AttributeTypeName": {"Value": "DecimalType"}, "Precision": column.precision,
                "MinValue": column.min_value, "MaxValue": column.max_value}
    if isinstance(column, MoneyColumn):
        # PrecisionSource 0: the column's own Precision (not the organisation's or the currency's).
        return {"@odata.type": f"{CRM}MoneyAttributeMetadata", "AttributeType": "Money",
                "AttributeTypeName": {"Value": "MoneyType"}, "PrecisionSource": 0, "Precision": column.precision,
                "MinValue": column.min_value, "MaxValue": column.max_value}
    if isinstance(column, DateTimeColumn):
        return {"@odata.type": f"{CRM}DateTimeAttributeMetadata", "AttributeType": "DateTime",
                "AttributeTypeName": {"Value": "DateTimeType"}, "Format": column.format.value,
                "DateTimeBehavior": {"Value": "UserLocal"}}
    raise TypeError(f"{type(column).__name__} has no plain attribute body")


def attribute(column: Column, languages: Iterable[int]) -> Body:
    """The body of `POST EntityDefinitions(LogicalName='t')/Attributes` (lookups go through relationships)."""
    common: Body = {"SchemaName": column.schema_name, "DisplayName": label(column.display, languages),
                    "RequiredLevel": _required(column)}
    if column.description:
        common["Description"] = label(column.description, languages)
    if isinstance(column, BooleanColumn):
        return {"@odata.type": f"{CRM}BooleanAttributeMetadata", "AttributeType": "Boolean",
                "AttributeTypeName": {"Value": "BooleanType"}, **common, "DefaultValue": column.default,
                "OptionSet": {"@odata.type": f"{CRM}BooleanOptionSetMetadata", "OptionSetType": "Boolean",
                              "TrueOption": {"Value": 1, "Label": label(column.true_label, languages)},
                              "FalseOption": {"Value": 0, "Label": label(column.false_label, languages)}}}
    if isinstance(column, ChoiceColumn):
        body: Body = {"@odata.type": f"{CRM}PicklistAttributeMetadata", "AttributeType": "Picklist",
                      "AttributeTypeName": {"Value": "PicklistType"}, **common}
        if column.default is not None:
            body["DefaultFormValue"] = column.default
        if column.choice.is_global:
            body["GlobalOptionSet@odata.bind"] = f"/GlobalOptionSetDefinitions(Name='{column.choice.name}')"
        else:
            body["OptionSet"] = option_set(column.choice, languages)
        return body
    if isinstance(column, LookupColumn):
        raise TypeError(f"{column.logical_name} is a lookup: created with its relationship")
    return {**_typed(column), **common}


def table(table: Table, languages: Iterable[int]) -> Body:
    """The body of `POST EntityDefinitions`, with its primary name column (`Subject` for an activity)."""
    if table.is_activity:
        primary: Body = {"@odata.type": f"{CRM}StringAttributeMetadata", "AttributeType": "String",
                         "AttributeTypeName": {"Value": "StringType"}, "SchemaName": "Subject", "MaxLength": 200,
                         "FormatName": {"Value": "Text"}, "IsPrimaryName": True,
                         "DisplayName": label(Label("Objet", "Subject"), languages),
                         "RequiredLevel": {"Value": "None", "CanBeChanged": True,
                                           "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings"}}
    else:
        assert table.primary_name is not None, f"{table.logical_name}: a new table needs its primary name column"
        primary = attribute(table.primary_name, languages) | {"IsPrimaryName": True}
    body: Body = {"@odata.type": f"{CRM}EntityMetadata", "SchemaName": table.schema_name,
                  "DisplayName": label(table.display, languages),
                  "DisplayCollectionName": label(table.plural, languages),
                  "Description": label(table.description, languages),
                  "OwnershipType": table.ownership.value, "IsActivity": table.is_activity,
                  "HasActivities": False, "HasNotes": True, "Attributes": [primary]}
    if table.is_activity:
        # Custom activities: offline available, no mail merge, shown in the activity menus (mask 1).
        body |= {"IsAvailableOffline": True, "ActivityTypeMask": 1,
                 "IsMailMergeEnabled": {"Value": False, "CanBeChanged": False,
                                        "ManagedPropertyLogicalName": "canmodifymailmergesettings"}}
    return body


def relationship(table: Table, column: LookupColumn, target: str, target_primary_id: str,
                 languages: Iterable[int]) -> Body:
    """The body of `POST RelationshipDefinitions`: a one-to-many relationship creating the lookup column.
    Deleting the referenced row clears the lookup (RemoveLink), as in the packaged solution."""
    lookup: Body = {"@odata.type": f"{CRM}LookupAttributeMetadata", "AttributeType": "Lookup",
                    "AttributeTypeName": {"Value": "LookupType"}, "SchemaName": column.schema_name,
                    "DisplayName": label(column.display, languages), "RequiredLevel": _required(column)}
    if column.description:
        lookup["Description"] = label(column.description, languages)
    return {"@odata.type": f"{CRM}OneToManyRelationshipMetadata",
            "SchemaName": column.relationship_name(table.logical_name, target),
            "ReferencedEntity": target, "ReferencedAttribute": target_primary_id,
            "ReferencingEntity": table.logical_name,
            "AssociatedMenuConfiguration": {"Behavior": "UseCollectionName", "Group": "Details", "Order": 10000},
            "CascadeConfiguration": {"Assign": "NoCascade", "Delete": "RemoveLink", "Merge": "NoCascade",
                                     "Reparent": "NoCascade", "Share": "NoCascade", "Unshare": "NoCascade"},
            "Lookup": lookup}


def key(key: AlternateKey, languages: Iterable[int]) -> Body:
    """The body of `POST EntityDefinitions(LogicalName='t')/Keys`."""
    return {"@odata.type": f"{CRM}EntityKeyMetadata", "SchemaName": key.schema_name,
            "DisplayName": label(key.display, languages), "KeyAttributes": list(key.columns)}


def publish_xml(entities: Iterable[str], option_sets: Iterable[str], web_resource_ids: Iterable[str],
                site_map_ids: Iterable[str] = (), app_ids: Iterable[str] = (),
                dashboard_ids: Iterable[str] = ()) -> str:
    """`PublishXml`'s ParameterXml naming exactly what the installer owns (never PublishAllXml): the tables
    (with their views and charts), the dashboards by id, choices, web resources, site maps, apps."""
    parts = ["<importexportxml>"]
    for group, item, names in (("entities", "entity", entities), ("dashboards", "dashboard", dashboard_ids),
                               ("optionsets", "optionset", option_sets),
                               ("webresources", "webresource", web_resource_ids),
                               ("sitemaps", "sitemap", site_map_ids), ("appmodules", "appmodule", app_ids)):
        names = list(names)
        if names:
            parts += [f"<{group}>", *(f"<{item}>{name}</{item}>" for name in names), f"</{group}>"]
    return "".join(parts + ["</importexportxml>"])

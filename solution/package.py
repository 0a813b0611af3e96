"""`smsc solution package`: the definition as an unmanaged solution zip (Settings → Solutions → Import).

Microsoft's solution file format, with the element names, casing and nesting a Dataverse export
writes (compared in tests with a real export): `[Content_Types].xml` (UTF-8 with a BOM, as Dataverse
writes it), `solution.xml` (ImportExportXml / SolutionManifest: name, version, publisher, root
components) and `customizations.xml` (entities with their attributes, option sets, keys, forms,
views and ribbon; relationships, one per lookup target; roles; global option sets; web resources),
the web resource files under `WebResources/`, and one `environmentvariabledefinitions/<schema name>/
environmentvariabledefinition.xml` per environment variable (root component type 380; no value).

Not in the zip: the webhook (service endpoint and SDK steps) and the seed rows. The endpoint needs the
function app's URL and key, known only where it is installed: `smsc solution deploy` registers them.
"""
from __future__ import annotations

import io
import zipfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from connector.errors import BadInput
from solution.definition import DEFINITION, WEB_RESOURCES_DIR
from solution.model import (
    ENGLISH,
    FRENCH,
    BooleanColumn,
    Chart,
    Choice,
    ChoiceColumn,
    Column,
    CommandButton,
    CommandLocation,
    Dashboard,
    DateTimeColumn,
    DateTimeFormat,
    DecimalColumn,
    EnvironmentVariable,
    FieldControl,
    Form,
    IntegerColumn,
    Label,
    LookupColumn,
    MemoColumn,
    ModelDrivenApp,
    MoneyColumn,
    RequiredLevel,
    SolutionDefinition,
    StringColumn,
    SubgridControl,
    Table,
    View,
    WebResource,
    WebResourceControl,
    stable_id,
)

XSI = "http://www.w3.org/2001/XMLSchema-instance"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
INTRODUCED = "1.0.0.0"
LANGUAGES = (ENGLISH, FRENCH)

# Solution component types (solutioncomponent.componenttype).
TABLE, OPTION_SET, ROLE, FORM, WEB_RESOURCE_COMPONENT, ENVIRONMENT_VARIABLE = 1, 9, 20, 60, 61, 380
SITE_MAP, APP_MODULE = 62, 80
# Root component behaviour: 0 the table and all its parts; 2 a shell (only the parts listed in the XML).
WHOLE, SHELL = 0, 2

# Form control class ids (the platform's, one per column type).
CONTROL_CLASS = {
    "String": "{4273EDBD-AC1D-40d3-9FB2-095C621B552D}", "Memo": "{E0DECE4B-6FC8-4a8f-A065-082708572369}",
    "Integer": "{C6D124CA-7EDA-4a60-AEA9-7FB8D318B68F}", "Decimal": "{C3EFE0C3-0EC6-42be-8349-CBD9079DFD8E}",
    "Money": "{533B9E00-756B-4312-95A0-DC888637AC78}", "Boolean": "{67FAC785-CD58-4f9f-ABB3-4B7DDC6ED5ED}",
    "DateTime": "{5B773807-9FB2-42db-97C3-7A91EFF8ADFF}", "Lookup": "{270BD3DB-D9AF-4782-9025-509E298DEC0A}",
    "Picklist": "{3EF39988-22BB-4f0b-BBBE-64B5A3748AEE}", "PartyList": "{CBFB742C-14E7-4a17-96BB-1A13F7F64AA2}",
    "Status": "{5D68B988-0661-4db2-BC3E-17598AD3BE6C}", "WebResource": "{9FDF5F91-88B1-47f4-AD53-C11EFC01A01D}",
    "Subgrid": "{E7A81278-8635-4d9e-8D4D-59480B391C5B}",
}
# Platform columns the forms and views use, with their control type and labels.
STANDARD_COLUMNS = {
    "subject": ("String", Label("Objet", "Subject")), "description": ("Memo", Label("Description", "Description")),
    "to": ("PartyList", Label("Destinataire", "To")),
    "regardingobjectid": ("Lookup", Label("Concernant", "Regarding")),
    "scheduledend": ("DateTime", Label("Date d'échéance", "Due")),
    "actualend": ("DateTime", Label("Fin réelle", "Actual end")),
    "statecode": ("Picklist", Label("Statut", "Status")),
    "statuscode": ("Status", Label("Raison du statut", "Status reason")),
    "ownerid": ("Lookup", Label("Propriétaire", "Owner")), "name": ("String", Label("Nom", "Name")),
    "actualstart": ("DateTime", Label("Début réel", "Actual start")),
    "othercost": ("Money", Label("Coûts divers", "Miscellaneous costs")),
    "createdon": ("DateTime", Label("Créé le", "Created on")),
    "modifiedon": ("DateTime", Label("Modifié le", "Modified on")),
}
# Existing tables the solution touches: schema name (as Dataverse spells the entity) and display name.
EXISTING_TABLES = {"campaign": ("Campaign", Label("Campagne", "Campaign")),
                   "contact": ("Contact", Label("Contact", "Contact")), "lead": ("Lead", Label("Prospect", "Lead")),
                   "account": ("Account", Label("Compte", "Account")),
                   "systemuser": ("SystemUser", Label("Utilisateur", "User"))}
# Their entity type codes, which an export writes for a system table (<ObjectTypeCode>).
OBJECT_TYPE_CODES = {"account": 1, "contact": 2, "lead": 4, "systemuser": 8, "team": 9, "campaign": 4400}


class PackageError(BadInput):
    """The package cannot be written where asked (the CLI turns it into one line, exit 2)."""
    error_code = "package_output"


@dataclass(frozen=True)
class PackageSummary:
    path: Path
    tables: int
    columns: int
    web_resources: int
    size: int


# --- small XML helpers ---------------------------------------------------------------------------------

def _sub(parent: ET.Element, tag: str, text: str | int | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.replace("__", ":"): v for k, v in attributes.items()})
    if text is not None:
        element.text = str(text)
    return element


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _braced(guid: str) -> str:
    return "{" + guid + "}"


def _text(label: Label, language: int) -> str:
    return label.by_language()[language]


def _ordered(language: int) -> tuple[int, ...]:
    """The base language first, then the other one."""
    return (language,) + tuple(code for code in LANGUAGES if code != language)


def _labels(parent: ET.Element, container: str, item: str, label: Label, language: int) -> ET.Element:
    """<container><item description="…" languagecode="…" />…</container>, one per language."""
    element = _sub(parent, container)
    for code in _ordered(language):
        _sub(element, item, description=label.by_language()[code], languagecode=str(code))
    return element


def _empty_descriptions(parent: ET.Element, language: int, description: Label | None = None) -> None:
    _labels(parent, "Descriptions", "Description", description or Label("", ""), language)


def _schema_name(table: str, definition: SolutionDefinition) -> str:
    found = next((t for t in definition.tables if t.logical_name == table), None)
    return found.schema_name if found else EXISTING_TABLES[table][0]


# --- solution.xml ------------------------------------------------------------------------------------

def root_components(definition: SolutionDefinition) -> list[tuple[int, str, int]]:
    """(component type, schema name or {id}, behaviour): tables, global option sets, roles, forms of
    existing tables, web resources, environment variable definitions; sorted by type as Dataverse lists them."""
    components: list[tuple[int, str, int]] = []
    for table in definition.tables:
        components.append((TABLE, table.logical_name, WHOLE if table.is_new else SHELL))
    for shell in sorted(shell_tables(definition)):
        components.append((TABLE, shell, SHELL))
    components += [(OPTION_SET, choice.name, WHOLE) for choice in definition.choices]
    components += [(ROLE, _braced(role.role_id), WHOLE) for role in definition.roles]
    existing = {t.logical_name for t in definition.tables if not t.is_new}
    components += [(FORM, _braced(form.form_id), WHOLE) for form in definition.forms if form.table in existing]
    components += [(FORM, _braced(dashboard.dashboard_id), WHOLE) for dashboard in definition.dashboards]
    components += [(WEB_RESOURCE_COMPONENT, resource.name, WHOLE) for resource in definition.web_resources]
    components += [(ENVIRONMENT_VARIABLE, variable.schema_name, WHOLE) for variable in definition.environment_variables]
    for app in definition.apps:
        components += [(SITE_MAP, app.unique_name, WHOLE), (APP_MODULE, app.unique_name, WHOLE)]
    return sorted(components, key=lambda c: (c[0], c[1]))


def _address(parent: ET.Element, number: int) -> None:
    address = _sub(parent, "Address")
    _sub(address, "AddressNumber", number)
    _sub(address, "AddressTypeCode", 1)
    for name in ("City", "County", "Country", "Fax", "FreightTermsCode", "ImportSequenceNumber", "Latitude",
                 "Line1", "Line2", "Line3", "Longitude", "Name", "PostalCode", "PostOfficeBox",
                 "PrimaryContactName"):
        _sub(address, name, "", xsi__nil="true")
    _sub(address, "ShippingMethodCode", 1)
    for name in ("StateOrProvince", "Telephone1", "Telephone2", "Telephone3", "TimeZoneRuleVersionNumber",
                 "UPSZone", "UTCOffset", "UTCConversionTimeZoneCode"):
        _sub(address, name, "", xsi__nil="true")


def solution_xml(definition: SolutionDefinition, language: int = ENGLISH) -> ET.Element:
    root = ET.Element("ImportExportXml", {"version": "9.2.0.0", "SolutionPackageVersion": "9.2",
                                          "languagecode": str(language), "generatedBy": "CrmLive",
                                          "xmlns:xsi": XSI})
    manifest = _sub(root, "SolutionManifest")
    _sub(manifest, "UniqueName", definition.unique_name)
    _labels(manifest, "LocalizedNames", "LocalizedName", definition.display, language)
    _labels(manifest, "Descriptions", "Description", definition.description, language)
    _sub(manifest, "Version", definition.version)
    _sub(manifest, "Managed", 0)
    publisher = _sub(manifest, "Publisher")
    _sub(publisher, "UniqueName", definition.publisher.unique_name)
    _labels(publisher, "LocalizedNames", "LocalizedName", definition.publisher.display, language)
    _sub(publisher, "Descriptions")
    _sub(publisher, "EMailAddress", "", xsi__nil="true")
    _sub(publisher, "SupportingWebsiteUrl", "", xsi__nil="true")
    _sub(publisher, "CustomizationPrefix", definition.publisher.prefix)
    _sub(publisher, "CustomizationOptionValuePrefix", definition.publisher.option_value_prefix)
    addresses = _sub(publisher, "Addresses")
    _address(addresses, 1)
    _address(addresses, 2)
    components = _sub(manifest, "RootComponents")
    for kind, name, behavior in root_components(definition):
        key = "id" if name.startswith("{") else "schemaName"
        _sub(components, "RootComponent", type=str(kind), **{key: name}, behavior=str(behavior))
    _sub(manifest, "MissingDependencies")
    return root


# --- customizations.xml: attributes -------------------------------------------------------------------

_COMMON_FLAGS = ("ValidForUpdateApi", "ValidForReadApi", "ValidForCreateApi")
_REQUIRED = {RequiredLevel.NONE: "none", RequiredLevel.RECOMMENDED: "recommended",
             RequiredLevel.REQUIRED: "required"}
_XML_TYPE = {"String": "nvarchar", "Memo": "ntext", "Integer": "int", "Decimal": "decimal", "Money": "money",
             "Boolean": "bit", "DateTime": "datetime", "Lookup": "lookup", "Picklist": "picklist"}


def _attribute_head(parent: ET.Element, physical: str, xml_type: str, required: str, display_mask: str,
                    *, custom: bool, searchable: bool = True) -> ET.Element:
    attribute = _sub(parent, "attribute", PhysicalName=physical)
    _sub(attribute, "Type", xml_type)
    _sub(attribute, "Name", physical.lower())
    _sub(attribute, "LogicalName", physical.lower())
    _sub(attribute, "RequiredLevel", required)
    _sub(attribute, "DisplayMask", display_mask)
    if xml_type != "lookup":
        _sub(attribute, "ImeMode", "disabled" if xml_type in ("int", "decimal", "money", "bit") else "auto")
    for flag in _COMMON_FLAGS:
        _sub(attribute, flag, 0 if (xml_type == "primarykey" and flag == "ValidForUpdateApi") else 1)
    _sub(attribute, "IsCustomField", _flag(custom))
    _sub(attribute, "IsAuditEnabled", 1)
    _sub(attribute, "IsSecured", 0)
    _sub(attribute, "IntroducedVersion", INTRODUCED)
    for name in ("IsCustomizable", "IsRenameable", "CanModifySearchSettings", "CanModifyRequirementLevelSettings",
                 "CanModifyAdditionalSettings"):
        _sub(attribute, name, 0 if (name == "CanModifyRequirementLevelSettings" and xml_type == "primarykey") else 1)
    _sub(attribute, "SourceType", 0)
    _sub(attribute, "IsGlobalFilterEnabled", 0)
    _sub(attribute, "IsSortableEnabled", 0)
    _sub(attribute, "CanModifyGlobalFilterSettings", 1)
    _sub(attribute, "CanModifyIsSortableSettings", 1)
    _sub(attribute, "IsDataSourceSecret", 0)
    _sub(attribute, "AutoNumberFormat", "")
    _sub(attribute, "IsSearchable", _flag(searchable))
    _sub(attribute, "IsFilterable", 1)
    _sub(attribute, "IsRetrievable", 1)
    _sub(attribute, "IsLocalizable", 0)
    return attribute


def _options(parent: ET.Element, options: Iterable[tuple[int, Label]], language: int) -> None:
    element = _sub(parent, "options")
    for value, label in options:
        option = _sub(element, "option", value=str(value), ExternalValue="", IsHidden="0")
        _labels(option, "labels", "label", label, language)


def _option_set(parent: ET.Element, name: str, kind: str, display: Label, options: Iterable[tuple[int, Label]],
                language: int, **attributes: str) -> ET.Element:
    element = _sub(parent, "optionset", Name=name, **attributes)
    _sub(element, "OptionSetType", kind)
    if attributes:
        _sub(element, "IsGlobal", 1)
    _sub(element, "IntroducedVersion", INTRODUCED)
    _sub(element, "IsCustomizable", 1)
    if kind == "bit":
        _sub(element, "ExternalTypeName", "")
    _labels(element, "displaynames", "displayname", display, language)
    _empty_descriptions(element, language)
    _options(element, options, language)
    return element


def _column(parent: ET.Element, table: Table, column: Column, language: int, *, primary: bool = False) -> None:
    xml_type = _XML_TYPE[column.type_name]
    mask = ("PrimaryName|ValidForAdvancedFind|ValidForForm|ValidForGrid|RequiredForForm" if primary
            else "ValidForAdvancedFind|ValidForForm|ValidForGrid")
    attribute = _attribute_head(parent, column.schema_name, xml_type, _REQUIRED[column.required], mask, custom=True,
                                searchable=not isinstance(column, MemoColumn))
    if isinstance(column, StringColumn):
        _sub(attribute, "Format", column.format.value.lower())
        _sub(attribute, "MaxLength", column.max_length)
        _sub(attribute, "Length", column.max_length * 2)
    elif isinstance(column, MemoColumn):
        _sub(attribute, "Format", "text")
        _sub(attribute, "MaxLength", column.max_length)
    elif isinstance(column, IntegerColumn):
        _sub(attribute, "Format", "none")
        _sub(attribute, "MinValue", column.min_value)
        _sub(attribute, "MaxValue", column.max_value)
    elif isinstance(column, DecimalColumn):
        _sub(attribute, "MinValue", f"{column.min_value:g}")
        _sub(attribute, "MaxValue", f"{column.max_value:.0f}")
        _sub(attribute, "Accuracy", column.precision)
    elif isinstance(column, MoneyColumn):
        _sub(attribute, "MinValue", f"{column.min_value:g}")
        _sub(attribute, "MaxValue", f"{column.max_value:.0f}")
        _sub(attribute, "Accuracy", column.precision)
        _sub(attribute, "AccuracySource", 0)           # the column's own precision
        _sub(attribute, "IsBaseCurrency", 0)
    elif isinstance(column, BooleanColumn):
        _sub(attribute, "AppDefaultValue", _flag(column.default))
        _option_set(attribute, f"{table.logical_name}_{column.logical_name}", "bit", column.display,
                    ((1, column.true_label), (0, column.false_label)), language)
    elif isinstance(column, DateTimeColumn):
        _sub(attribute, "Format", "date" if column.format == DateTimeFormat.DATE_ONLY else "datetime")
        _sub(attribute, "CanChangeDateTimeBehavior", 1)
        _sub(attribute, "Behavior", 1)                 # user local
    elif isinstance(column, LookupColumn):
        _sub(attribute, "LookupStyle", "single")
        _sub(attribute, "LookupTypes")
    elif isinstance(column, ChoiceColumn):
        _sub(attribute, "AppDefaultValue", -1 if column.default is None else column.default)
        if column.choice.is_global:
            _sub(attribute, "OptionSetName", column.choice.name)
        else:
            _option_set(attribute, f"{table.logical_name}_{column.logical_name}", "picklist", column.display,
                        ((o.value, o.label) for o in column.choice.options), language)
    _labels(attribute, "displaynames", "displayname", column.display, language)
    _empty_descriptions(attribute, language, column.description)


def _state_attributes(parent: ET.Element, table: Table, language: int) -> None:
    """statecode / statuscode of a new table (activities: Open, Completed, Canceled; others: Active, Inactive)."""
    states: tuple[tuple[int, int, str, Label], ...]
    statuses: tuple[tuple[int, int, Label], ...]
    if table.is_activity:
        states = ((0, 1, "Open", Label("Ouvert", "Open")), (1, 2, "Completed", Label("Terminé", "Completed")),
                  (2, 3, "Canceled", Label("Annulé", "Canceled")))
        statuses = ((1, 0, Label("Ouvert", "Open")), (2, 1, Label("Terminé", "Completed")),
                    (3, 2, Label("Annulé", "Canceled")), (4, 0, Label("Planifié", "Scheduled")))
    else:
        states = ((0, 1, "Active", Label("Actif", "Active")), (1, 2, "Inactive", Label("Inactif", "Inactive")))
        statuses = ((1, 0, Label("Actif", "Active")), (2, 1, Label("Inactif", "Inactive")))
    mask = "ValidForAdvancedFind|ValidForForm|ValidForGrid"
    state = _attribute_head(parent, "statecode", "state", "systemrequired", mask, custom=False, searchable=False)
    option_set = _sub(state, "optionset", Name=f"{table.logical_name}_statecode")
    _sub(option_set, "OptionSetType", "state")
    _sub(option_set, "IntroducedVersion", INTRODUCED)
    _sub(option_set, "IsCustomizable", 1)
    _labels(option_set, "displaynames", "displayname", Label("Statut", "Status"), language)
    _empty_descriptions(option_set, language)
    states_element = _sub(option_set, "states")
    for value, default_status, invariant, label in states:
        element = _sub(states_element, "state", value=str(value), defaultstatus=str(default_status),
                       invariantname=invariant)
        _labels(element, "labels", "label", label, language)
    _labels(state, "displaynames", "displayname", Label("Statut", "Status"), language)
    _empty_descriptions(state, language)

    status = _attribute_head(parent, "statuscode", "status", "none", mask, custom=False, searchable=False)
    option_set = _sub(status, "optionset", Name=f"{table.logical_name}_statuscode")
    _sub(option_set, "OptionSetType", "status")
    _sub(option_set, "IntroducedVersion", INTRODUCED)
    _sub(option_set, "IsCustomizable", 1)
    _labels(option_set, "displaynames", "displayname", Label("Raison du statut", "Status Reason"), language)
    _empty_descriptions(option_set, language)
    statuses_element = _sub(option_set, "statuses")
    for value, state_value, label in statuses:
        element = _sub(statuses_element, "status", value=str(value), state=str(state_value))
        _labels(element, "labels", "label", label, language)
    _labels(status, "displaynames", "displayname", Label("Raison du statut", "Status Reason"), language)
    _empty_descriptions(status, language)


def _primary_key(parent: ET.Element, table: Table, language: int) -> None:
    physical = "ActivityId" if table.is_activity else f"{table.schema_name}Id"
    key = _attribute_head(parent, physical, "primarykey", "systemrequired", "ValidForAdvancedFind|RequiredForGrid",
                          custom=False, searchable=False)
    _labels(key, "displaynames", "displayname", table.display, language)
    _empty_descriptions(key, language, Label("Identifiant unique", "Unique identifier for entity instances"))


# --- customizations.xml: entity information ------------------------------------------------------------

_ENTITY_SETTINGS: tuple[tuple[str, int | str], ...] = (
    ("IsDuplicateCheckSupported", 1), ("IsBusinessProcessEnabled", 0), ("IsRequiredOffline", 0),
    ("IsInteractionCentricEnabled", 0), ("IsCollaboration", 0), ("AutoRouteToOwnerQueue", 0),
    ("IsConnectionsEnabled", 0), ("IsDocumentManagementEnabled", 0), ("AutoCreateAccessTeams", 0),
    ("IsOneNoteIntegrationEnabled", 0), ("IsKnowledgeManagementEnabled", 0), ("IsSLAEnabled", 0),
    ("IsDocumentRecommendationsEnabled", 0), ("IsBPFEntity", 0),
)
_ENTITY_TAIL: tuple[tuple[str, int | str], ...] = (
    ("IsReplicated", 0), ("IsReplicationUserFiltered", 0), ("IsMailMergeEnabled", 0), ("IsVisibleInMobile", 0),
    ("IsVisibleInMobileClient", 1), ("IsReadOnlyInMobileClient", 0), ("IsOfflineInMobileClient", 0),
    ("DaysSinceRecordLastModified", 0), ("MobileOfflineFilters", ""), ("IsMapiGridEnabled", 1),
    ("IsReadingPaneEnabled", 1), ("IsQuickCreateEnabled", 0), ("SyncToExternalSearchIndex", 0),
    ("IntroducedVersion", INTRODUCED), ("IsCustomizable", 1), ("IsRenameable", 1), ("IsMappable", 1),
    ("CanModifyAuditSettings", 1), ("CanModifyMobileVisibility", 1), ("CanModifyMobileClientVisibility", 1),
    ("CanModifyMobileClientReadOnly", 1), ("CanModifyMobileClientOffline", 1), ("CanModifyConnectionSettings", 1),
    ("CanModifyDuplicateDetectionSettings", 1), ("CanModifyMailMergeSettings", 1), ("CanModifyQueueSettings", 1),
    ("CanCreateAttributes", 1), ("CanCreateForms", 1), ("CanCreateCharts", 1), ("CanCreateViews", 1),
    ("CanModifyAdditionalSettings", 1), ("CanEnableSyncToExternalSearchIndex", 1), ("IconVectorName", ""),
    ("EnforceStateTransitions", 0),
    ("CanChangeHierarchicalRelationship", 1), ("EntityHelpUrlEnabled", 0), ("ChangeTrackingEnabled", 1),
    ("CanChangeTrackingBeEnabled", 1), ("IsEnabledForExternalChannels", 0), ("IsSolutionAware", 0),
)


def _entity_info(parent: ET.Element, table: Table, language: int) -> None:
    info = _sub(parent, "EntityInfo")
    entity = _sub(info, "entity", Name=table.schema_name)
    _labels(entity, "LocalizedNames", "LocalizedName", table.display, language)
    _labels(entity, "LocalizedCollectionNames", "LocalizedCollectionName", table.plural, language)
    _labels(entity, "Descriptions", "Description", table.description, language)
    attributes = _sub(entity, "attributes")
    _primary_key(attributes, table, language)
    primary = table.created_primary_name
    if primary is not None:
        _column(attributes, table, primary, language, primary=True)
    for column in table.columns:
        _column(attributes, table, column, language)
    _state_attributes(attributes, table, language)
    if table.keys:
        keys = _sub(entity, "EntityKeys")
        for key in table.keys:
            element = _sub(keys, "EntityKey")
            _sub(element, "Name", key.schema_name)
            _sub(element, "LogicalName", key.logical_name)
            _sub(element, "IntroducedVersion", INTRODUCED)
            _sub(element, "IsCustomizable", 1)
            key_attributes = _sub(element, "EntityKeyAttributes")
            for key_column in key.columns:
                _sub(key_attributes, "AttributeName", key_column)
            _labels(element, "displaynames", "displayname", key.display, language)
    _sub(entity, "EntitySetName", table.entity_set)
    for name, value in _ENTITY_SETTINGS:
        _sub(entity, name, value)
    _sub(entity, "OwnershipTypeMask", table.ownership.value)
    _sub(entity, "IsAuditEnabled", 1)
    _sub(entity, "IsRetrieveAuditEnabled", 0)
    _sub(entity, "IsRetrieveMultipleAuditEnabled", 0)
    _sub(entity, "IsActivity", _flag(table.is_activity))
    _sub(entity, "ActivityTypeMask", "CommunicationActivity" if table.is_activity else "")
    _sub(entity, "IsActivityParty", 0)
    for name, value in _ENTITY_TAIL:
        _sub(entity, name, value)


def _shell_entity_info(parent: ET.Element, table: Table, language: int) -> None:
    """An existing table: only the columns the solution adds (the rest of its metadata unmodified)."""
    info = _sub(parent, "EntityInfo")
    entity = _sub(info, "entity", Name=table.schema_name, unmodified="1")
    attributes = _sub(entity, "attributes")
    for column in table.columns:
        _column(attributes, table, column, language)


# --- customizations.xml: forms, views, ribbon ---------------------------------------------------------

def _control_type(table: Table, column: str) -> tuple[str, Label]:
    custom = {c.logical_name: c for c in table.all_columns}
    if column in custom:
        return custom[column].type_name, custom[column].display
    return STANDARD_COLUMNS[column]


def _cell(row: ET.Element, cell_id: str, label: Label, language: int, *, rowspan: int = 1) -> ET.Element:
    attributes = {"id": _braced(cell_id), "showlabel": "true", "locklevel": "0"}
    if rowspan > 1:
        attributes["rowspan"] = str(rowspan)
    cell = _sub(row, "cell", **attributes)
    _labels(cell, "labels", "label", label, language)
    return cell


def _form_xml(parent: ET.Element, form: Form, table: Table, definition: SolutionDefinition, language: int, *,
              fallback: bool) -> None:
    system_form = _sub(parent, "systemform")
    _sub(system_form, "formid", _braced(form.form_id))
    _sub(system_form, "IntroducedVersion", INTRODUCED)
    _sub(system_form, "FormPresentation", 1)
    _sub(system_form, "FormActivationState", 1)
    body = _sub(system_form, "form", headerdensity="HighWithControls")
    tabs = _sub(body, "tabs")
    for tab in form.tabs:
        tab_element = _sub(tabs, "tab", name=tab.name, verticallayout="true",
                           id=_braced(stable_id(form.form_id, tab.name)), IsUserDefined="1", locklevel="0",
                           showlabel="true", expanded="true")
        _labels(tab_element, "labels", "label", tab.label, language)
        sections = _sub(_sub(_sub(tab_element, "columns"), "column", width="100%"), "sections")
        for section in tab.sections:
            section_id = stable_id(form.form_id, tab.name, section.name)
            section_element = _sub(sections, "section", name=section.name, showlabel="true", showbar="false",
                                   locklevel="0", id=_braced(section_id), IsUserDefined="1", layout="varwidth",
                                   columns="1", labelwidth="115", celllabelalignment="Left",
                                   celllabelposition="Left")
            _labels(section_element, "labels", "label", section.label, language)
            rows = _sub(section_element, "rows")
            for control in section.controls:
                row = _sub(rows, "row")
                if isinstance(control, FieldControl):
                    kind, display = _control_type(table, control.column)
                    cell = _cell(row, stable_id(section_id, control.column), control.label or display, language)
                    _sub(cell, "control", id=control.column, classid=CONTROL_CLASS[kind],
                         datafieldname=control.column, disabled="true" if control.read_only else "false")
                elif isinstance(control, SubgridControl):
                    _subgrid_control(row, control, form, section_id, definition, language)
                else:
                    _web_resource_control(row, control, section_id, definition, language)
    if form.libraries:
        libraries = _sub(body, "formLibraries")
        for library in form.libraries:
            _sub(libraries, "Library", name=library, libraryUniqueId=_braced(stable_id(form.form_id, library)))
    if form.on_load or form.on_change:
        events = _sub(body, "events")
        handlers = [("onload", None, h) for h in form.on_load] + [("onchange", c, h) for c, h in form.on_change]
        for name, column, handler in handlers:
            attributes = {"name": name, "application": "false", "active": "false"}
            if column:
                attributes["attribute"] = column
            event = _sub(events, "event", **attributes)
            _sub(_sub(event, "Handlers"), "Handler", functionName=handler.function, libraryName=handler.library,
                 handlerUniqueId=_braced(stable_id(form.form_id, name, column or "", handler.function)),
                 enabled="true", parameters="", passExecutionContext=str(handler.pass_execution_context).lower())
    conditions = _sub(body, "DisplayConditions", Order="0" if fallback else "1", FallbackForm=str(fallback).lower())
    _sub(conditions, "Everyone")
    _sub(system_form, "IsCustomizable", 1)
    _sub(system_form, "CanBeDeleted", 0 if fallback else 1)
    _labels(system_form, "LocalizedNames", "LocalizedName", form.name, language)
    _empty_descriptions(system_form, language)


def _web_resource_control(row: ET.Element, control: WebResourceControl, section_id: str,
                          definition: SolutionDefinition, language: int) -> None:
    cell = _cell(row, stable_id(section_id, control.name), control.label, language, rowspan=control.rows)
    element = _sub(cell, "control", id=control.name, classid=CONTROL_CLASS["WebResource"])
    parameters = _sub(element, "parameters")
    _sub(parameters, "Url", control.web_resource)
    _sub(parameters, "PassParameters", "true")          # the record id and type reach the page (?id=&typename=)
    _sub(parameters, "Security", "false")
    _sub(parameters, "Scrolling", "auto")
    _sub(parameters, "Border", "false")
    _sub(parameters, "ShowOnMobileClient", "false")
    _sub(parameters, "WebResourceId", _braced(web_resource_id(definition.web_resource(control.web_resource))))


def _subgrid_control(row: ET.Element, control: SubgridControl, form: Form, section_id: str,
                     definition: SolutionDefinition, language: int) -> None:
    """A subgrid as the form editor writes it: the related table, its relationship and the view it shows."""
    related = definition.table(control.table)
    lookup = related.column(control.lookup)
    assert isinstance(lookup, LookupColumn) and form.table in lookup.targets, control
    cell = _cell(row, stable_id(section_id, control.name), control.label, language, rowspan=8)
    element = _sub(cell, "control", id=control.name, classid=CONTROL_CLASS["Subgrid"], indicationOfSubgrid="true")
    parameters = _sub(element, "parameters")
    _sub(parameters, "ViewId", _braced(control.view_id()))
    _sub(parameters, "IsUserView", "false")
    _sub(parameters, "RelationshipName", lookup.relationship_name(related.logical_name, form.table))
    _sub(parameters, "TargetEntityType", related.logical_name)
    _sub(parameters, "AutoExpand", "Fixed")
    _sub(parameters, "EnableQuickFind", "false")
    _sub(parameters, "EnableViewPicker", "false")
    _sub(parameters, "ViewIds")
    _sub(parameters, "EnableJumpBar", "false")
    _sub(parameters, "ChartGridMode", "Grid")
    _sub(parameters, "VisualizationId")
    _sub(parameters, "IsUserChart", "false")
    _sub(parameters, "EnableChartPicker", "false")
    _sub(parameters, "RecordsPerPage", control.records_per_page)


def view_layout(view: View, table: Table) -> ET.Element:
    """<grid>: the view's columns (its `layoutxml`, in the zip and as `smsc solution deploy` sends it)."""
    grid = ET.Element("grid", name="resultset", jump=table.primary_name_column, select="1", icon="1", preview="1")
    row = _sub(grid, "row", name="result", id=table.primary_id)
    for column, width in view.columns:
        _sub(row, "cell", name=column, width=str(width))
    return grid


def view_fetch(view: View, table: Table) -> ET.Element:
    """<fetch>: the view's query (its `fetchxml`, in the zip and as `smsc solution deploy` sends it)."""
    fetch = ET.Element("fetch", version="1.0", mapping="logical")
    entity = _sub(fetch, "entity", name=table.logical_name)
    for column in (table.primary_id, *(c for c, _ in view.columns)):
        _sub(entity, "attribute", name=column)
    _sub(entity, "order", attribute=view.order[0], descending=str(view.order[1]).lower())
    if view.filter_xml:
        entity.append(ET.fromstring(view.filter_xml))
    return fetch


def _saved_query(parent: ET.Element, view: View, table: Table, language: int) -> None:
    query = _sub(parent, "savedquery")
    _sub(query, "IsCustomizable", 1)
    _sub(query, "CanBeDeleted", 0 if view.is_default else 1)
    _sub(query, "isquickfindquery", 0)
    _sub(query, "isprivate", 0)
    _sub(query, "isdefault", _flag(view.is_default))
    _sub(query, "savedqueryid", _braced(view.view_id))
    _sub(query, "layoutxml").append(view_layout(view, table))
    _sub(query, "querytype", 0)
    _sub(query, "fetchxml").append(view_fetch(view, table))
    _sub(query, "IntroducedVersion", INTRODUCED)
    _labels(query, "LocalizedNames", "LocalizedName", view.name, language)


# -- charts (savedqueryvisualization) and dashboards -------------------------------------------------------
# The chart designer's palette and look, as an export writes them (docs: "Chart presentation description").
PALETTE = ("91,151,213; 237,125,49; 160,116,166; 255,192,0; 68,114,196; 112,173,71; 37,94,145; 158,72,14; "
           "117,55,125; 153,115,0; 38,68,120; 67,104,43;")
GREY, AXIS = "59, 59, 59", "165, 172, 181"
GROUP_ALIAS, MEASURE_ALIAS = "groupby_column", "aggregate_column"


def chart_data(chart: Chart) -> ET.Element:
    """<datadefinition>: the chart's aggregate FetchXML and which alias is the category, which the measure."""
    definition = ET.Element("datadefinition")
    fetch = _sub(_sub(definition, "fetchcollection"), "fetch", mapping="logical", aggregate="true")
    if chart.top is not None:
        fetch.set("count", str(chart.top))
    entity = _sub(fetch, "entity", name=chart.table)
    group = _sub(entity, "attribute", name=chart.category, groupby="true", alias=GROUP_ALIAS)
    if chart.date_grouping:
        group.set("dategrouping", chart.date_grouping)
    _sub(entity, "attribute", name=chart.measure, aggregate=chart.aggregate, alias=MEASURE_ALIAS)
    if chart.filter_xml:
        entity.append(ET.fromstring(chart.filter_xml))
    if chart.top is not None:                           # the largest first: a "top N" rule
        _sub(entity, "order", alias=MEASURE_ALIAS, descending="true")
    category = _sub(_sub(definition, "categorycollection"), "category", alias=GROUP_ALIAS)
    _sub(_sub(category, "measurecollection"), "measure", alias=MEASURE_ALIAS)
    return definition


def chart_presentation(chart: Chart) -> ET.Element:
    """<Chart>: the series type, labels on the points, the axes (none for a pie) and, for a pie, its legend."""
    root = ET.Element("Chart", Palette="None", PaletteCustomColors=PALETTE)
    pie = chart.chart_type == "Pie"
    _sub(_sub(root, "Series"), "Series", ChartType=chart.chart_type, IsValueShownAsLabel="True",
         Font="{0}, 9.5px", LabelForeColor=GREY,
         CustomProperties="PieLabelStyle=Inside, PieDrawingStyle=Default" if pie
         else "PointWidth=0.75, MaxPixelPointWidth=40")
    area = _sub(_sub(root, "ChartAreas"), "ChartArea", BorderColor="White", BorderDashStyle="Solid")
    if not pie:
        for axis, grid in (("AxisY", "239, 242, 246"), ("AxisX", "Transparent")):
            element = _sub(area, axis, LabelAutoFitMinFontSize="8", TitleForeColor=GREY, TitleFont="{0}, 10.5px",
                           LineColor=AXIS, IntervalAutoMode="VariableCount")
            _sub(element, "MajorGrid", LineColor=grid)
            _sub(element, "MajorTickMark", LineColor=AXIS)
            _sub(element, "LabelStyle", Font="{0}, 10.5px", ForeColor=GREY)
    _sub(_sub(root, "Titles"), "Title", Alignment="TopLeft", DockingOffset="-3", Font="{0}, 13px", ForeColor=GREY)
    if pie:
        _sub(_sub(root, "Legends"), "Legend", Alignment="Center", LegendStyle="Table", Docking="right",
             IsEquallySpacedItems="True", Font="{0}, 11px", ShadowColor="0, 0, 0, 0", ForeColor=GREY)
    return root


def _visualization(parent: ET.Element, chart: Chart, language: int) -> None:
    element = _sub(parent, "visualization")
    _sub(element, "savedqueryvisualizationid", _braced(chart.chart_id))
    _sub(element, "datadescription").append(chart_data(chart))
    _sub(element, "presentationdescription").append(chart_presentation(chart))
    _sub(element, "isdefault", 0)
    _labels(element, "LocalizedNames", "LocalizedName", chart.name, language)
    _sub(element, "IsCustomizable", 1)
    _sub(element, "IntroducedVersion", INTRODUCED)
    _sub(element, "CanBeDeleted", 1)


CHART_ROWS = 12          # a dashboard chart cell spans 12 rows, as the dashboard designer lays them


def dashboard_form(dashboard: Dashboard, language: int = ENGLISH) -> ET.Element:
    """<form>: the dashboard as the designer writes it (its `formxml`, in the zip and as `smsc solution
    deploy` sends it): one tab, one section of four columns, the charts two by two, each a chart-mode
    subgrid of its view."""
    form = ET.Element("form")
    tab = _sub(_sub(form, "tabs"), "tab", showlabel="false", verticallayout="true",
               id=_braced(stable_id("dashboard", dashboard.dashboard_id, "tab")))
    _labels(tab, "labels", "label", dashboard.name, language)
    section_id = stable_id("dashboard", dashboard.dashboard_id, "section")
    section = _sub(_sub(_sub(_sub(tab, "columns"), "column", width="100%"), "sections"), "section",
                   showlabel="false", showbar="false", columns="1111", id=_braced(section_id))
    _labels(section, "labels", "label", dashboard.name, language)
    rows = _sub(section, "rows")
    for start in range(0, len(dashboard.charts), 2):
        row = _sub(rows, "row")
        for chart in dashboard.charts[start:start + 2]:
            _dashboard_chart(row, chart, section_id, language)
        for _ in range(CHART_ROWS - 1):
            _sub(rows, "row")
    return form


def _dashboard(parent: ET.Element, dashboard: Dashboard, language: int) -> None:
    element = _sub(parent, "Dashboard")
    _labels(element, "LocalizedNames", "LocalizedName", dashboard.name, language)
    _sub(element, "FormId", _braced(dashboard.dashboard_id))
    _sub(element, "IsCustomizable", 1)
    _sub(element, "IsDefault", 0)
    _sub(_sub(element, "FormXml"), "forms", type="dashboard").append(dashboard_form(dashboard, language))
    _sub(element, "IntroducedVersion", INTRODUCED)
    _sub(element, "IsTabletEnabled", 1)


def _dashboard_chart(row: ET.Element, chart: Chart, section_id: str, language: int) -> None:
    cell = _sub(row, "cell", colspan="2", rowspan=str(CHART_ROWS), showlabel="false",
                id=_braced(stable_id(section_id, chart.chart_id, "cell")), auto="false")
    _labels(cell, "labels", "label", chart.name, language)
    control = _sub(cell, "control", id=f"Chart_{chart.chart_id[:8]}",
                   uniqueid=_braced(stable_id(section_id, chart.chart_id, "control")),
                   classid=CONTROL_CLASS["Subgrid"], indicationOfSubgrid="true")
    parameters = _sub(control, "parameters")
    for name, value in (("TargetEntityType", chart.table), ("ChartGridMode", "Chart"), ("EnableQuickFind", "false"),
                        ("EnableViewPicker", "false"), ("EnableJumpBar", "false"), ("RecordsPerPage", "10"),
                        ("HeaderColorCode", None), ("ViewId", _braced(chart.view_id)), ("IsUserView", "false"),
                        ("ViewIds", None), ("AutoExpand", "Fixed"), ("VisualizationId", _braced(chart.chart_id)),
                        ("IsUserChart", "false"), ("EnableChartPicker", "false"), ("RelationshipName", None)):
        _sub(parameters, name, value)


def _ribbon(parent: ET.Element, table: str, commands: list[CommandButton], language: int) -> None:
    ribbon = _sub(parent, "RibbonDiffXml")
    actions = _sub(ribbon, "CustomActions")
    for command in commands:
        group = "Save" if command.location == CommandLocation.FORM else "Management"
        location = f"Mscrm.{'Form' if command.location == CommandLocation.FORM else 'HomepageGrid'}.{table}.MainTab"
        action = _sub(actions, "CustomAction", Id=f"{command.id}.CustomAction",
                      Location=f"{location}.{group}.Controls._children", Sequence=str(command.sequence))
        _sub(_sub(action, "CommandUIDefinition"), "Button", Id=f"{command.id}.Button", Command=f"{command.id}.Command",
             LabelText=f"$LocLabels:{command.id}.LabelText", ToolTipTitle=f"$LocLabels:{command.id}.LabelText",
             Sequence=str(command.sequence), TemplateAlias="o1")
    templates = _sub(ribbon, "Templates")
    _sub(templates, "RibbonTemplates", Id="Mscrm.Templates")
    definitions = _sub(ribbon, "CommandDefinitions")
    selection_rule = "smsc.SelectionCountAtLeastOne"
    for command in commands:
        definition = _sub(definitions, "CommandDefinition", Id=f"{command.id}.Command")
        enable = _sub(definition, "EnableRules")
        if command.needs_selection:
            _sub(enable, "EnableRule", Id=selection_rule)
        _sub(definition, "DisplayRules")
        actions_element = _sub(definition, "Actions")
        for library in command.dependencies:           # load the shared libraries first (a no-op function)
            _sub(actions_element, "JavaScriptFunction", Library=f"$webresource:{library}", FunctionName="isNaN")
        call = _sub(actions_element, "JavaScriptFunction", Library=f"$webresource:{command.library}",
                    FunctionName=command.function)
        for parameter in command.parameters:
            _sub(call, "CrmParameter", Value=parameter)
    rules = _sub(ribbon, "RuleDefinitions")
    _sub(rules, "TabDisplayRules")
    _sub(rules, "DisplayRules")
    enable_rules = _sub(rules, "EnableRules")
    if any(c.needs_selection for c in commands):
        rule = _sub(enable_rules, "EnableRule", Id=selection_rule)
        _sub(rule, "SelectionCountRule", AppliesTo="SelectedControl", Minimum="1")
    labels = _sub(ribbon, "LocLabels")
    for command in commands:
        _labels(_sub(labels, "LocLabel", Id=f"{command.id}.LabelText"), "Titles", "Title", command.label, language)


def _empty_ribbon(parent: ET.Element) -> None:
    ribbon = _sub(parent, "RibbonDiffXml")
    _sub(ribbon, "CustomActions")
    _sub(_sub(ribbon, "Templates"), "RibbonTemplates", Id="Mscrm.Templates")
    _sub(ribbon, "CommandDefinitions")
    rules = _sub(ribbon, "RuleDefinitions")
    for name in ("TabDisplayRules", "DisplayRules", "EnableRules"):
        _sub(rules, name)
    _sub(ribbon, "LocLabels")


# --- customizations.xml: the whole ---------------------------------------------------------------------

def _entity(parent: ET.Element, table: Table, definition: SolutionDefinition, language: int) -> None:
    entity = _sub(parent, "Entity")
    _sub(entity, "Name", table.schema_name, LocalizedName=_text(table.display, language),
         OriginalName=_text(table.display, language))
    if not table.is_new:
        _sub(entity, "ObjectTypeCode", OBJECT_TYPE_CODES[table.logical_name])
    (_entity_info if table.is_new else _shell_entity_info)(entity, table, language)
    forms = [f for f in definition.forms if f.table == table.logical_name]
    form_xml = _sub(entity, "FormXml")
    if forms:
        main = _sub(form_xml, "forms", type="main")
        for form in forms:
            _form_xml(main, form, table, definition, language, fallback=table.is_new)
    views = [v for v in definition.views if v.table == table.logical_name]
    saved = _sub(entity, "SavedQueries")
    if views:
        queries = _sub(saved, "savedqueries")
        for view in views:
            _saved_query(queries, view, table, language)
    charts = [c for c in definition.charts if c.table == table.logical_name]
    if charts:                          # between the views and the ribbon, as an export places them
        visualizations = _sub(entity, "Visualizations")
        for chart in charts:
            _visualization(visualizations, chart, language)
    commands = [c for c in definition.commands if c.table == table.logical_name]
    if commands:
        _ribbon(entity, table.logical_name, commands, language)
    else:
        _empty_ribbon(entity)


def _ribbon_only_entity(parent: ET.Element, table: str, definition: SolutionDefinition, language: int) -> None:
    """contact, lead, account: only their ribbon (the grid's SMS button)."""
    schema, display = EXISTING_TABLES[table]
    entity = _sub(parent, "Entity")
    _sub(entity, "Name", schema, LocalizedName=_text(display, language), OriginalName=_text(display, language))
    _sub(entity, "ObjectTypeCode", OBJECT_TYPE_CODES[table])
    _sub(_sub(_sub(entity, "EntityInfo"), "entity", Name=schema, unmodified="1"), "attributes")
    _ribbon(entity, table, [c for c in definition.commands if c.table == table], language)


def relationships(definition: SolutionDefinition) -> tuple[tuple[str, Table, LookupColumn, str], ...]:
    """(schema name, referencing table, lookup, referenced table): one per lookup and target."""
    return definition.relationships()


def _relationship(parent: ET.Element, name: str, table: Table, lookup: LookupColumn, target: str,
                  definition: SolutionDefinition) -> None:
    element = _sub(parent, "EntityRelationship", Name=name)
    _sub(element, "EntityRelationshipType", "OneToMany")
    _sub(element, "IsCustomizable", 1)
    _sub(element, "IntroducedVersion", INTRODUCED)
    _sub(element, "IsHierarchical", 0)
    _sub(element, "ReferencingEntityName", table.schema_name)
    _sub(element, "ReferencedEntityName", _schema_name(target, definition))
    for cascade in ("CascadeAssign", "CascadeDelete", "CascadeReparent", "CascadeShare", "CascadeUnshare"):
        # Deleting a campaign, template or workflow keeps the SMS history: the link is removed.
        _sub(element, cascade, "RemoveLink" if cascade == "CascadeDelete" else "NoCascade")
    _sub(element, "ReferencingAttributeName", lookup.schema_name)
    _sub(_sub(element, "RelationshipDescription"), "Descriptions")
    roles = _sub(element, "EntityRelationshipRoles")
    referencing = _sub(roles, "EntityRelationshipRole")
    _sub(referencing, "NavPaneDisplayOption", "UseCollectionName")
    _sub(referencing, "NavPaneArea", "Details")
    _sub(referencing, "NavPaneOrder", 10000)
    _sub(referencing, "NavigationPropertyName", lookup.schema_name)   # smsc_CampaignId@odata.bind
    _sub(referencing, "RelationshipRoleType", 1)
    referenced = _sub(roles, "EntityRelationshipRole")
    _sub(referenced, "NavigationPropertyName", name)
    _sub(referenced, "RelationshipRoleType", 0)


def _roles(parent: ET.Element, definition: SolutionDefinition, language: int) -> None:
    for role in definition.roles:
        element = _sub(parent, "Role", id=_braced(role.role_id), name=_text(role.name, language))
        privileges = _sub(element, "RolePrivileges")
        for table in role.privileges:
            for privilege, depth in table.depth.items():
                _sub(privileges, "RolePrivilege", name=table.privilege_name(privilege), level=depth.xml_level)


def web_resource_id(resource: WebResource) -> str:
    return stable_id("webresource", resource.name)


def web_resource_file(resource: WebResource) -> str:
    """The file's name in the zip, as Dataverse writes it: the name without separators, then the id."""
    flat = resource.name.replace("/", "")
    return f"WebResources/{flat}{web_resource_id(resource).upper()}"


def _web_resources(parent: ET.Element, definition: SolutionDefinition) -> None:
    for resource in definition.web_resources:
        element = _sub(parent, "WebResource")
        _sub(element, "WebResourceId", _braced(web_resource_id(resource)))
        _sub(element, "Name", resource.name)
        _sub(element, "DisplayName", resource.display)
        _sub(element, "WebResourceType", resource.type_code)
        _sub(element, "IntroducedVersion", INTRODUCED)
        _sub(element, "IsEnabledForMobileClient", 0)
        _sub(element, "IsAvailableForMobileOffline", 0)
        _sub(element, "DependencyXml", '<Dependencies><Dependency componentType="WebResource"/></Dependencies>')
        _sub(element, "IsCustomizable", 1)
        _sub(element, "CanBeDeleted", 1)
        _sub(element, "IsHidden", 0)
        _sub(element, "FileName", "/" + web_resource_file(resource))


def customizations_xml(definition: SolutionDefinition, language: int = ENGLISH) -> ET.Element:
    root = ET.Element("ImportExportXml", {"xmlns:xsi": XSI})
    entities = _sub(root, "Entities")
    for table in definition.tables:
        _entity(entities, table, definition, language)
    for shell in sorted(shell_tables(definition)):
        _ribbon_only_entity(entities, shell, definition, language)
    _roles(_sub(root, "Roles"), definition, language)
    for name in ("Workflows", "FieldSecurityProfiles", "Templates", "EntityMaps"):
        _sub(root, name)
    relationships_element = _sub(root, "EntityRelationships")
    for name, table, lookup, target in relationships(definition):
        _relationship(relationships_element, name, table, lookup, target, definition)
    _sub(root, "OrganizationSettings")
    option_sets = _sub(root, "optionsets")
    for choice in definition.choices:
        _global_option_set(option_sets, choice, language)
    if definition.dashboards:
        dashboards = _sub(root, "Dashboards")
        for dashboard in definition.dashboards:
            _dashboard(dashboards, dashboard, language)
    _web_resources(_sub(root, "WebResources"), definition)
    _sub(root, "CustomControls")
    if definition.apps:
        site_maps, apps = _sub(root, "AppModuleSiteMaps"), _sub(root, "AppModules")
        for app in definition.apps:
            _app_site_map(site_maps, app, language)
            _app_module(apps, app, definition, language)
    _sub(root, "EntityDataProviders")
    languages = _sub(root, "Languages")
    for code in _ordered(language):
        _sub(languages, "Language", code)
    return root


def shell_tables(definition: SolutionDefinition) -> set[str]:
    """Existing tables the solution only touches (their grids' buttons, their place in the app): shells."""
    touched = {c.table for c in definition.commands} | {t for app in definition.apps for t in app.tables}
    return touched - {t.logical_name for t in definition.tables}


# --- customizations.xml: the model-driven app -------------------------------------------------------------

_CLIENTS = "All,Outlook,OutlookLaptopClient,OutlookWorkstationClient,Web"
_SKUS = "All,OnPremise,Live,SPLA"


def _titles(parent: ET.Element, label: Label, language: int) -> None:
    titles = _sub(parent, "Titles")
    for code in _ordered(language):
        _sub(titles, "Title", LCID=str(code), Title=label.by_language()[code])


def site_map_element(app: ModelDrivenApp, language: int = ENGLISH) -> ET.Element:
    """<SiteMap>: one area, its groups, the app's dashboards first in its first group, then one SubArea
    per table (the table's own name is the entry's title), as the app designer writes it. Also the
    `sitemapxml` the installer sends."""
    site_map = ET.Element("SiteMap", IntroducedVersion="7.0.0.0")
    area = _sub(site_map, "Area", Id=f"{app.unique_name.lower()}_area", ResourceId="SitemapDesigner.NewTitle",
                DescriptionResourceId="SitemapDesigner.NewTitle", ShowGroups="true", IntroducedVersion="7.0.0.0")
    _titles(area, app.area, language)
    for group in app.groups:
        element = _sub(area, "Group", Id=group.id, ResourceId="SitemapDesigner.NewGroup",
                       DescriptionResourceId="SitemapDesigner.NewGroup", IntroducedVersion="7.0.0.0",
                       IsProfile="false", ToolTipResourseId="SitemapDesigner.Unknown")
        _titles(element, group.label, language)
        for table in group.tables:
            _sub(element, "SubArea", Id=f"{group.id}_{table}", Icon="/_imgs/imagestrips/transparent_spacer.gif",
                 Entity=table, Client=_CLIENTS, AvailableOffline="true", PassParams="false", Sku=_SKUS)
    _dashboard_entries(site_map, app, language)
    return site_map


def _app_site_map(parent: ET.Element, app: ModelDrivenApp, language: int) -> None:
    element = _sub(parent, "AppModuleSiteMap")
    _sub(element, "SiteMapUniqueName", app.unique_name)
    for name, value in (("EnableCollapsibleGroups", "False"), ("ShowHome", "True"), ("ShowPinned", "True"),
                        ("ShowRecents", "True")):
        _sub(element, name, value)
    element.append(site_map_element(app, language))
    _labels(element, "LocalizedNames", "LocalizedName", app.display, language)


def _dashboard_entries(site_map: ET.Element, app: ModelDrivenApp, language: int) -> None:
    """The app's dashboards, first in its first group, as the app designer writes a Dashboards entry."""
    group = site_map.find("Area/Group")
    if group is None:
        return
    for n, dashboard in enumerate(app.dashboards):
        entry = ET.Element("SubArea", Id=f"{group.get('Id')}_dashboard_{n}", ResourceId="SitemapDesigner.NewSubArea",
                           Icon="/_imgs/imagestrips/transparent_spacer.gif", Url="/workplace/home_dashboards.aspx",
                           DefaultDashboard=dashboard.dashboard_id, Client=_CLIENTS, AvailableOffline="true",
                           PassParams="false", Sku=_SKUS)
        _titles(entry, dashboard.name, language)
        group.insert(1 + n, entry)          # after the group's Titles


def _app_module(parent: ET.Element, app: ModelDrivenApp, definition: SolutionDefinition, language: int) -> None:
    element = _sub(parent, "AppModule")
    _sub(element, "UniqueName", app.unique_name)
    _sub(element, "IntroducedVersion", INTRODUCED)
    _sub(element, "WebResourceId", app.icon_web_resource_id)
    _sub(element, "OptimizedFor", "")
    for name, value in (("statecode", 0), ("statuscode", 1), ("FormFactor", 1), ("ClientType", 4),
                        ("NavigationType", 0)):
        _sub(element, name, value)
    components = _sub(element, "AppModuleComponents")
    _sub(components, "AppModuleComponent", type=str(SITE_MAP), schemaName=app.unique_name)
    for dashboard in app.dashboards:
        _sub(components, "AppModuleComponent", type=str(FORM), id=_braced(dashboard.dashboard_id))
    for table in app.tables:
        _sub(components, "AppModuleComponent", type=str(TABLE), schemaName=table)
    roles = _sub(element, "AppModuleRoleMaps")
    for role in definition.roles:
        if role.name.en in app.roles:
            _sub(roles, "Role", id=_braced(role.role_id))
    _labels(element, "LocalizedNames", "LocalizedName", app.display, language)
    _labels(element, "Descriptions", "Description", app.description, language)
    setting = _sub(_sub(element, "appsettings"), "appsetting", **{"settingdefinitionid.uniquename": "AppChannel"})
    _sub(setting, "iscustomizable", 1)
    _sub(setting, "value", 1)


def environment_variable_file(variable: EnvironmentVariable) -> str:
    """Where an export puts a definition: its own folder, named after its schema name."""
    return f"environmentvariabledefinitions/{variable.schema_name}/environmentvariabledefinition.xml"


def environment_variable_xml(variable: EnvironmentVariable, language: int = ENGLISH) -> ET.Element:
    """<environmentvariabledefinition schemaname="…"> as Dataverse exports it: no value (values are per
    organisation), a <defaultvalue> only when the definition has one."""
    root = ET.Element("environmentvariabledefinition", {"schemaname": variable.schema_name})
    if variable.default_value is not None:
        _sub(root, "defaultvalue", variable.default_value)
    for tag, label in (("description", variable.description), ("displayname", variable.display)):
        element = _sub(root, tag, default=_text(label, language))
        for code in _ordered(language):
            _sub(element, "label", description=label.by_language()[code], languagecode=str(code))
    _sub(root, "introducedversion", INTRODUCED)
    _sub(root, "iscustomizable", 1)
    _sub(root, "isrequired", 0)
    _sub(root, "secretstore", 0)
    _sub(root, "type", int(variable.type))
    return root


def _global_option_set(parent: ET.Element, choice: Choice, language: int) -> None:
    _option_set(parent, choice.name, "picklist", choice.display, ((o.value, o.label) for o in choice.options),
                language, localizedName=_text(choice.display, language), description="")


def content_types(definition: SolutionDefinition) -> bytes:
    """[Content_Types].xml as Dataverse writes it: one line, UTF-8 with a byte order mark."""
    root = ET.Element("Types", {"xmlns": CONTENT_TYPES})
    _sub(root, "Default", Extension="xml", ContentType="application/octet-stream")
    for resource in definition.web_resources:
        _sub(root, "Override", PartName="/" + web_resource_file(resource), ContentType="application/octet-stream")
    body = ET.tostring(root, encoding="unicode")
    return "\ufeff".encode() + b'<?xml version="1.0" encoding="utf-8"?>' + body.encode("utf-8")


def _document(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def build_package(definition: SolutionDefinition = DEFINITION, *, language: int = ENGLISH,
                  web_resources_dir: Path = WEB_RESOURCES_DIR) -> dict[str, bytes]:
    """Zip member name -> content, in the order Dataverse writes them."""
    members = {"[Content_Types].xml": content_types(definition),
               "customizations.xml": _document(customizations_xml(definition, language)),
               "solution.xml": _document(solution_xml(definition, language))}
    for variable in definition.environment_variables:
        members[environment_variable_file(variable)] = _document(environment_variable_xml(variable, language))
    for resource in definition.web_resources:
        members[web_resource_file(resource)] = (web_resources_dir / resource.path).read_bytes()
    return members


def write_package(output: Path, definition: SolutionDefinition = DEFINITION, *, language: int = ENGLISH
                  ) -> PackageSummary:
    """Write the solution zip to `output`; PackageError (one line) when that path cannot be written."""
    if output.is_dir():
        raise PackageError(f"{output}: is a directory; give the zip file's path")
    if not output.parent.is_dir():
        raise PackageError(f"{output.parent}: no such directory")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in build_package(definition, language=language).items():
            archive.writestr(name, content)
    data = buffer.getvalue()
    try:
        output.write_bytes(data)
    except OSError as error:
        raise PackageError(f"{output}: cannot write: {error.strerror or error}") from None
    columns = sum(len(t.all_columns) for t in definition.tables)
    return PackageSummary(output, len(definition.tables), columns, len(definition.web_resources), len(data))


__all__ = ["PackageError", "PackageSummary", "build_package", "content_types", "customizations_xml",
           "environment_variable_file", "environment_variable_xml", "relationships", "root_components",
           "shell_tables", "site_map_element", "solution_xml", "web_resource_file", "web_resource_id", "write_package"]

"""The types of the CRM side's one declarative definition (`solution.definition.DEFINITION`).

Plain frozen dataclasses, no behaviour beyond derived names: the packager (`solution.package`) writes
them as a solution zip, the installer (`solution.deploy`) as Web API metadata requests. Every
user-visible name is a `Label` in French and English (language codes 1036 and 1033).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum, IntEnum

FRENCH, ENGLISH = 1036, 1033
_IDS = uuid.UUID("5f0c7d52-9a43-4c1e-8d0b-6e2b51f3a9c7")     # namespace of the solution's fixed component ids


def stable_id(*parts: str) -> str:
    """The same GUID for the same component on every build, so a re-import updates rather than duplicates."""
    return str(uuid.uuid5(_IDS, "/".join(parts)))


@dataclass(frozen=True)
class Label:
    """A user-visible name in both languages the product ships."""
    fr: str
    en: str

    def by_language(self) -> dict[int, str]:
        return {FRENCH: self.fr, ENGLISH: self.en}


class RequiredLevel(str, Enum):
    """AttributeRequiredLevel as the metadata API spells it."""
    NONE = "None"
    RECOMMENDED = "Recommended"
    REQUIRED = "ApplicationRequired"


class Ownership(str, Enum):
    USER = "UserOwned"            # owner, business unit, team: user-level security applies
    ORGANIZATION = "OrganizationOwned"


class StringFormat(str, Enum):
    TEXT = "Text"
    PHONE = "Phone"
    EMAIL = "Email"
    URL = "Url"


class DateTimeFormat(str, Enum):
    DATE_ONLY = "DateOnly"
    DATE_AND_TIME = "DateAndTime"


@dataclass(frozen=True)
class Option:
    value: int                   # DESIGN §4's number (1, 2, 3…), never the publisher's 100000000 range
    label: Label


@dataclass(frozen=True)
class Choice:
    """A choice (option set). Global when several columns share it (`smsc_smstype`), else local to its column."""
    name: str                    # logical name of the global option set, or the column's for a local one
    display: Label
    options: tuple[Option, ...]
    is_global: bool = False

    def value_of(self, english_label: str) -> int:
        return next(o.value for o in self.options if o.label.en == english_label)


@dataclass(frozen=True, kw_only=True)
class Column:
    """A custom column. `schema_name` is the logical name with the capitals Dataverse keeps (e.g.
    `smsc_PhoneNumber`); lookups' navigation properties are spelled with it."""
    logical_name: str
    schema_name: str
    display: Label
    description: Label | None = None
    required: RequiredLevel = RequiredLevel.NONE

    @property
    def type_name(self) -> str:
        """The AttributeType Dataverse reports: String, Memo, Integer, Decimal, Money, Boolean, DateTime…"""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class StringColumn(Column):
    max_length: int
    format: StringFormat = StringFormat.TEXT

    @property
    def type_name(self) -> str:
        return "String"


@dataclass(frozen=True, kw_only=True)
class MemoColumn(Column):
    max_length: int

    @property
    def type_name(self) -> str:
        return "Memo"


@dataclass(frozen=True, kw_only=True)
class IntegerColumn(Column):
    min_value: int = -2_147_483_648
    max_value: int = 2_147_483_647

    @property
    def type_name(self) -> str:
        return "Integer"


@dataclass(frozen=True, kw_only=True)
class DecimalColumn(Column):
    precision: int
    min_value: float = 0
    max_value: float = 100_000_000_000

    @property
    def type_name(self) -> str:
        return "Decimal"


@dataclass(frozen=True, kw_only=True)
class MoneyColumn(Column):
    precision: int                # 0 to 4 decimals; money also gets its base-currency column from Dataverse
    min_value: float = 0
    max_value: float = 922_337_203_685_477

    @property
    def type_name(self) -> str:
        return "Money"


@dataclass(frozen=True, kw_only=True)
class BooleanColumn(Column):
    true_label: Label = Label("Oui", "Yes")
    false_label: Label = Label("Non", "No")
    default: bool = False

    @property
    def type_name(self) -> str:
        return "Boolean"


@dataclass(frozen=True, kw_only=True)
class DateTimeColumn(Column):
    format: DateTimeFormat = DateTimeFormat.DATE_AND_TIME

    @property
    def type_name(self) -> str:
        return "DateTime"


@dataclass(frozen=True, kw_only=True)
class LookupColumn(Column):
    """A lookup: one N:1 relationship per target table (`relationship_name(target)`)."""
    targets: tuple[str, ...]

    @property
    def type_name(self) -> str:
        return "Lookup"

    def relationship_name(self, referencing_table: str, target: str) -> str:
        """`smsc_textmessage_smsc_campaignid_campaign`: unique per lookup and target, with the publisher's
        prefix as Dataverse requires for a custom relationship (`smsc_campaign_smsc_templateid_…`)."""
        name = f"{referencing_table}_{self.logical_name}_{target}"
        return name if name.startswith("smsc_") else f"smsc_{name}"


@dataclass(frozen=True, kw_only=True)
class ChoiceColumn(Column):
    choice: Choice
    default: int | None = None

    @property
    def type_name(self) -> str:
        return "Picklist"


@dataclass(frozen=True)
class AlternateKey:
    schema_name: str              # e.g. smsc_idempotencykey_key
    display: Label
    columns: tuple[str, ...]

    @property
    def logical_name(self) -> str:
        return self.schema_name.lower()


@dataclass(frozen=True)
class Table:
    """A table, new (`is_new`: created with its primary name column) or existing (only its columns added).

    An activity table (`is_activity`) gets the standard activity columns from Dataverse (subject =
    primary name, description, regardingobjectid, scheduledend, actualend, statecode, the activity
    parties to/from…): they are not listed in `columns`, only named in `standard_columns` for the forms.
    """
    logical_name: str
    schema_name: str
    entity_set: str
    display: Label
    plural: Label
    description: Label
    columns: tuple[Column, ...]
    ownership: Ownership = Ownership.USER
    is_new: bool = True
    is_activity: bool = False
    primary_name: StringColumn | None = None          # None for an activity (subject) or an existing table
    keys: tuple[AlternateKey, ...] = ()
    standard_columns: tuple[str, ...] = ()            # platform columns the forms/views/connector use

    @property
    def created_primary_name(self) -> StringColumn | None:
        """The primary name column the table is created with: `primary_name`, or for an activity the
        `Subject` every activity shares with ActivityPointer (400 characters); None for an existing table."""
        if self.is_activity:
            return StringColumn(logical_name="subject", schema_name="Subject", display=Label("Objet", "Subject"),
                                max_length=400)
        return self.primary_name

    @property
    def primary_id(self) -> str:
        return "activityid" if self.is_activity else f"{self.logical_name}id"

    @property
    def primary_name_column(self) -> str:
        if self.is_activity:
            return "subject"
        return self.primary_name.logical_name if self.primary_name else "name"

    def column(self, logical_name: str) -> Column:
        return next(c for c in self.all_columns if c.logical_name == logical_name)

    @property
    def all_columns(self) -> tuple[Column, ...]:
        """The custom columns, the primary name column first when the table creates one."""
        return ((self.primary_name,) if self.primary_name else ()) + self.columns

    @property
    def lookups(self) -> tuple[LookupColumn, ...]:
        return tuple(c for c in self.columns if isinstance(c, LookupColumn))


# --- security -------------------------------------------------------------------------------------------

class Depth(IntEnum):
    """Privilege depth as the role editor shows it (the customizations.xml `level` names follow)."""
    USER = 1
    BUSINESS_UNIT = 2
    PARENT_CHILD = 4
    ORGANIZATION = 8

    @property
    def xml_level(self) -> str:
        return {1: "Basic", 2: "Local", 4: "Deep", 8: "Global"}[self.value]


PRIVILEGES = ("Create", "Read", "Write", "Delete", "Append", "AppendTo", "Assign", "Share")


@dataclass(frozen=True)
class TablePrivileges:
    table: str
    depth: dict[str, Depth]            # privilege (PRIVILEGES) -> depth; absent = not granted
    is_activity: bool = False          # custom activity tables share the Activity privileges

    def privilege_name(self, privilege: str) -> str:
        """prvCreatesmsc_textmessage: Dataverse's name for a table privilege (prvCreateActivity for activities)."""
        return f"prv{privilege}{'Activity' if self.is_activity else self.table}"


@dataclass(frozen=True)
class SecurityRole:
    name: Label
    privileges: tuple[TablePrivileges, ...]

    @property
    def role_id(self) -> str:
        return stable_id("role", self.name.en)


# --- user interface -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldControl:
    column: str
    label: Label | None = None          # None: the column's display name
    read_only: bool = False


@dataclass(frozen=True)
class WebResourceControl:
    """An HTML web resource on a form (`smsc_/html/...`), given the record id and type."""
    name: str                            # control id on the form, e.g. WebResource_campaign_panel
    web_resource: str                    # smsc_/html/campaign_panel.html
    label: Label
    rows: int = 10


@dataclass(frozen=True)
class SubgridControl:
    """The rows of `table` whose lookup `lookup` points at the form's record, shown with the view `view`
    (e.g. every provider event of an SMS: the delivery-report history support reads)."""
    name: str                            # control id on the form, e.g. smsc_providerevents
    table: str                           # smsc_providerevent
    lookup: str                          # smsc_textmessageid: the relationship is this lookup's
    view: Label                          # the name of a View of `table` in the definition
    label: Label
    records_per_page: int = 10

    def view_id(self) -> str:
        return stable_id("view", self.table, self.view.en)


Control = FieldControl | WebResourceControl | SubgridControl


@dataclass(frozen=True)
class Section:
    name: str
    label: Label
    controls: tuple[Control, ...]


@dataclass(frozen=True)
class Tab:
    name: str
    label: Label
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class EventHandler:
    library: str                         # smsc_/js/textmessage_form.js
    function: str                        # Smsc.TextMessageForm.onLoad
    pass_execution_context: bool = True


@dataclass(frozen=True)
class Form:
    """A main form. On an existing table (`campaign`) it is an additional main form holding the SMS tabs
    (the package ships it so; an installer may rather add the tabs to the organisation's own form)."""
    table: str
    name: Label
    tabs: tuple[Tab, ...]
    libraries: tuple[str, ...] = ()                  # in load order: shared libraries first
    on_load: tuple[EventHandler, ...] = ()
    on_change: tuple[tuple[str, EventHandler], ...] = ()   # (column, handler)

    @property
    def form_id(self) -> str:
        return stable_id("form", self.table, self.name.en)


@dataclass(frozen=True)
class View:
    table: str
    name: Label
    columns: tuple[tuple[str, int], ...]             # (column, width in px)
    filter_xml: str = ""                             # FetchXML <filter> (empty: every active row)
    order: tuple[str, bool] = ("createdon", True)    # (column, descending)
    is_default: bool = False

    @property
    def view_id(self) -> str:
        return stable_id("view", self.table, self.name.en)


@dataclass(frozen=True)
class Chart:
    """A system chart (savedqueryvisualization) of `table`: `aggregate` of `measure` per value of `category`
    (per `date_grouping` part of it for a date), over the rows of `filter_xml`, the `top` largest only when
    given. A dashboard shows it with the view `view` (a View of `table` in the definition)."""
    table: str
    name: Label
    category: str
    measure: str
    aggregate: str                       # count, countcolumn, sum, avg, min, max
    view: Label
    chart_type: str = "Column"           # the chart control's series type: Column, Bar, Pie, Line
    date_grouping: str | None = None     # day, week, month, quarter, year
    filter_xml: str = ""
    top: int | None = None

    @property
    def chart_id(self) -> str:
        return stable_id("chart", self.table, self.name.en)

    @property
    def view_id(self) -> str:
        return stable_id("view", self.table, self.view.en)


@dataclass(frozen=True)
class Dashboard:
    """A dashboard (systemform of type dashboard): its charts two by two, in order."""
    name: Label
    charts: tuple[Chart, ...]

    @property
    def dashboard_id(self) -> str:
        return stable_id("dashboard", self.name.en)


class CommandLocation(str, Enum):
    FORM = "Form"                        # Mscrm.Form.<table>.MainTab
    HOME_GRID = "HomePageGrid"           # Mscrm.HomepageGrid.<table>.MainTab
    SUBGRID = "SubGrid"


@dataclass(frozen=True)
class CommandButton:
    """A command bar button calling `function` of `library` with `parameters` (CrmParameter values)."""
    id: str                              # smsc.textmessage.Send
    table: str
    location: CommandLocation
    label: Label
    library: str
    function: str
    parameters: tuple[str, ...] = ()     # PrimaryControl, SelectedControlSelectedItemIds, PrimaryEntityTypeName
    sequence: int = 10
    needs_selection: bool = False        # grid: enabled when at least one record is selected
    dependencies: tuple[str, ...] = ()   # libraries loaded first (ribbon: JavaScriptFunction isNaN calls)


# --- web resources, webhook ------------------------------------------------------------------------------

WEB_RESOURCE_TYPES = {"html": 1, "htm": 1, "css": 2, "js": 3, "xml": 4, "png": 5, "jpg": 6, "gif": 7,
                      "xap": 8, "xsl": 9, "ico": 10, "svg": 11, "resx": 12}


@dataclass(frozen=True)
class WebResource:
    name: str                            # smsc_/js/api.js
    path: str                            # file under solution/webresources/, e.g. js/api.js
    display: str

    @property
    def type_code(self) -> int:
        return WEB_RESOURCE_TYPES[self.path.rsplit(".", 1)[-1].lower()]


class Stage(IntEnum):
    PRE_VALIDATION = 10
    PRE_OPERATION = 20
    POST_OPERATION = 40


class Mode(IntEnum):
    SYNCHRONOUS = 0
    ASYNCHRONOUS = 1


@dataclass(frozen=True)
class Step:
    """An SDK message processing step sending the event to the service endpoint."""
    name: str
    table: str
    message: str                         # Create | Update
    filtering_columns: tuple[str, ...] = ()
    pre_image_columns: tuple[str, ...] = ()
    stage: Stage = Stage.POST_OPERATION
    mode: Mode = Mode.ASYNCHRONOUS


@dataclass(frozen=True)
class ServiceEndpoint:
    """The webhook: Dataverse posts the RemoteExecutionContext to `path` of the function app with
    `auth_header` = the key. The key is never part of the definition: the installer reads it from
    `key_setting` (SMSC_WEBHOOK_KEY) and the URL from its option or settings."""
    name: str
    path: str                            # /api/dataverse/events
    auth_header: str                     # x-smsc-webhook-key
    key_setting: str
    steps: tuple[Step, ...]
    include_workflow_steps: bool = True  # plus workflows.engine.required_steps(), computed at deploy time


# --- environment variables -------------------------------------------------------------------------------

class EnvironmentVariableType(IntEnum):
    """environmentvariabledefinition.type as Dataverse numbers it (String, Number, Boolean, JSON, …)."""
    STRING = 100_000_000


@dataclass(frozen=True)
class EnvironmentVariable:
    """A Dataverse environment variable definition the web resources read (`smsc_ApiBaseUrl`…): the value is
    per organisation, set by the installer (environmentvariablevalue) or the admin, never in the package."""
    schema_name: str                     # smsc_ApiBaseUrl: also its folder name in the solution zip
    display: Label
    description: Label
    type: EnvironmentVariableType = EnvironmentVariableType.STRING
    default_value: str | None = None     # None: no <defaultvalue> in the package


# --- the model-driven app ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SiteMapGroup:
    """A group of the app's navigation: one entry (SubArea) per table, in order."""
    id: str                              # smsc_messages: unique in the site map
    label: Label
    tables: tuple[str, ...]


@dataclass(frozen=True)
class ModelDrivenApp:
    """A model-driven app (AppModule) and its site map (AppModuleSiteMap), both named `unique_name`; its
    components are the tables its site map lists and the site map itself; the roles given open it."""
    unique_name: str                     # smsc_SmsConnector
    display: Label
    description: Label
    area: Label
    groups: tuple[SiteMapGroup, ...]
    roles: tuple[str, ...]               # SecurityRole names (English) of the definition
    dashboards: tuple[Dashboard, ...] = ()   # listed first in the first group (Url /workplace/home_dashboards.aspx)
    icon_web_resource_id: str = "953b9fac-1e5e-e611-80d6-00155ded156f"   # the platform's default app icon

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(table for group in self.groups for table in group.tables)

    @property
    def app_id(self) -> str:
        return stable_id("appmodule", self.unique_name)

    @property
    def site_map_id(self) -> str:
        return stable_id("sitemap", self.unique_name)


# --- seed data, whole definition -------------------------------------------------------------------------

@dataclass(frozen=True)
class SeedRow:
    """A row the installer creates once (matched on `match` columns, never overwritten once there)."""
    table: str
    values: dict[str, object]
    match: tuple[str, ...]


@dataclass(frozen=True)
class Publisher:
    unique_name: str
    display: Label
    prefix: str
    option_value_prefix: int


@dataclass(frozen=True)
class SolutionDefinition:
    unique_name: str
    display: Label
    description: Label
    version: str
    publisher: Publisher
    tables: tuple[Table, ...]
    choices: tuple[Choice, ...]                      # the global ones
    roles: tuple[SecurityRole, ...]
    forms: tuple[Form, ...]
    views: tuple[View, ...]
    commands: tuple[CommandButton, ...]
    web_resources: tuple[WebResource, ...]
    endpoint: ServiceEndpoint
    seed: tuple[SeedRow, ...]
    workflow_drafts: str = "workflows/builtin/*.yaml"  # seeded inactive: solution.seed.workflow_drafts()
    environment_variables: tuple[EnvironmentVariable, ...] = ()
    apps: tuple[ModelDrivenApp, ...] = ()
    charts: tuple[Chart, ...] = ()
    dashboards: tuple[Dashboard, ...] = ()

    def table(self, logical_name: str) -> Table:
        return next(t for t in self.tables if t.logical_name == logical_name)

    @property
    def new_tables(self) -> tuple[Table, ...]:
        return tuple(t for t in self.tables if t.is_new)

    def web_resource(self, name: str) -> WebResource:
        return next(w for w in self.web_resources if w.name == name)

    def relationships(self) -> tuple[tuple[str, Table, LookupColumn, str], ...]:
        """(schema name, referencing table, lookup, referenced table): one N:1 relationship per lookup target."""
        return tuple((lookup.relationship_name(table.logical_name, target), table, lookup, target)
                     for table in self.tables for lookup in table.lookups for target in lookup.targets)

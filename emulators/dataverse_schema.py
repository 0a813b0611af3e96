"""The tables the Dataverse emulator knows (DESIGN §4): columns, lookups and their navigation names.

Each `Table` says how the Web API spells it: entity set, primary id, primary name (the lookup
FormattedValue), columns with their types, lookups (`_<attr>_value` on read, `<nav>@odata.bind` on
write; navigation names are case-sensitive, custom lookups use the SchemaName as Dataverse does),
choice labels, alternate keys and one-to-many collections (the activity parties). N:N relationships
(`listcontact_association`, `campaignlist_association`, …) are defined in dataverse_assoc.
The platform tables an installer writes (web resources, service endpoints, SDK messages, filters, steps
and their images, forms, views, publishers, solutions and their components, environment variable
definitions and values) are here too.

`TABLES` and `BY_SET` are views of the serving emulator's `Schema` (the static tables, plus or minus what
its metadata API changed, minus the `smsc_` ones in bare mode), made current per request by a context
variable; outside a request they are the static tables themselves.
"""
from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace

EDM = {"string": "Edm.String", "memo": "Edm.String", "int": "Edm.Int32", "bool": "Edm.Boolean",
       "datetime": "Edm.DateTimeOffset", "money": "Edm.Decimal", "decimal": "Edm.Decimal",
       "choice": "Edm.Int32", "guid": "Edm.Guid"}
TEXT_TYPES = {"string", "memo"}
AUDIT = ("createdon", "modifiedon", "versionnumber")


@dataclass(frozen=True)
class Lookup:
    attr: str                       # logical name; read as `_<attr>_value`
    targets: dict[str, str]         # target logical name -> navigation property name
    readonly: bool = False          # set by the platform (createdby, the party's activity)

    @property
    def key(self) -> str:
        return f"_{self.attr}_value"


@dataclass(frozen=True)
class Collection:
    """One-to-many navigation: child rows whose `child_lookup` points at the parent."""
    nav: str
    child: str
    child_lookup: str
    cascade: bool = True            # deleting the parent deletes the children (else they stay)


@dataclass
class Table:
    logical: str
    entity_set: str
    primary_id: str
    primary_name: str | None
    columns: dict[str, str]                     # column -> type (lookups excluded)
    lookups: dict[str, Lookup] = field(default_factory=dict)
    choices: dict[str, dict[int, str]] = field(default_factory=dict)
    alternate_keys: tuple[str, ...] = ()
    collections: dict[str, Collection] = field(default_factory=dict)
    default_status: dict[int, int] = field(default_factory=dict)   # statecode -> statuscode
    computed: frozenset[str] = frozenset(AUDIT)
    readonly: bool = False                      # no writes through the Web API (activityparty)
    navs: dict[str, tuple[Lookup, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for lookup in self.lookups.values():
            for target, nav in lookup.targets.items():
                self.navs[nav] = (lookup, target)

    @property
    def type_name(self) -> str:
        return f"Microsoft.Dynamics.CRM.{self.logical}"

    def property_type(self, name: str) -> str | None:
        """Type of a readable property (`_x_value` lookups are guids), None when unknown."""
        if name == self.primary_id:
            return "guid"
        if name.startswith("_") and name.endswith("_value") and name[1:-6] in self.lookups:
            return "guid"
        return self.columns.get(name)


CHOICES = {
    "smsc_status": {1: "Draft", 2: "Send requested", 3: "Sending", 4: "Scheduled", 5: "Sent",
                    6: "Delivered", 7: "Undeliverable", 8: "Failed", 9: "Cancelled", 10: "Received"},
    "smsc_smstype": {1: "Marketing", 2: "Transactional"},
    "smsc_unitdefaultsmstype": {1: "Marketing", 2: "Transactional"},
    "smsc_campaigndefaultsmstype": {1: "Marketing", 2: "Transactional"},
    "smsc_encoding": {1: "GSM-7", 2: "UCS-2"},
    "smsc_direction": {1: "Outgoing", 2: "Incoming"},
    "smsc_templatestatus": {1: "Draft", 2: "Published"},
    "smsc_reason": {1: "STOP", 2: "Undeliverable", 3: "Manual"},
    "smsc_kind": {1: "Delivery", 2: "Inbound", 3: "Opt-out"},
    "smsc_stopseparator": {1: "Line break", 2: "Space"},
    "smsc_mode": {1: "Default", 2: "Specific", 3: "Forbidden", 4: "Unlimited"},
    "smsc_enforcement": {1: "Warn", 2: "Block"},
    "smsc_state": {1: "Reserved", 2: "Sending", 3: "Accepted", 4: "Refused", 5: "Uncertain", 6: "Written"},
    "smsc_recipienttype": {1: "Account", 2: "Contact", 4: "Lead"},
    "createdfromcode": {1: "Account", 2: "Contact", 4: "Lead"},
    "smsc_smsstatus": {1: "Not transmitted", 2: "In construction", 3: "Ready to send",
                       4: "Sending", 5: "Sent"},
    "smsc_cheapertext": {1: "Yes", 2: "No"},       # an SMS's or a campaign's (a yes/no in the configuration)
    "smsc_action": {1: "Simulate", 2: "Prepare", 3: "Validate", 4: "Cancel", 5: "Refresh", 6: "Send a test"},
    "participationtypemask": {1: "Sender", 2: "To Recipient", 3: "CC Recipient", 4: "BCC Recipient",
                              5: "Required attendee", 6: "Optional attendee", 7: "Organizer",
                              8: "Regarding", 9: "Owner", 10: "Resource", 11: "Customer",
                              12: "Chat participant"},
}
ACTIVE = {0: "Active", 1: "Inactive"}
USER = {"systemuser": "systemuser"}


def _table(logical, entity_set, primary_id, name, cols, *, lookups=None, states=None,
           status=None, owned=True, keys=(), computed=(), collections=None, readonly=False):
    columns = {}
    for spec in (cols + " createdon:datetime modifiedon:datetime versionnumber:int").split():
        column, _, kind = spec.partition(":")
        columns[column] = kind or "string"
    all_lookups = {"createdby": ({"systemuser": "createdby"}, True),
                   "modifiedby": ({"systemuser": "modifiedby"}, True)}
    if owned:
        all_lookups["ownerid"] = ({"systemuser": "ownerid"}, False)
    all_lookups.update({a: (t, False) for a, t in (lookups or {}).items()})
    choices = {c: CHOICES[c] for c, kind in columns.items() if kind == "choice" and c in CHOICES}
    if states:
        choices["statecode"] = states
    return Table(logical, entity_set, primary_id, name, columns,
                 {a: Lookup(a, t, ro) for a, (t, ro) in all_lookups.items()}, choices, tuple(keys),
                 {c.nav: c for c in (collections or [])}, status or {},
                 frozenset(AUDIT) | frozenset(computed), readonly)


def custom_table(logical: str, entity_set: str, primary_id: str, primary_name: str, columns: str, *,
                 lookups: dict[str, dict[str, str]] | None = None) -> Table:
    """A table as an admin creates one (owned, Active / Inactive): for tests and demos to add to TABLES
    and BY_SET. `columns` as in `_TABLES` (`name:type` separated by spaces); lookups target -> navigation."""
    return _table(logical, entity_set, primary_id, primary_name, columns + " statecode:choice statuscode:int",
                  lookups=lookups, states=ACTIVE, status={0: 1, 1: 2})


def _regarding(targets, activity):
    return {t: f"regardingobjectid_{t}_{activity}" for t in targets}


CUSTOMER = {"account": "customerid_account", "contact": "customerid_contact"}
_TABLES = [
    _table("contact", "contacts", "contactid", "fullname",
           "firstname lastname fullname mobilephone telephone1 emailaddress1 donotbulkemail:bool "
           "donotphone:bool statecode:choice statuscode:int", states=ACTIVE, status={0: 1, 1: 2},
           lookups={"parentcustomerid": {"account": "parentcustomerid_account",
                                         "contact": "parentcustomerid_contact"}},
           computed=("fullname",)),
    _table("lead", "leads", "leadid", "fullname",
           "firstname lastname fullname companyname mobilephone telephone1 emailaddress1 "
           "statecode:choice statuscode:int", states={0: "Open", 1: "Qualified", 2: "Disqualified"},
           status={0: 1, 1: 3, 2: 4}, computed=("fullname",)),
    _table("account", "accounts", "accountid", "name",
           "name telephone1 emailaddress1 statecode:choice statuscode:int", states=ACTIVE,
           status={0: 1, 1: 2}, lookups={"primarycontactid": {"contact": "primarycontactid"}}),
    _table("systemuser", "systemusers", "systemuserid", "fullname",
           "firstname lastname fullname azureactivedirectoryobjectid:guid domainname "
           "internalemailaddress mobilephone applicationid:guid isdisabled:bool smsc_defaultsender", owned=False),
    # Security roles and teams (their N:N links with users: dataverse_assoc; privileges: dataverse_privileges).
    _table("role", "roles", "roleid", "name", "name", owned=False),
    _table("team", "teams", "teamid", "name", "name teamtype:int smsc_defaultsender", owned=False),
    # In-app notifications (the appnotification table): the low-credit alert for admins.
    _table("appnotification", "appnotifications", "appnotificationid", "title",
           "title body:memo icontype:int toasttype:int priority:int ttlinseconds:int data:memo"),
    _table("usersettings", "usersettingscollection", "systemuserid", None,
           "uilanguageid:int localeid:int dateformatstring timeformatstring timezonecode:int",
           owned=False),
    _table("organization", "organizations", "organizationid", "name",
           "name maxuploadfilesize:int languagecode:int", owned=False),
    _table("timezonedefinition", "timezonedefinitions", "timezonedefinitionid", "standardname",
           "timezonecode:int standardname userinterfacename", owned=False),
    _table("smsc_textmessage", "smsc_textmessages", "activityid", "subject",
           "subject description:memo scheduledend:datetime actualend:datetime statecode:choice "
           "statuscode:int activitytypecode smsc_phonenumber smsc_direction:choice "
           "smsc_smstype:choice smsc_sender smsc_status:choice smsc_encoding:choice "
           "smsc_segments:int smsc_cost:money smsc_providermessageid smsc_error:memo "
           "smsc_idempotencykey smsc_cheapertext:choice",
           states={0: "Open", 1: "Completed", 2: "Canceled"}, status={0: 1, 1: 2, 2: 3},
           lookups={"regardingobjectid": _regarding(
                        ["contact", "lead", "account", "salesorder", "incident", "quote", "invoice",
                         "campaign"], "smsc_textmessage"),
                    "smsc_campaignid": {"campaign": "smsc_CampaignId"},
                    "smsc_templateid": {"smsc_smstemplate": "smsc_TemplateId"},
                    "smsc_workflowid": {"smsc_workflow": "smsc_WorkflowId"}},
           keys=("smsc_idempotencykey",), computed=("activitytypecode",),
           collections=[Collection("smsc_textmessage_activity_parties", "activityparty", "activityid")]),
    _table("activityparty", "activityparties", "activitypartyid", None,
           "participationtypemask:choice addressused", owned=False, readonly=True,
           lookups={"activityid": {"smsc_textmessage": "activityid_smsc_textmessage"},
                    "partyid": {t: f"partyid_{t}" for t in ("contact", "lead", "account", "systemuser")}}),
    _table("smsc_smstemplate", "smsc_smstemplates", "smsc_smstemplateid", "smsc_name",
           "smsc_name smsc_entity smsc_text:memo smsc_templatestatus:choice statecode:choice "
           "statuscode:int", states=ACTIVE, status={0: 1, 1: 2}),
    _table("smsc_configuration", "smsc_configurations", "smsc_configurationid", "smsc_name",
           "smsc_name smsc_unitallowtypechoice:bool smsc_unitdefaultsmstype:choice "
           "smsc_unitallowsenderchoice:bool smsc_unitdefaultsender smsc_campaignallowtypechoice:bool "
           "smsc_campaigndefaultsmstype:choice smsc_campaignallowsenderchoice:bool "
           "smsc_campaigndefaultsender smsc_stoptext smsc_appendstop:bool smsc_excludeoptouts:bool "
           "smsc_defaultcountry smsc_warnthreshold:int smsc_quotasenabled:bool "
           "smsc_campaignduration:int smsc_quiethoursstart:int smsc_quiethoursend:int "
           "smsc_repliesallowed:bool smsc_replywindow:int smsc_stopkeywords smsc_startkeywords "
           "smsc_consecutivefailures:int smsc_unknownreplycreateslead:bool smsc_stopseparator:choice "
           "smsc_quietsundays:bool smsc_quietholidays:bool smsc_overseasprefix smsc_cheapertext:bool "
           "smsc_maxtextlength:int smsc_consentcolumn smsc_testnumbers smsc_lowcreditthreshold:int", owned=False),
    _table("smsc_quota", "smsc_quotas", "smsc_quotaid", "smsc_name",
           "smsc_name smsc_mode:choice smsc_persendsms:int smsc_persendrecipients:int "
           "smsc_permonthsms:int smsc_permonthrecipients:int smsc_enforcement:choice",
           lookups={"smsc_userid": {"systemuser": "smsc_UserId"}}),
    _table("smsc_optout", "smsc_optouts", "smsc_optoutid", "smsc_phonenumber",
           "smsc_phonenumber smsc_reason:choice smsc_active:bool", keys=("smsc_phonenumber",)),
    _table("smsc_providerevent", "smsc_providerevents", "smsc_providereventid", "smsc_name",
           "smsc_name smsc_kind:choice smsc_ticket smsc_phonenumber smsc_providerstatus smsc_text:memo "
           "smsc_receivedon:datetime smsc_body:memo smsc_processedon:datetime", owned=False,
           lookups={"smsc_textmessageid": {"smsc_textmessage": "smsc_TextMessageId"}}),
    _table("smsc_sendledger", "smsc_sendledgers", "smsc_sendledgerid", "smsc_name",
           "smsc_name smsc_part:int smsc_window:int smsc_requestid smsc_ticket smsc_recipients:int "
           "smsc_state:choice smsc_error:memo smsc_leaseowner smsc_leaseexpires:datetime", owned=False,
           lookups={"smsc_campaignid": {"campaign": "smsc_CampaignId"}}, keys=("smsc_requestid",)),
    _table("smsc_workflow", "smsc_workflows", "smsc_workflowid", "smsc_name",
           "smsc_name smsc_definition:memo smsc_active:bool smsc_entity"),
    _table("campaign", "campaigns", "campaignid", "name",
           "name description:memo actualstart:datetime othercost:money statecode:choice "
           "statuscode:int smsc_recipienttype:choice smsc_text:memo smsc_smstype:choice smsc_sender "
           "smsc_smsstatus:choice smsc_action:choice smsc_lastresult:memo smsc_providerticket "
           "smsc_partstotal:int smsc_partsdone:int smsc_partsfailed:int smsc_deliveryrate:decimal "
           "smsc_replyrate:decimal smsc_closedon:datetime smsc_cheapertext:choice",
           states=ACTIVE, lookups={"smsc_templateid": {"smsc_smstemplate": "smsc_TemplateId"}}),
    _table("list", "lists", "listid", "listname",
           "listname type:bool createdfromcode:choice query:memo membercount:int statecode:choice "
           "statuscode:int", states=ACTIVE, status={0: 0, 1: 1}),
    _table("annotation", "annotations", "annotationid", "subject",
           "subject notetext:memo filename mimetype documentbody:memo filesize:int isdocument:bool "
           "objecttypecode", computed=("filesize", "isdocument", "objecttypecode"),
           lookups={"objectid": {t: f"objectid_{t}" for t in (
               "contact", "lead", "account", "campaign", "list", "smsc_textmessage", "smsc_workflow",
               "smsc_configuration", "salesorder", "incident", "quote", "invoice")}}),
    _table("salesorder", "salesorders", "salesorderid", "name",
           "name ordernumber totalamount:money statecode:choice statuscode:int", lookups={"customerid": CUSTOMER},
           states={0: "Active", 1: "Submitted", 2: "Canceled", 3: "Fulfilled", 4: "Invoiced"}),
    _table("incident", "incidents", "incidentid", "title",
           "title ticketnumber statecode:choice statuscode:int", lookups={"customerid": CUSTOMER},
           states={0: "Active", 1: "Resolved", 2: "Canceled"}),
    _table("quote", "quotes", "quoteid", "name",
           "name quotenumber totalamount:money statecode:choice statuscode:int",
           lookups={"customerid": CUSTOMER}, states={0: "Draft", 1: "Active", 2: "Won", 3: "Closed"}),
    _table("invoice", "invoices", "invoiceid", "name",
           "name invoicenumber totalamount:money statecode:choice statuscode:int",
           lookups={"customerid": CUSTOMER}, states={0: "Active", 1: "Closed", 2: "Paid", 3: "Canceled"}),
]
PLATFORM_TABLES = [
    _table("webresource", "webresourceset", "webresourceid", "name",
           "name displayname description content:memo webresourcetype:choice languagecode:int "
           "ismanaged:bool", owned=False),
    _table("serviceendpoint", "serviceendpoints", "serviceendpointid", "name",
           "name description url contract:choice authtype:choice authvalue:memo messageformat:choice "
           "userclaim:choice namespaceaddress path solutionnamespace connectionmode:choice", owned=False),
    _table("sdkmessage", "sdkmessages", "sdkmessageid", "name", "name categoryname", owned=False),
    _table("sdkmessagefilter", "sdkmessagefilters", "sdkmessagefilterid", None,
           "primaryobjecttypecode secondaryobjecttypecode iscustomprocessingstepallowed:bool "
           "availability:int", owned=False, lookups={"sdkmessageid": {"sdkmessage": "sdkmessageid"}}),
    _table("sdkmessageprocessingstep", "sdkmessageprocessingsteps", "sdkmessageprocessingstepid", "name",
           "name description mode:choice rank:int stage:choice supporteddeployment:choice "
           "filteringattributes asyncautodelete:bool configuration:memo invocationsource:int "
           "statecode:choice statuscode:int", states={0: "Enabled", 1: "Disabled"}, status={0: 1, 1: 2},
           lookups={"sdkmessageid": {"sdkmessage": "sdkmessageid"},
                    "sdkmessagefilterid": {"sdkmessagefilter": "sdkmessagefilterid"},
                    "eventhandler": {"serviceendpoint": "eventhandler_serviceendpoint"}}),
    _table("sdkmessageprocessingstepimage", "sdkmessageprocessingstepimages",
           "sdkmessageprocessingstepimageid", "name",
           "name entityalias imagetype:choice messagepropertyname attributes", owned=False,
           lookups={"sdkmessageprocessingstepid": {
               "sdkmessageprocessingstep": "sdkmessageprocessingstepid"}}),
    # The model-driven app: its site map, the app, its components (AddAppComponents writes them).
    _table("sitemap", "sitemaps", "sitemapid", "sitemapname",
           "sitemapname sitemapnameunique sitemapxml:memo isappaware:bool", owned=False),
    _table("appmodule", "appmodules", "appmoduleid", "name",
           "name uniquename description webresourceid appmoduleidunique clienttype:int formfactor:int "
           "navigationtype:int", owned=False),
    _table("appmodulecomponent", "appmodulecomponents", "appmodulecomponentid", None,
           "componenttype:int objectid", owned=False,
           lookups={"appmoduleidunique": {"appmodule": "appmoduleidunique"}}),
    _table("systemform", "systemforms", "formid", "name",
           "name description objecttypecode type:choice formxml:memo formjson:memo isdefault:bool "
           "formactivationstate:choice istabletenabled:bool", owned=False),
    _table("savedquery", "savedqueries", "savedqueryid", "name",
           "name description returnedtypecode querytype:int fetchxml:memo layoutxml:memo isdefault:bool "
           "isquickfindquery:bool", owned=False),
    # System charts: an aggregate FetchXML (datadescription) and its look (presentationdescription).
    _table("savedqueryvisualization", "savedqueryvisualizations", "savedqueryvisualizationid", "name",
           "name description primaryentitytypecode datadescription:memo presentationdescription:memo "
           "isdefault:bool charttype:int", owned=False),
    _table("publisher", "publishers", "publisherid", "friendlyname",
           "uniquename friendlyname description customizationprefix customizationoptionvalueprefix:int",
           owned=False),
    _table("solution", "solutions", "solutionid", "friendlyname",
           "uniquename friendlyname description version ismanaged:bool", owned=False,
           lookups={"publisherid": {"publisher": "publisherid"}}),
    # Environment variables: the pages read smsc_Api* with their values expanded
    # (`$expand=environmentvariabledefinition_environmentvariablevalue($select=value)`).
    _table("environmentvariabledefinition", "environmentvariabledefinitions", "environmentvariabledefinitionid",
           "schemaname", "schemaname displayname description type:choice defaultvalue:memo valueschema:memo "
           "isrequired:bool secretstore:choice ismanaged:bool statecode:choice statuscode:int",
           states=ACTIVE, status={0: 1, 1: 2},
           collections=[Collection("environmentvariabledefinition_environmentvariablevalue",
                                   "environmentvariablevalue", "environmentvariabledefinitionid")]),
    _table("environmentvariablevalue", "environmentvariablevalues", "environmentvariablevalueid", "schemaname",
           "schemaname value:memo ismanaged:bool statecode:choice statuscode:int", states=ACTIVE, status={0: 1, 1: 2},
           lookups={"environmentvariabledefinitionid": {
               "environmentvariabledefinition": "EnvironmentVariableDefinitionId"}}),
    _table("solutioncomponent", "solutioncomponents", "solutioncomponentid", None,
           "objectid:guid componenttype:choice rootcomponentbehavior:int", owned=False, readonly=True,
           lookups={"solutionid": {"solution": "solutionid"}}),
]
_TABLES += PLATFORM_TABLES
STATIC_TABLES: dict[str, Table] = {t.logical: t for t in _TABLES}
STATIC_BY_SET: dict[str, Table] = {t.entity_set: t for t in _TABLES}


def indexed_columns() -> set[tuple[str, bool]]:
    """(data key, case-insensitive) pairs worth an SQLite expression index: lookups, keys, AAD ids."""
    keys = {(lk.key, False) for t in _TABLES for lk in t.lookups.values()} | {("_solutionid_value", False)}
    keys |= {(k, True) for t in _TABLES for k in t.alternate_keys}
    return keys | {("azureactivedirectoryobjectid", False)}


def relationships(table: Table) -> dict[str, list[dict]]:
    """`EntityDefinitions(...)/ManyToOneRelationships` and `/OneToManyRelationships` rows (the SchemaName
    a relationship was created with through the metadata API, when it was)."""
    schema = CURRENT.get()
    told = {(d["ReferencingEntity"], d["ReferencingAttribute"], d["ReferencedEntity"]): d["SchemaName"]
            for d in (schema.relationship_defs.values() if schema else ())}
    many_to_one = [{"SchemaName": told.get((table.logical, lk.attr, target), f"{table.logical}_{lk.attr}_{target}"),
                    "ReferencedEntity": target,
                    "ReferencingEntity": table.logical, "ReferencingAttribute": lk.attr,
                    "ReferencingEntityNavigationPropertyName": nav,
                    "ReferencedEntityNavigationPropertyName": f"{table.logical}_{lk.attr}_{target}"}
                   for lk in table.lookups.values() for target, nav in lk.targets.items()]
    created = schema.relationship_defs if schema else {}
    for row in many_to_one:
        if row["SchemaName"] in created:
            row["ReferencedEntityNavigationPropertyName"] = created[row["SchemaName"]][
                "ReferencedEntityNavigationPropertyName"]
    one_to_many = [{"SchemaName": told.get((c.child, c.child_lookup, table.logical), c.nav),
                    "ReferencedEntity": table.logical,
                    "ReferencingEntity": c.child, "ReferencingAttribute": c.child_lookup,
                    "ReferencedEntityNavigationPropertyName": c.nav,
                    "ReferencingEntityNavigationPropertyName":
                        TABLES[c.child].lookups[c.child_lookup].targets.get(table.logical)}
                   for c in table.collections.values() if c.child in TABLES]
    return {"ManyToOneRelationships": many_to_one, "OneToManyRelationships": one_to_many}


# --- the schema of one emulator -------------------------------------------------------------------
class Schema(MutableMapping[str, Table]):
    """The tables of one organisation: its own (created or changed through the metadata API) over the
    static ones, minus the hidden ones (bare mode). Writing replaces a table in this schema only."""

    def __init__(self, base: MutableMapping[str, Table] | None = None, hidden: set[str] | None = None):
        self.own: dict[str, Table] = {}
        self.base = base if base is not None else STATIC_TABLES
        self.hidden = set(hidden or ())
        # What the metadata API was told beyond the columns (labels, SchemaNames, MetadataIds...).
        self.entity_props: dict[str, dict] = {}                     # logical -> EntityMetadata properties
        self.attribute_props: dict[tuple[str, str], dict] = {}      # (table, column) -> AttributeMetadata
        self.entity_keys: dict[str, list[dict]] = {}                # logical -> EntityKeyMetadata rows
        self.relationship_defs: dict[str, dict] = {}                # SchemaName -> relationship metadata
        self.option_sets: dict[str, dict] = {}                      # Name -> global OptionSetMetadata

    def __getitem__(self, logical: str) -> Table:
        if logical in self.own:
            return self.own[logical]
        if logical in self.hidden:
            raise KeyError(logical)
        return self.base[logical]

    def __setitem__(self, logical: str, table: Table) -> None:
        self.own[logical] = table
        self.hidden.discard(logical)

    def __delitem__(self, logical: str) -> None:
        self.own.pop(logical, None)
        self.hidden.add(logical)

    def __iter__(self) -> Iterator[str]:
        own, hidden = list(self.own), set(self.hidden)     # a snapshot: another request may change them
        yield from own
        yield from (k for k in list(self.base) if k not in own and k not in hidden)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def by_set(self) -> dict[str, Table]:
        return {t.entity_set: t for t in self.values()}

    def editable(self, logical: str) -> Table:
        """This schema's own copy of a table, to change without touching the static one."""
        if logical not in self.own:
            table = self[logical]
            self.own[logical] = replace(
                table, columns=dict(table.columns), lookups=dict(table.lookups),
                choices={k: dict(v) for k, v in table.choices.items()}, collections=dict(table.collections),
                default_status=dict(table.default_status), navs={})
        return self.own[logical]


CURRENT: ContextVar[Schema | None] = ContextVar("dataverse_emulator_schema", default=None)


def current_schema() -> Schema | None:
    """The schema of the emulator serving this request; None outside one (the static tables)."""
    return CURRENT.get()


class _CurrentTables(MutableMapping[str, Table]):
    """The tables of the emulator serving this request (the static ones outside a request)."""

    def mapping(self) -> MutableMapping[str, Table]:
        schema = CURRENT.get()
        return STATIC_TABLES if schema is None else schema

    def __getitem__(self, key: str) -> Table:
        return self.mapping()[key]

    def __setitem__(self, key: str, value: Table) -> None:
        self.mapping()[key] = value

    def __delitem__(self, key: str) -> None:
        del self.mapping()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.mapping()))

    def __len__(self) -> int:
        return len(self.mapping())


class _CurrentBySet(_CurrentTables):
    """The same tables by entity set name."""

    def mapping(self) -> MutableMapping[str, Table]:
        schema = CURRENT.get()
        return STATIC_BY_SET if schema is None else schema.by_set()

    def __setitem__(self, key: str, value: Table) -> None:
        schema = CURRENT.get()
        if schema is None:
            STATIC_BY_SET[key] = value
        else:
            schema[value.logical] = value

    def __delitem__(self, key: str) -> None:
        schema = CURRENT.get()
        if schema is None:
            del STATIC_BY_SET[key]
        else:
            del schema[self.mapping()[key].logical]


TABLES: MutableMapping[str, Table] = _CurrentTables()
BY_SET: MutableMapping[str, Table] = _CurrentBySet()

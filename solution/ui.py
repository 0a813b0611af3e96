"""What users see and what reacts: security roles, forms, views, command buttons, web resources, the
environment variables the web resources read, the webhook and its steps.

Web resources and handlers follow one naming contract shared with the files in solution/webresources/
(`smsc_/` + the path under that folder) and their JavaScript namespaces (`Smsc.TextMessageForm`, …).
"""
from __future__ import annotations

from pathlib import Path

from solution.model import (
    Chart,
    CommandButton,
    CommandLocation,
    Control,
    Dashboard,
    Depth,
    EnvironmentVariable,
    EventHandler,
    FieldControl,
    Form,
    Label,
    ModelDrivenApp,
    SecurityRole,
    SiteMapGroup,
    Section,
    SubgridControl,
    ServiceEndpoint,
    Step,
    Tab,
    TablePrivileges,
    WEB_RESOURCE_TYPES,
    View,
    WebResource,
    WebResourceControl,
)
from solution.tables import TABLES

WEB_RESOURCES_DIR = Path(__file__).parent / "webresources"
PREFIX = "smsc_/"

# -- the web resource contract ----------------------------------------------------------------------------
ENCODING_JS = "smsc_/js/encoding.js"
API_JS = "smsc_/js/api.js"
TEXT_MESSAGE_JS = "smsc_/js/textmessage_form.js"
TEMPLATE_JS = "smsc_/js/template_form.js"
GRID_SMS_JS = "smsc_/js/grid_sms.js"
CAMPAIGN_PANEL = "smsc_/html/campaign_panel.html"
MERGE_FIELD_PICKER = "smsc_/html/mergefield_picker.html"
WORKFLOW_EDITOR = "smsc_/html/workflow_editor.html"
BULK_SMS = "smsc_/html/bulk_sms.html"            # opened by Smsc.BulkSms.open (grid_sms.js)
CONVERSATION = "smsc_/html/conversation.html"    # on the SMS form: every SMS to and from its number
STYLES = "smsc_/css/smsc.css"
SHARED_LIBRARIES = (ENCODING_JS, API_JS)          # loaded before any form library that uses them

DISPLAY_NAMES = {
    ENCODING_JS: "SMS: GSM-7 / UCS-2 encoding and segments",
    API_JS: "SMS: connector API client",
    TEXT_MESSAGE_JS: "SMS: SMS form",
    TEMPLATE_JS: "SMS: template form",
    GRID_SMS_JS: "SMS: grid command",
    CAMPAIGN_PANEL: "SMS: campaign simulation and launch panel",
    MERGE_FIELD_PICKER: "SMS: merge field picker",
    WORKFLOW_EDITOR: "SMS: workflow editor",
    BULK_SMS: "SMS: SMS to selected records",
    CONVERSATION: "SMS: conversation",
    STYLES: "SMS: styles",
}


# Where the pages find the connector (api.js reads them with Xrm.WebApi). Their values are per organisation:
# `smsc solution deploy` sets them, the package carries only the definitions.
API_BASE_URL, API_FUNCTION_KEY, API_KEY = "smsc_ApiBaseUrl", "smsc_ApiFunctionKey", "smsc_ApiKey"
ENVIRONMENT_VARIABLES = (
    EnvironmentVariable(API_BASE_URL, Label("Connecteur SMS : adresse de l'API", "SMS Connector: API base URL"),
                        Label("Adresse de l'application de fonctions du connecteur (https://<app>.azurewebsites.net), "
                              "appelée par les pages SMS.",
                              "The connector's function app address (https://<app>.azurewebsites.net), called by "
                              "the SMS pages.")),
    EnvironmentVariable(API_FUNCTION_KEY, Label("Connecteur SMS : clé de fonction", "SMS Connector: function key"),
                        Label("Clé de fonction (x-functions-key) des routes des pages ; lisible par tout utilisateur.",
                              "Function key (x-functions-key) of the pages' routes; readable by every user.")),
    EnvironmentVariable(API_KEY, Label("Connecteur SMS : clé des pages", "SMS Connector: form key"),
                        Label("SMSC_FORM_KEY de l'application de fonctions, jamais SMSC_WEBHOOK_KEY : tout "
                              "utilisateur du CRM peut la lire.",
                              "The function app's SMSC_FORM_KEY, never SMSC_WEBHOOK_KEY: every CRM user can read it.")),
)


def web_resources(directory: Path = WEB_RESOURCES_DIR) -> tuple[WebResource, ...]:
    """Every file under `directory` (solution/webresources/), named `smsc_/` + its relative path.
    ValueError naming the files Dataverse has no web resource type for (e.g. .json, .md)."""
    found, unsupported = [], []
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith(".")):
        relative = path.relative_to(directory).as_posix()
        if path.suffix.lower().lstrip(".") not in WEB_RESOURCE_TYPES:
            unsupported.append(relative)
            continue
        name = PREFIX + relative
        found.append(WebResource(name, relative, DISPLAY_NAMES.get(name, f"SMS: {relative}")))
    if unsupported:
        raise ValueError(f"{directory}: not a web resource type ({', '.join(sorted(WEB_RESOURCE_TYPES))}): "
                         + ", ".join(unsupported))
    return tuple(found)


# -- security -----------------------------------------------------------------------------------------------
_ALL = ("Create", "Read", "Write", "Delete", "Append", "AppendTo")
_OWNED = _ALL + ("Assign", "Share")
G, B, L = Depth.ORGANIZATION, Depth.BUSINESS_UNIT, Depth.USER


def _every(privileges: tuple[str, ...], depth: Depth) -> dict[str, Depth]:
    return {p: depth for p in privileges}


def _admin_privileges() -> tuple[TablePrivileges, ...]:
    privileges = []
    for table in TABLES:
        if not table.is_new:
            continue
        owned = table.ownership.value == "UserOwned"
        privileges.append(TablePrivileges(table.logical_name, _every(_OWNED if owned else _ALL, G),
                                          table.is_activity))
    return tuple(privileges)


USER_ROLE = SecurityRole(Label("Utilisateur du connecteur SMS", "SMS Connector User"), (
    # Users create, send and follow their SMS; they read what their business unit sent.
    TablePrivileges("smsc_textmessage", {"Create": L, "Read": B, "Write": L, "Delete": L, "Append": L,
                                         "AppendTo": B, "Assign": L, "Share": L}, is_activity=True),
    TablePrivileges("smsc_smstemplate", {"Read": G, "AppendTo": G}),
    TablePrivileges("smsc_configuration", {"Read": G}),
    TablePrivileges("smsc_quota", {"Read": G}),
    TablePrivileges("smsc_optout", {"Read": G}),
))
ADMIN_ROLE = SecurityRole(Label("Administrateur du connecteur SMS", "SMS Connector Admin"), _admin_privileges())
ROLES = (USER_ROLE, ADMIN_ROLE)


# -- forms ---------------------------------------------------------------------------------------------------
# The provider events of one SMS, oldest first (a View below): every delivery report as received.
PROVIDER_HISTORY_VIEW = Label("Historique fournisseur", "Provider history")

def _f(column: str, fr: str | None = None, en: str | None = None, *, read_only: bool = False) -> FieldControl:
    return FieldControl(column, Label(fr, en) if fr and en else None, read_only)


def _section(name: str, fr: str, en: str, *controls: Control) -> Section:
    return Section(name, Label(fr, en), controls)


def _tab(name: str, fr: str, en: str, *sections: Section) -> Tab:
    return Tab(name, Label(fr, en), sections)


TEXT_MESSAGE_FORM = Form(
    "smsc_textmessage", Label("SMS", "SMS"),
    tabs=(_tab("general", "SMS : Informations", "SMS: Information",
               _section("message", "Nouveau SMS", "New SMS",
                        _f("to", "Destinataire", "Recipient"), _f("smsc_smstype"),
                        _f("smsc_phonenumber"), _f("smsc_sender"),
                        _f("scheduledend", "Date d'échéance", "Send at"), _f("smsc_templateid"),
                        _f("description", "Texte", "Text"), _f("smsc_cheapertext"), _f("subject", "Objet", "Subject"),
                        _f("regardingobjectid", "Concernant", "Regarding")),
               _section("tracking", "Suivi de l'envoi", "Delivery tracking",
                        _f("smsc_status", read_only=True), _f("actualend", "Envoyé le", "Sent on", read_only=True),
                        _f("smsc_encoding", read_only=True), _f("smsc_segments", read_only=True),
                        _f("smsc_cost", read_only=True), _f("smsc_direction", read_only=True),
                        _f("smsc_error", read_only=True), _f("smsc_providermessageid", read_only=True),
                        _f("smsc_campaignid", read_only=True), _f("smsc_workflowid", read_only=True))),
          _tab("conversation", "Conversation", "Conversation",
               _section("conversation", "Afficher toute la conversation", "The whole conversation",
                        WebResourceControl("WebResource_conversation", CONVERSATION,
                                           Label("Conversation", "Conversation"), rows=16))),
          _tab("provider", "Historique fournisseur", "Provider history",
               _section("providerevents", "Historique fournisseur", "Provider history",
                        SubgridControl("smsc_providerevents", "smsc_providerevent", "smsc_textmessageid",
                                       PROVIDER_HISTORY_VIEW, Label("Historique fournisseur", "Provider history"),
                                       records_per_page=20)))),
    libraries=SHARED_LIBRARIES + (TEXT_MESSAGE_JS,),
    on_load=(EventHandler(TEXT_MESSAGE_JS, "Smsc.TextMessageForm.onLoad"),),
    on_change=(("description", EventHandler(TEXT_MESSAGE_JS, "Smsc.TextMessageForm.onTextChange")),),
)

TEMPLATE_FORM = Form(
    "smsc_smstemplate", Label("Modèle de SMS", "SMS template"),
    tabs=(_tab("general", "Modèle de SMS : Informations", "SMS template: Information",
               _section("template", "Modèle", "Template",
                        _f("smsc_name"), _f("smsc_templatestatus"), _f("smsc_entity"), _f("smsc_text"),
                        WebResourceControl("WebResource_mergefield_picker", MERGE_FIELD_PICKER,
                                           Label("Champs de fusion", "Merge fields"), rows=4))),),
    libraries=SHARED_LIBRARIES + (TEMPLATE_JS,),
    on_load=(EventHandler(TEMPLATE_JS, "Smsc.TemplateForm.onLoad"),),
)

CONFIGURATION_FORM = Form(
    "smsc_configuration", Label("Configuration SMS", "SMS configuration"),
    tabs=(_tab("preferences", "Préférences", "Preferences",
               _section("unit", "Envois unitaires", "Unit SMS",
                        _f("smsc_unitallowtypechoice"), _f("smsc_unitdefaultsmstype"),
                        _f("smsc_unitallowsenderchoice"), _f("smsc_unitdefaultsender")),
               _section("campaigns", "Campagnes SMS", "SMS campaigns",
                        _f("smsc_campaignallowtypechoice"), _f("smsc_campaigndefaultsmstype"),
                        _f("smsc_campaignallowsenderchoice"), _f("smsc_campaigndefaultsender"),
                        _f("smsc_campaignduration"), _f("smsc_warnthreshold"), _f("smsc_testnumbers")),
               _section("stop", "Mention STOP et désinscriptions", "STOP mention and opt-outs",
                        _f("smsc_stoptext"), _f("smsc_appendstop"), _f("smsc_stopseparator"),
                        _f("smsc_excludeoptouts"),
                        _f("smsc_stopkeywords"), _f("smsc_startkeywords"), _f("smsc_consecutivefailures"),
                        _f("smsc_consentcolumn")),
               _section("quiet", "Heures de silence", "Quiet hours",
                        _f("smsc_quiethoursstart"), _f("smsc_quiethoursend"), _f("smsc_quietsundays"),
                        _f("smsc_quietholidays")),
               _section("replies", "Réponses", "Replies", _f("smsc_repliesallowed"), _f("smsc_replywindow"),
                        _f("smsc_unknownreplycreateslead")),
               _section("limits", "Numéros, texte et crédit", "Numbers, text and credit",
                        _f("smsc_name"), _f("smsc_defaultcountry"), _f("smsc_overseasprefix"),
                        _f("smsc_maxtextlength"), _f("smsc_cheapertext"), _f("smsc_quotasenabled"),
                        _f("smsc_lowcreditthreshold"))),),
)

QUOTA_FORM = Form(
    "smsc_quota", Label("Quota SMS", "SMS quota"),
    tabs=(_tab("general", "Quota", "Quota",
               _section("quota", "Quota", "Quota", _f("smsc_name"), _f("smsc_userid"), _f("smsc_mode"),
                        _f("smsc_enforcement"), _f("smsc_persendsms"), _f("smsc_persendrecipients"),
                        _f("smsc_permonthsms"), _f("smsc_permonthrecipients"))),),
)

OPT_OUT_FORM = Form(
    "smsc_optout", Label("Désinscription SMS", "SMS opt-out"),
    tabs=(_tab("general", "Désinscription", "Opt-out",
               _section("optout", "Désinscription", "Opt-out",
                        _f("smsc_phonenumber"), _f("smsc_reason"), _f("smsc_active"))),),
)

PROVIDER_EVENT_FORM = Form(
    "smsc_providerevent", Label("Événement fournisseur", "Provider event"),
    tabs=(_tab("general", "Événement", "Event",
               _section("event", "Événement reçu", "Event received",
                        *(_f(c, read_only=True) for c in (
                            "smsc_name", "smsc_kind", "smsc_ticket", "smsc_phonenumber", "smsc_providerstatus",
                            "smsc_text", "smsc_receivedon", "smsc_processedon", "smsc_textmessageid",
                            "smsc_body")))),),
)

SEND_LEDGER_FORM = Form(
    "smsc_sendledger", Label("Registre d'envoi", "Send ledger entry"),
    tabs=(_tab("general", "Requête d'envoi", "Send request",
               _section("request", "Requête", "Request",
                        *(_f(c, read_only=True) for c in (
                            "smsc_name", "smsc_campaignid", "smsc_part", "smsc_window", "smsc_requestid",
                            "smsc_ticket", "smsc_recipients", "smsc_state", "smsc_leaseowner",
                            "smsc_leaseexpires")))),),
)

WORKFLOW_FORM = Form(
    "smsc_workflow", Label("Workflow SMS", "SMS workflow"),
    tabs=(_tab("general", "Workflow SMS", "SMS workflow",
               _section("workflow", "Workflow", "Workflow",
                        _f("smsc_name"), _f("smsc_entity"), _f("smsc_active"), _f("smsc_definition")),
               _section("editor", "Éditeur", "Editor",
                        WebResourceControl("WebResource_workflow_editor", WORKFLOW_EDITOR,
                                           Label("Éditeur de workflow", "Workflow editor"), rows=24))),),
)

CAMPAIGN_FORM = Form(
    "campaign", Label("Campagne", "Campaign"),
    tabs=(_tab("smsc_sms", "SMS", "SMS",
               _section("smsc_settings", "Paramètres de la campagne SMS", "SMS campaign settings",
                        _f("smsc_recipienttype"), _f("smsc_templateid"), _f("smsc_text"), _f("smsc_cheapertext"),
                        _f("smsc_smstype"), _f("smsc_sender")),
               _section("smsc_launch", "Simulation et lancement de la campagne", "Campaign simulation and launch",
                        WebResourceControl("WebResource_campaign_panel", CAMPAIGN_PANEL,
                                           Label("Simulation et lancement de la campagne",
                                                 "Campaign simulation and launch"), rows=12),
                        _f("smsc_smsstatus", read_only=True), _f("smsc_lastresult", read_only=True),
                        _f("smsc_providerticket", read_only=True)),
               _section("smsc_progress", "Avancement et statistiques", "Progress and statistics",
                        *(_f(c, read_only=True) for c in (
                            "smsc_partstotal", "smsc_partsdone", "smsc_partsfailed", "smsc_deliveryrate",
                            "smsc_replyrate", "smsc_closedon")))),),
)

FORMS = (TEXT_MESSAGE_FORM, TEMPLATE_FORM, CONFIGURATION_FORM, QUOTA_FORM, OPT_OUT_FORM, PROVIDER_EVENT_FORM,
         SEND_LEDGER_FORM, WORKFLOW_FORM, CAMPAIGN_FORM)


# -- views ---------------------------------------------------------------------------------------------------

def _eq(column: str, value: int | str) -> str:
    return f'<filter type="and"><condition attribute="{column}" operator="eq" value="{value}" /></filter>'


_ACTIVE = _eq("statecode", 0)
# The SMS that left (Sent, Delivered, Undeliverable): what the statistics count as sent (connector.statistics).
_SENT = ('<filter type="and"><condition attribute="smsc_status" operator="in"><value>5</value><value>6</value>'
         '<value>7</value></condition></filter>')
VIEWS = (
    View("smsc_textmessage", Label("SMS", "SMS"),
         (("subject", 200), ("smsc_phonenumber", 130), ("smsc_status", 120), ("smsc_direction", 90),
          ("regardingobjectid", 160), ("scheduledend", 140), ("actualend", 140), ("smsc_cost", 80)),
         order=("createdon", True), is_default=True),
    View("smsc_textmessage", Label("SMS en échec", "Failed SMS"),
         (("subject", 200), ("smsc_phonenumber", 130), ("smsc_status", 120), ("smsc_error", 300),
          ("regardingobjectid", 160)),
         filter_xml='<filter type="or"><condition attribute="smsc_status" operator="eq" value="7" />'
                    '<condition attribute="smsc_status" operator="eq" value="8" /></filter>'),
    View("smsc_textmessage", Label("Réponses reçues", "Replies received"),
         (("subject", 200), ("smsc_phonenumber", 130), ("description", 300), ("regardingobjectid", 160),
          ("createdon", 140)),
         filter_xml=_eq("smsc_direction", 2)),
    View("smsc_textmessage", Label("SMS envoyés", "Sent SMS"),
         (("subject", 200), ("smsc_phonenumber", 130), ("smsc_status", 120), ("smsc_segments", 80),
          ("smsc_templateid", 160), ("smsc_campaignid", 160), ("ownerid", 140), ("createdon", 140)),
         filter_xml=_SENT),
    View("smsc_smstemplate", Label("Modèles de SMS actifs", "Active SMS templates"),
         (("smsc_name", 200), ("smsc_templatestatus", 120), ("smsc_entity", 120), ("smsc_text", 300)),
         filter_xml=_ACTIVE, order=("smsc_name", False), is_default=True),
    View("smsc_configuration", Label("Configurations SMS", "SMS configurations"),
         (("smsc_name", 200), ("smsc_stoptext", 150), ("smsc_defaultcountry", 80), ("modifiedon", 140)),
         filter_xml=_ACTIVE, is_default=True),
    View("smsc_quota", Label("Quotas SMS actifs", "Active SMS quotas"),
         (("smsc_name", 200), ("smsc_userid", 160), ("smsc_mode", 100), ("smsc_permonthsms", 100),
          ("smsc_enforcement", 100)),
         filter_xml=_ACTIVE, order=("smsc_name", False), is_default=True),
    View("smsc_optout", Label("Désinscriptions SMS actives", "Active SMS opt-outs"),
         (("smsc_phonenumber", 160), ("smsc_reason", 120), ("smsc_active", 80), ("createdon", 140)),
         filter_xml=_eq("smsc_active", 1), is_default=True),
    View("smsc_providerevent", Label("Événements fournisseur", "Provider events"),
         (("smsc_name", 200), ("smsc_kind", 110), ("smsc_ticket", 140), ("smsc_phonenumber", 130),
          ("smsc_receivedon", 140), ("smsc_processedon", 140)),
         order=("smsc_receivedon", True), is_default=True),
    View("smsc_providerevent", PROVIDER_HISTORY_VIEW,
         (("smsc_receivedon", 140), ("smsc_kind", 110), ("smsc_providerstatus", 130), ("smsc_phonenumber", 130),
          ("smsc_text", 200), ("smsc_ticket", 140), ("smsc_processedon", 140)),
         order=("smsc_receivedon", False)),
    View("smsc_sendledger", Label("Registre d'envoi", "Send ledger"),
         (("smsc_name", 200), ("smsc_campaignid", 160), ("smsc_part", 60), ("smsc_state", 100),
          ("smsc_ticket", 140), ("smsc_recipients", 90)),
         is_default=True),
    View("smsc_workflow", Label("Workflows SMS", "SMS workflows"),
         (("smsc_name", 250), ("smsc_entity", 120), ("smsc_active", 80), ("modifiedon", 140)),
         filter_xml=_ACTIVE, order=("smsc_name", False), is_default=True),
)


# -- charts and the dashboard « SMS » (issue 13: what managers look at without leaving Dynamics) ---------------
SENT_VIEW, REPLIES_VIEW = Label("SMS envoyés", "Sent SMS"), Label("Réponses reçues", "Replies received")
SMS_PER_MONTH = Chart("smsc_textmessage", Label("SMS envoyés par mois", "SMS sent per month"),
                      category="createdon", date_grouping="month", measure="smsc_segments", aggregate="sum",
                      filter_xml=_SENT, view=SENT_VIEW)
# Delivered among the SMS that left: the pie's Delivered share is the delivery rate.
DELIVERY_BY_STATUS = Chart("smsc_textmessage", Label("Taux de réception (par statut)", "Delivery rate (by status)"),
                           category="smsc_status", measure="activityid", aggregate="count", chart_type="Pie",
                           filter_xml=_SENT, view=SENT_VIEW)
REPLIES_PER_MONTH = Chart("smsc_textmessage", Label("Réponses par mois", "Replies per month"),
                          category="createdon", date_grouping="month", measure="activityid", aggregate="count",
                          filter_xml=_eq("smsc_direction", 2), view=REPLIES_VIEW)
TOP_TEMPLATES = Chart("smsc_textmessage", Label("Modèles les plus utilisés", "Most used templates"),
                      category="smsc_templateid", measure="activityid", aggregate="count", chart_type="Bar",
                      filter_xml=_SENT, top=10, view=SENT_VIEW)
CHARTS = (SMS_PER_MONTH, DELIVERY_BY_STATUS, REPLIES_PER_MONTH, TOP_TEMPLATES)
SMS_DASHBOARD = Dashboard(Label("SMS", "SMS"), CHARTS)
DASHBOARDS = (SMS_DASHBOARD,)


# -- command buttons -------------------------------------------------------------------------------------

_GRID_PARAMETERS = ("SelectedControlSelectedItemIds", "PrimaryEntityTypeName")
COMMANDS = (
    CommandButton("smsc.smsc_textmessage.Send", "smsc_textmessage", CommandLocation.FORM,
                  Label("Envoyer", "Send"), TEXT_MESSAGE_JS, "Smsc.TextMessageForm.send", ("PrimaryControl",),
                  dependencies=SHARED_LIBRARIES),
    CommandButton("smsc.smsc_textmessage.ApplyTemplate", "smsc_textmessage", CommandLocation.FORM,
                  Label("Appliquer le modèle", "Apply template"), TEXT_MESSAGE_JS,
                  "Smsc.TextMessageForm.applyTemplate", ("PrimaryControl",), sequence=20,
                  dependencies=SHARED_LIBRARIES),
    CommandButton("smsc.smsc_textmessage.Preview", "smsc_textmessage", CommandLocation.FORM,
                  Label("Aperçu", "Preview"), TEXT_MESSAGE_JS, "Smsc.TextMessageForm.preview", ("PrimaryControl",),
                  sequence=30, dependencies=SHARED_LIBRARIES),
    # A scheduled SMS is held by the connector until it leaves: the user may cancel it until then.
    CommandButton("smsc.smsc_textmessage.CancelSend", "smsc_textmessage", CommandLocation.FORM,
                  Label("Annuler l'envoi", "Cancel sending"), TEXT_MESSAGE_JS, "Smsc.TextMessageForm.cancelSend",
                  ("PrimaryControl",), sequence=40, dependencies=SHARED_LIBRARIES),
    *(CommandButton(f"smsc.{table}.BulkSms", table, CommandLocation.HOME_GRID, Label("SMS", "SMS"), GRID_SMS_JS,
                    "Smsc.BulkSms.open", _GRID_PARAMETERS, needs_selection=True, dependencies=SHARED_LIBRARIES)
      for table in ("contact", "lead", "account")),
)


# -- the model-driven app « SMS » --------------------------------------------------------------------------

SMS_APP = ModelDrivenApp(
    unique_name="smsc_SmsConnector",
    display=Label("SMS", "SMS"),
    description=Label("SMS unitaires, conversations, campagnes SMS, désinscriptions et workflows SMS.",
                      "Unit SMS, conversations, SMS campaigns, opt-outs and SMS workflows."),
    area=Label("SMS", "SMS"),
    groups=(
        SiteMapGroup("smsc_messages", Label("Messages", "Messages"), ("smsc_textmessage", "smsc_smstemplate")),
        SiteMapGroup("smsc_marketing", Label("Campagnes", "Campaigns"), ("campaign", "smsc_optout")),
        SiteMapGroup("smsc_customers", Label("Clients", "Customers"), ("contact", "lead", "account")),
        SiteMapGroup("smsc_administration", Label("Administration", "Administration"),
                     ("smsc_providerevent", "smsc_workflow", "smsc_configuration", "smsc_quota")),
    ),
    roles=tuple(role.name.en for role in ROLES),
    dashboards=DASHBOARDS,
)
APPS = (SMS_APP,)


# -- webhook ---------------------------------------------------------------------------------------------

ENDPOINT = ServiceEndpoint(
    name="SMS Connector", path="/api/dataverse/events", auth_header="x-smsc-webhook-key",
    key_setting="SMSC_WEBHOOK_KEY",
    steps=(
        Step("SMS Connector: smsc_textmessage Create", "smsc_textmessage", "Create"),
        # The pre-image tells a cancel that replaced Scheduled (it stands) from one that came after the
        # release took the SMS (refused, the status written back): connector.unit_cancel.
        Step("SMS Connector: smsc_textmessage Update (smsc_status)", "smsc_textmessage", "Update",
             filtering_columns=("smsc_status",), pre_image_columns=("smsc_status",)),
        Step("SMS Connector: campaign Update (smsc_action)", "campaign", "Update", filtering_columns=("smsc_action",)),
    ),
    include_workflow_steps=True,
)

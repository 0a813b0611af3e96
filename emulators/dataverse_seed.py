"""Demo data of the Dataverse emulator: users, the product guide's contacts, templates, configuration,
its campaigns with their marketing lists, and the records hook workflows fire on (dataverse_seed_hooks).

Every id is a module constant so tests and the demo can refer to rows directly. Seeding is
idempotent: a row already present (a second emulator on the same SQLite file) is left alone.
`seed_bulk_campaign` (dataverse_seed_bulk) builds benchmark-sized campaigns.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from . import dataverse_seed_bulk
from .dataverse_schema import BY_SET
from .dataverse_seed_hooks import (  # noqa: F401  (ids re-exported for tests and the demo)
    CASE_CONTOSO_ID, CASE_SMITH_ID, INACTIVE_DAYS, INVOICE_CONTOSO_ID,
    ORDER_CONTOSO_ID, ORDER_FABRIKAM_ID, ORDER_SMITH_ID, QUOTE_SMITH_ID, backdate, hook_rows,
)

ORGANIZATION_ID = "0e6a0000-0000-4000-8000-000000000001"
BUSINESS_UNIT_ID = "b0000000-0000-4000-8000-000000000001"

APP_USER_ID = "5e1f0000-0000-4000-8000-000000000001"        # the connector's application user
APP_USER_AAD = "aad00000-0000-4000-8000-000000000001"
CLAIRE_MARTIN_ID = "5e1f0000-0000-4000-8000-000000000002"   # French user (1036)
CLAIRE_MARTIN_AAD = "aad00000-0000-4000-8000-000000000002"
JOHN_BAKER_ID = "5e1f0000-0000-4000-8000-000000000003"      # English user (1033)
JOHN_BAKER_AAD = "aad00000-0000-4000-8000-000000000003"
PAUL_LECTEUR_ID = "5e1f0000-0000-4000-8000-000000000004"    # French user whose only role writes no SMS
PAUL_LECTEUR_AAD = "aad00000-0000-4000-8000-000000000004"
# Security roles (dataverse_privileges): John Baker administers, Claire Martin sends, Paul Lecteur only reads.
ROLE_ADMINISTRATOR_ID = "7013e000-0000-4000-8000-000000000001"   # System Administrator
ROLE_SMS_USER_ID = "7013e000-0000-4000-8000-000000000002"        # SMS Connector User
ROLE_BASIC_USER_ID = "7013e000-0000-4000-8000-000000000003"      # Basic User

DAVID_SMITH_ID = "c0000000-0000-4000-8000-000000000001"
JOHN_DOE_ID = "c0000000-0000-4000-8000-000000000002"
PETER_PARKER_ID = "c0000000-0000-4000-8000-000000000003"   # created 100 days ago, never modified
LEA_DUBOIS_ID = "c0000000-0000-4000-8000-000000000004"      # national format "06 12 34 56 78"
MARC_PETIT_ID = "c0000000-0000-4000-8000-000000000005"      # invalid mobile "12345"
JULIE_MOREAU_ID = "c0000000-0000-4000-8000-000000000006"    # no mobile
SOPHIE_LAURENT_ID = "c0000000-0000-4000-8000-000000000007"  # opted out (STOP)
ANNE_GIRARD_ID = "1ead0000-0000-4000-8000-000000000001"     # lead
CONTOSO_ID = "acc00000-0000-4000-8000-000000000001"         # primary contact David Smith
FABRIKAM_ID = "acc00000-0000-4000-8000-000000000002"        # no primary contact

TEMPLATE_ORDER_ID = "7e000000-0000-4000-8000-000000000001"     # "Confirmation de commande"
TEMPLATE_REMINDER_ID = "7e000000-0000-4000-8000-000000000002"  # "Rappel RDV"
TEMPLATE_DRAFT_ID = "7e000000-0000-4000-8000-000000000003"     # a Draft, never offered
CONFIGURATION_ID = "cf000000-0000-4000-8000-000000000001"
SOPHIE_OPTOUT_ID = "0f000000-0000-4000-8000-000000000001"

# Campaigns (product guide, "Campagnes SMS") and their marketing lists.
CAMPAIGN_ORDERS_ID = "ca000000-0000-4000-8000-000000000001"     # "Confirmation commandes": the guide's
CAMPAIGN_MIXED_ID = "ca000000-0000-4000-8000-000000000002"      # contacts: static + dynamic list
CAMPAIGN_ACCOUNTS_ID = "ca000000-0000-4000-8000-000000000003"   # accounts (primary contact's mobile)
CAMPAIGN_LEADS_ID = "ca000000-0000-4000-8000-000000000004"      # leads
LIST_MARKETING_CONTACTS_ID = "11500000-0000-4000-8000-000000000001"  # Smith, Doe, Parker (static)
LIST_MIXED_STATIC_ID = "11500000-0000-4000-8000-000000000002"    # Smith, Dubois, Petit, Laurent, Moreau
LIST_MIXED_DYNAMIC_ID = "11500000-0000-4000-8000-000000000003"   # FetchXML: lastname in (Smith, Doe)
LIST_ACCOUNTS_ID = "11500000-0000-4000-8000-000000000004"        # Contoso, Fabrikam (static)
LIST_LEADS_ID = "11500000-0000-4000-8000-000000000005"           # Anne Girard (static)

ORDER_TEXT = "Bonjour Mr {{ lastname }}, votre commande a bien été enregistrée."
ORDER_CAMPAIGN_TEXT = "Bonjour Mr [lastname], votre commande a bien été enregistrée."
DYNAMIC_LIST_QUERY = ('<fetch version="1.0" output-format="xml-platform" mapping="logical" distinct="false">'
                      '<entity name="contact"><attribute name="fullname" /><attribute name="contactid" />'
                      '<order attribute="fullname" descending="false" /><filter type="and">'
                      '<condition attribute="lastname" operator="in"><value>Smith</value><value>Doe</value>'
                      '</condition></filter></entity></fetch>')
REMINDER_TEXT = ('Bonjour {{ firstname | default("client") }}, nous vous rappelons votre rendez-vous '
                 'avec {{ parentcustomerid.name }} demain.')


def _user(user_id, aad, first, last, domain, language, dates, times, zone, **extra):
    user = {"systemuserid": user_id, "firstname": first, "lastname": last,
            "fullname": f"{first} {last}".strip(), "azureactivedirectoryobjectid": aad,
            "domainname": domain, "internalemailaddress": domain, "isdisabled": False, **extra}
    settings = {"systemuserid": user_id, "uilanguageid": language, "localeid": language,
                "dateformatstring": dates, "timeformatstring": times, "timezonecode": zone}
    return [("systemusers", user), ("usersettingscollection", settings)]


def _contact(contact_id, first, last, mobile, **extra):
    return ("contacts", {"contactid": contact_id, "firstname": first, "lastname": last,
                         "mobilephone": mobile, **extra})


def _campaign(campaign_id, name, recipients, text):
    return ("campaigns", {"campaignid": campaign_id, "name": name, "smsc_recipienttype": recipients,
                          "smsc_text": text, "smsc_smstype": 1, "smsc_smsstatus": 1})


def _list(list_id, name, code, query=None, members=0):
    return ("lists", {"listid": list_id, "listname": name, "createdfromcode": code, "type": query is not None,
                      "query": query, "membercount": members})


def _template(template_id, name, text, status):
    return ("smsc_smstemplates", {"smsc_smstemplateid": template_id, "smsc_name": name,
                                  "smsc_entity": "contact", "smsc_text": text,
                                  "smsc_templatestatus": status})


ROWS = [
    *_user(APP_USER_ID, APP_USER_AAD, "", "# SMSC Connector", "smsc-connector@contoso.example",
           1033, "M/d/yyyy", "h:mm tt", 85, applicationid="a9900000-0000-4000-8000-000000000001"),
    *_user(CLAIRE_MARTIN_ID, CLAIRE_MARTIN_AAD, "Claire", "Martin", "claire.martin@contoso.example",
           1036, "dd/MM/yyyy", "HH:mm", 105),
    *_user(JOHN_BAKER_ID, JOHN_BAKER_AAD, "John", "Baker", "john.baker@contoso.example",
           1033, "MM/dd/yyyy", "h:mm tt", 85),
    *_user(PAUL_LECTEUR_ID, PAUL_LECTEUR_AAD, "Paul", "Lecteur", "paul.lecteur@contoso.example",
           1036, "dd/MM/yyyy", "HH:mm", 105),
    ("roles", {"roleid": ROLE_ADMINISTRATOR_ID, "name": "System Administrator"}),
    ("roles", {"roleid": ROLE_SMS_USER_ID, "name": "SMS Connector User"}),
    ("roles", {"roleid": ROLE_BASIC_USER_ID, "name": "Basic User"}),
    ("organizations", {"organizationid": ORGANIZATION_ID, "name": "Contoso (emulator)",
                       "maxuploadfilesize": 5_242_880, "languagecode": 1033}),   # base language: English
    # A few rows of Dataverse's time zone catalogue (timezonecode -> Windows time zone name).
    *(("timezonedefinitions", {"timezonedefinitionid": f"7d000000-0000-4000-8000-{code:012d}",
                               "timezonecode": code, "standardname": name, "userinterfacename": label})
      for code, name, label in ((85, "GMT Standard Time", "(GMT+00:00) Dublin, Edinburgh, Lisbon, London"),
                                (105, "Romance Standard Time", "(GMT+01:00) Brussels, Copenhagen, Madrid, Paris"),
                                (4, "Pacific Standard Time", "(GMT-08:00) Pacific Time (US & Canada)"),
                                (35, "Eastern Standard Time", "(GMT-05:00) Eastern Time (US & Canada)"))),
    ("accounts", {"accountid": CONTOSO_ID, "name": "Contoso SA", "telephone1": "+33140000000"}),
    ("accounts", {"accountid": FABRIKAM_ID, "name": "Fabrikam SARL"}),
    _contact(DAVID_SMITH_ID, "David", "Smith", "+33649819006",
             **{"parentcustomerid_account@odata.bind": f"/accounts({CONTOSO_ID})"}),
    _contact(JOHN_DOE_ID, "John", "Doe", "+33600000002"),
    _contact(PETER_PARKER_ID, "Peter", "Parker", "+33600000001"),
    _contact(LEA_DUBOIS_ID, "Léa", "Dubois", "06 12 34 56 78",
             **{"parentcustomerid_account@odata.bind": f"/accounts({FABRIKAM_ID})"}),
    _contact(MARC_PETIT_ID, "Marc", "Petit", "12345"),
    _contact(JULIE_MOREAU_ID, "Julie", "Moreau", None, emailaddress1="julie.moreau@example.com"),
    _contact(SOPHIE_LAURENT_ID, "Sophie", "Laurent", "+33611111111"),
    ("leads", {"leadid": ANNE_GIRARD_ID, "firstname": "Anne", "lastname": "Girard",
               "companyname": "Girard Conseil", "mobilephone": "+33622222222"}),
    ("smsc_optouts", {"smsc_optoutid": SOPHIE_OPTOUT_ID, "smsc_phonenumber": "+33611111111",
                      "smsc_reason": 1, "smsc_active": True}),
    _template(TEMPLATE_ORDER_ID, "Confirmation de commande", ORDER_TEXT, 2),
    _template(TEMPLATE_REMINDER_ID, "Rappel RDV", REMINDER_TEXT, 2),
    _template(TEMPLATE_DRAFT_ID, "Promotion de printemps (brouillon)",
              "Bonjour {{ firstname }}, -20% ce week-end ! STOP au 30101", 1),
    ("smsc_configurations", {
        "smsc_configurationid": CONFIGURATION_ID, "smsc_name": "Configuration",
        "smsc_unitallowtypechoice": True, "smsc_unitdefaultsmstype": 2,
        "smsc_unitallowsenderchoice": True, "smsc_unitdefaultsender": "SMSC",
        "smsc_campaignallowtypechoice": True, "smsc_campaigndefaultsmstype": 1,
        "smsc_campaignallowsenderchoice": True, "smsc_campaigndefaultsender": "SMSC",
        "smsc_stoptext": "STOP au 30101", "smsc_appendstop": False, "smsc_excludeoptouts": True,
        "smsc_defaultcountry": "FR", "smsc_warnthreshold": 100, "smsc_quotasenabled": False,
        "smsc_campaignduration": 72, "smsc_quiethoursstart": None, "smsc_quiethoursend": None}),
]
CAMPAIGN_ROWS = [
    _campaign(CAMPAIGN_ORDERS_ID, "Confirmation commandes", 2, ORDER_CAMPAIGN_TEXT),
    _campaign(CAMPAIGN_MIXED_ID, "Campagne mixte", 2,
              "Bonjour [firstname], -10% ce week-end avec le code PRINTEMPS. STOP au 30101"),
    _campaign(CAMPAIGN_ACCOUNTS_ID, "Campagne comptes", 1,
              "Bonjour, votre espace client [name] est ouvert. STOP au 30101"),
    _campaign(CAMPAIGN_LEADS_ID, "Campagne prospects", 4,
              "Bonjour [firstname], merci de votre intérêt pour nos offres. STOP au 30101"),
    _list(LIST_MARKETING_CONTACTS_ID, "Liste marketing contacts", 2),
    _list(LIST_MIXED_STATIC_ID, "Contacts salon 2024", 2),
    _list(LIST_MIXED_DYNAMIC_ID, "Contacts Smith et Doe", 2, DYNAMIC_LIST_QUERY, members=2),
    _list(LIST_ACCOUNTS_ID, "Comptes clés", 1),
    _list(LIST_LEADS_ID, "Prospects printemps", 4),
]
ROWS += CAMPAIGN_ROWS
ROWS += hook_rows(CONTOSO_ID, DAVID_SMITH_ID, FABRIKAM_ID)
# (entity set, id, days ago): rows created that long ago and never modified since.
BACKDATED = [("contacts", PETER_PARKER_ID, INACTIVE_DAYS)]
# Set once both sides exist (account -> contact -> account).
LINKS = [("accounts", CONTOSO_ID, {"primarycontactid@odata.bind": f"/contacts({DAVID_SMITH_ID})"})]
# N:N links, made when their first row is created: (set, id, navigation, target set, target ids).
ASSOCIATIONS = [
    ("roles", ROLE_ADMINISTRATOR_ID, "systemuserroles_association", "systemusers", [JOHN_BAKER_ID]),
    ("roles", ROLE_SMS_USER_ID, "systemuserroles_association", "systemusers", [CLAIRE_MARTIN_ID]),
    ("roles", ROLE_BASIC_USER_ID, "systemuserroles_association", "systemusers", [PAUL_LECTEUR_ID]),
    ("campaigns", CAMPAIGN_ORDERS_ID, "campaignlist_association", "lists", [LIST_MARKETING_CONTACTS_ID]),
    ("campaigns", CAMPAIGN_MIXED_ID, "campaignlist_association", "lists",
     [LIST_MIXED_STATIC_ID, LIST_MIXED_DYNAMIC_ID]),
    ("campaigns", CAMPAIGN_ACCOUNTS_ID, "campaignlist_association", "lists", [LIST_ACCOUNTS_ID]),
    ("campaigns", CAMPAIGN_LEADS_ID, "campaignlist_association", "lists", [LIST_LEADS_ID]),
    ("lists", LIST_MARKETING_CONTACTS_ID, "listcontact_association", "contacts",
     [DAVID_SMITH_ID, JOHN_DOE_ID, PETER_PARKER_ID]),
    ("lists", LIST_MIXED_STATIC_ID, "listcontact_association", "contacts",
     [DAVID_SMITH_ID, LEA_DUBOIS_ID, MARC_PETIT_ID, SOPHIE_LAURENT_ID, JULIE_MOREAU_ID]),
    ("lists", LIST_ACCOUNTS_ID, "listaccount_association", "accounts", [CONTOSO_ID, FABRIKAM_ID]),
    ("lists", LIST_LEADS_ID, "listlead_association", "leads", [ANNE_GIRARD_ID]),
]


def seed(emulator) -> None:
    """Insert the demo rows that are missing (idempotent)."""
    created = set()
    for entity_set, body in ROWS:
        row_id = body[BY_SET[entity_set].primary_id]
        if emulator.store.get(entity_set, row_id) is None:
            emulator.insert(entity_set, body)
            created.add(row_id)
    for entity_set, row_id, body in LINKS:
        if row_id in created:
            emulator.update(entity_set, row_id, body)
    for entity_set, row_id, nav, target_set, targets in ASSOCIATIONS:
        if row_id in created:
            for target in targets:
                emulator.associate(entity_set, row_id, nav, target_set, target)
    for entity_set, row_id, days in BACKDATED:
        if row_id in created:
            backdate(emulator, entity_set, row_id, datetime.now(timezone.utc) - timedelta(days=days))


def seed_bulk_campaign(emulator, n: int, *, dynamic: bool = False) -> str:
    """A benchmark-sized campaign of `n` new contacts owned by the connector's application user."""
    return dataverse_seed_bulk.seed_bulk_campaign(emulator, n, owner_id=APP_USER_ID, dynamic=dynamic)


# --- what every organisation has, bare or not -------------------------------------------------------
DEFAULT_PUBLISHER_ID = "d0b00000-0000-4000-8000-000000000001"
DEFAULT_SOLUTION_ID = "d0500000-0000-4000-8000-000000000001"
PLATFORM_SETS = ("systemusers", "usersettingscollection", "organizations", "timezonedefinitions")
PLATFORM_ROWS = [
    ("publishers", {"publisherid": DEFAULT_PUBLISHER_ID, "uniquename": "DefaultPublishercontoso",
                    "friendlyname": "Default Publisher for contoso", "customizationprefix": "new",
                    "customizationoptionvalueprefix": 10000}),
    ("solutions", {"solutionid": DEFAULT_SOLUTION_ID, "uniquename": "Default", "friendlyname": "Default Solution",
                   "version": "1.0", "ismanaged": False,
                   "publisherid@odata.bind": f"/publishers({DEFAULT_PUBLISHER_ID})"}),
]


def seed_platform(emulator, customizer, *, demo: bool) -> None:
    """The rows of a fresh organisation: its users and settings (bare mode; the demo seed has them),
    the default publisher and solution, and the SDK messages with a filter for every table."""
    rows = PLATFORM_ROWS + ([] if demo else [r for r in ROWS if r[0] in PLATFORM_SETS])
    with emulator.store.transaction():          # one commit for the few hundred rows
        for entity_set, body in rows:
            if emulator.store.get(entity_set, body[BY_SET[entity_set].primary_id]) is None:
                emulator.insert(entity_set, body)
        customizer.add_messages(APP_USER_ID)
        customizer.add_filters(sorted(emulator.schema), APP_USER_ID)

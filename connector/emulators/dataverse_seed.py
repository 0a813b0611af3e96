"""Demo data of the Dataverse emulator: users, the product guide's contacts, templates, configuration.

Every id is a module constant so tests and the demo can refer to rows directly. Seeding is
idempotent: a row already present (a second emulator on the same SQLite file) is left alone.
"""
from __future__ import annotations

from .dataverse_schema import BY_SET

ORGANIZATION_ID = "0e6a0000-0000-4000-8000-000000000001"
BUSINESS_UNIT_ID = "b0000000-0000-4000-8000-000000000001"

APP_USER_ID = "5e1f0000-0000-4000-8000-000000000001"        # the connector's application user
APP_USER_AAD = "aad00000-0000-4000-8000-000000000001"
CLAIRE_MARTIN_ID = "5e1f0000-0000-4000-8000-000000000002"   # French user (1036)
CLAIRE_MARTIN_AAD = "aad00000-0000-4000-8000-000000000002"
JOHN_BAKER_ID = "5e1f0000-0000-4000-8000-000000000003"      # English user (1033)
JOHN_BAKER_AAD = "aad00000-0000-4000-8000-000000000003"

DAVID_SMITH_ID = "c0000000-0000-4000-8000-000000000001"
JOHN_DOE_ID = "c0000000-0000-4000-8000-000000000002"
PETER_PARKER_ID = "c0000000-0000-4000-8000-000000000003"
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

ORDER_TEXT = "Bonjour Mr {{ lastname }}, votre commande a bien été enregistrée."
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
    ("organizations", {"organizationid": ORGANIZATION_ID, "name": "Contoso (emulator)",
                       "maxuploadfilesize": 5_242_880}),
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
        "smsc_campaignduration": 72, "smsc_quiethoursstart": 20, "smsc_quiethoursend": 8}),
]
# Set once both sides exist (account -> contact -> account).
LINKS = [("accounts", CONTOSO_ID, {"primarycontactid@odata.bind": f"/contacts({DAVID_SMITH_ID})"})]


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

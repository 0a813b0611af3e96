"""The rows the installer creates once: the configuration row with the guide's defaults, sample
templates from the guide, and the eight hook workflows of workflows/builtin/ as inactive drafts
(`workflow_drafts()`, read from the files so the seed follows them)."""
from __future__ import annotations

from pathlib import Path

from connector.configuration import Configuration
from solution.model import SeedRow
from solution.tables import SMS_TYPE, TEMPLATE_STATUS

CONFIGURATION_NAME = "Configuration"
_DEFAULTS = Configuration()
CONFIGURATION_DEFAULTS: dict[str, object] = {
    "smsc_name": CONFIGURATION_NAME,
    "smsc_unitallowtypechoice": True,
    "smsc_unitdefaultsmstype": SMS_TYPE.value_of("Transactional"),
    "smsc_unitallowsenderchoice": True,
    "smsc_campaignallowtypechoice": True,
    "smsc_campaigndefaultsmstype": SMS_TYPE.value_of("Marketing"),
    "smsc_campaignallowsenderchoice": True,
    "smsc_stoptext": "STOP au 30101",
    "smsc_appendstop": False,
    "smsc_stopseparator": 1,                # a line break, as the guide shows
    "smsc_excludeoptouts": True,
    "smsc_defaultcountry": "FR",
    "smsc_quotasenabled": False,
    "smsc_campaignduration": 72,
    "smsc_quiethoursstart": 20,             # marketing SMS wait from 20:00 to 08:00 (French rules)
    "smsc_quiethoursend": 8,
    "smsc_quietsundays": True,
    "smsc_quietholidays": True,
    "smsc_repliesallowed": True,
    "smsc_replywindow": 48,
    "smsc_stopkeywords": ",".join(_DEFAULTS.stop_keywords),
    "smsc_startkeywords": ",".join(_DEFAULTS.start_keywords),
    "smsc_consecutivefailures": _DEFAULTS.undeliverable_after,
    "smsc_unknownreplycreateslead": False,
    "smsc_maxtextlength": 1224,             # connector.sms.port.LONGEST_TEXT
    "smsc_cheapertext": False,
    "smsc_overseasprefix": "00",
}

_PUBLISHED = TEMPLATE_STATUS.value_of("Published")
_TEMPLATES = (
    # The guide's example ("Modèles de SMS"), its [lastname] written as the connector's merge field.
    ("Confirmation de commande", "contact", "Bonjour {{ lastname }}, votre commande a bien été enregistrée."),
    ("Inscription confirmée", "contact", "Bonjour {{ firstname | default(\"\") }}, votre inscription est confirmée."),
    ("Relance d'un contact inactif", "contact",
     "Nous constatons que vous ne nous avez pas rendu visite depuis longtemps. Vous nous manquez !"),
    ("Bienvenue (prospect)", "lead", "Bonjour {{ firstname | default(\"\") }}, merci de votre intérêt. "
                                     "Un conseiller vous contactera rapidement."),
)

SEED: tuple[SeedRow, ...] = (
    SeedRow("smsc_configuration", CONFIGURATION_DEFAULTS, match=()),       # () = created only when the table is empty
    *(SeedRow("smsc_smstemplate", {"smsc_name": name, "smsc_entity": table, "smsc_text": text,
                                   "smsc_templatestatus": _PUBLISHED}, match=("smsc_name",))
      for name, table, text in _TEMPLATES),
)


def workflow_drafts(directory: Path | None = None) -> tuple[SeedRow, ...]:
    """One inactive `smsc_workflow` row per shipped definition (matched on its name): the YAML text as
    written, whatever its own `active` says, so an admin reviews and activates each one."""
    from workflows.definition import BUILTIN_DIR, load_definition

    rows = []
    for path in sorted((directory or BUILTIN_DIR).glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        definition = load_definition(text)
        rows.append(SeedRow("smsc_workflow", {"smsc_name": definition.name, "smsc_entity": definition.entity,
                                              "smsc_definition": text, "smsc_active": False},
                            match=("smsc_name",)))
    return tuple(rows)

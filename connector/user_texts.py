"""What a unit or hook SMS tells its user when it cannot go, in French or English (the user's
`uilanguageid`). Refusals carry a key and values; the text is chosen when it is written."""
from __future__ import annotations

import re

TEXTS = {
    "fr": {
        "no_recipient": "Le SMS n'a pas de destinataire : renseignez « À » ou « Concernant ».",
        "not_a_recipient": "Un SMS s'envoie à un contact, un prospect ou un compte, pas à : {table}.",
        "unknown_field": "Le modèle utilise un champ que la table {table} n'a pas : {detail}",
        "no_primary_contact": "Le compte « {name} » n'a pas de contact principal à qui envoyer le SMS.",
        "no_number": "Le destinataire n'a pas de numéro de mobile.",
        "invalid_number": "Numéro invalide « {raw} » : {reason}.",
        "bad_sender": "Émetteur « {sender} » invalide : 3 à 11 lettres ou chiffres, dont au moins une lettre.",
        "stop_missing": "Un SMS marketing vers un numéro français doit contenir la mention « {stop} ».",
        "empty": "Le texte du SMS est vide.",
        "too_long": "Le texte du SMS compte {length} caractères ; la limite est {limit}.",
        "opted_out": "Le {number} est inscrit en liste d'opposition (STOP).",
        "template_unpublished": "Le modèle de SMS « {name} » n'est pas publié.",
        "template_other_table": "Le modèle de SMS « {name} » est prévu pour la table {entity}, pas {table}.",
        "template": "Erreur dans le modèle : {detail}",
        "provider": "{provider} a refusé l'envoi : {detail}",
        "self_not_recipient": "Le destinataire « self » est un enregistrement {table} : un SMS va à un contact, "
                              "un compte ou un prospect.",
        "path_not_recipient": "Le destinataire {path} est un enregistrement {table} : un SMS va à un contact, "
                              "un compte ou un prospect.",
        "empty_lookup": "{record} n'a pas de {column} : personne à qui envoyer le SMS.",
        "no_lookup": "La table {table} n'a pas de recherche « {column} ».",
        "no_template_named": "Aucun modèle de SMS publié ne s'appelle « {name} ».",
        "unicode": "Ces caractères imposent l'Unicode (70 caractères par SMS au lieu de 160) : {chars}",
        "several_sms": "Le texte partira en {segments} SMS.",
    },
    "en": {
        "no_recipient": "The SMS has no recipient: set the 'To' party or the 'Regarding' record.",
        "not_a_recipient": "An SMS can be sent to a contact, a lead or an account, not to a {table}.",
        "unknown_field": "The template uses a field the {table} table does not have: {detail}",
        "no_primary_contact": "The account '{name}' has no primary contact to send the SMS to.",
        "no_number": "The recipient has no mobile number.",
        "invalid_number": "Invalid phone number '{raw}': {reason}.",
        "bad_sender": "Invalid sender '{sender}': 3 to 11 letters or digits, at least one letter.",
        "stop_missing": "A marketing SMS to a French number must contain the mention '{stop}'.",
        "empty": "The SMS text is empty.",
        "too_long": "The SMS text has {length} characters; the limit is {limit}.",
        "opted_out": "{number} has opted out of SMS (STOP list).",
        "template_unpublished": "The SMS template '{name}' is not published.",
        "template_other_table": "The SMS template '{name}' is for {entity} records, not {table}.",
        "template": "Template error: {detail}",
        "provider": "{provider} refused the send: {detail}",
        "self_not_recipient": "The recipient 'self' is a {table} record: an SMS goes to a contact, an account "
                              "or a lead.",
        "path_not_recipient": "The recipient {path} is a {table} record: an SMS goes to a contact, an account "
                              "or a lead.",
        "empty_lookup": "{record} has no {column} to send the SMS to.",
        "no_lookup": "The {table} table has no lookup '{column}'.",
        "no_template_named": "No published SMS template is named '{name}'.",
        "unicode": "These characters force Unicode (70 characters per SMS instead of 160): {chars}",
        "several_sms": "The text will be sent as {segments} SMS.",
    },
}

# connector.text.phone's reasons, in French.
PHONE_REASONS_FR = {
    "empty": "vide", "contains letters": "contient des lettres", "not a phone number": "pas un numéro",
    "too short": "trop court", "too long": "trop long", "wrong number of digits": "mauvais nombre de chiffres",
    "unknown country code": "indicatif pays inconnu",
}
_PATTERNS_FR = [(re.compile(r"not a valid number for (\S+) \((\+\d+)\)"), r"numéro non valide pour \1 (\2)"),
                (re.compile(r"not a mobile number \((.+)\)"), r"pas un numéro de mobile (\1)")]


def phone_reason(reason: str, lang: str) -> str:
    if lang != "fr":
        return reason
    if reason in PHONE_REASONS_FR:
        return PHONE_REASONS_FR[reason]
    for pattern, french in _PATTERNS_FR:
        if pattern.fullmatch(reason):
            return pattern.sub(french, reason)
    return reason


def language_of(locale: str | None) -> str:
    return "fr" if (locale or "").startswith("fr") else "en"


def say(lang: str, key: str, **values) -> str:
    if "reason" in values:
        values["reason"] = phone_reason(values["reason"], lang)
    return TEXTS[lang][key].format(**values)

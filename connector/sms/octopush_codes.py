"""Octopush's documented return codes (reference/octopush.md, "Errors"), as data."""
from __future__ import annotations

# Octopush return codes (v1 reuses the numbering of the return-codes page) -> message for CRM users (in logs too).
ERROR_MESSAGES: dict[int, str] = {
    100: "The request sent to Octopush had no body",
    101: "Octopush rejected the API login or API key",
    102: "The text is longer than 160 characters",
    103: "The send has no recipients",
    104: "The Octopush account is out of credit",
    105: "The Octopush account does not have enough credit (the last order is awaiting validation)",
    106: "The sender is invalid: 3 to 11 letters or digits, without accents, spaces or punctuation",
    107: "The text of the SMS is missing",
    108: "The Octopush API login is missing",
    109: "The Octopush API key is missing",
    110: "The recipient list is missing",
    111: "No recipient input method was given",
    112: "The SMS quality (type) is not set",
    113: "The Octopush account is not validated yet",
    114: "The Octopush account is under fraud investigation",
    115: "The number of recipients does not match the number of personalisation parameters",
    116: "This mailing needs a contact list",
    117: "No valid phone number: numbers must be in international format (+33...)",
    118: "The test-SMS option must be accepted in the Octopush back office first",
    119: "The text is too long for this SMS type",
    120: "A send with the same request_id was already accepted",
    121: "STOP mention (STOP au 30101) is missing from a marketing SMS to French numbers",
    122: 'The "no PUB=STOP" mention is missing (required for standard SMS)',
}

# The same for French-speaking users (their `uilanguageid`).
ERROR_MESSAGES_FR: dict[int, str] = {
    100: "La requête envoyée à Octopush n'avait pas de contenu",
    101: "Octopush a refusé l'identifiant ou la clé d'API",
    102: "Le texte dépasse 160 caractères",
    103: "L'envoi n'a pas de destinataire",
    104: "Le compte Octopush n'a plus de crédit",
    105: "Le compte Octopush n'a pas assez de crédit (la dernière commande attend sa validation)",
    106: "L'émetteur est invalide : 3 à 11 lettres ou chiffres, sans accent, espace ni ponctuation",
    107: "Le texte du SMS manque",
    108: "L'identifiant d'API Octopush manque",
    109: "La clé d'API Octopush manque",
    110: "La liste des destinataires manque",
    111: "Aucun mode de saisie des destinataires n'a été donné",
    112: "La qualité (le type) du SMS n'est pas indiquée",
    113: "Le compte Octopush n'est pas encore validé",
    114: "Le compte Octopush fait l'objet d'une enquête pour fraude",
    115: "Le nombre de destinataires ne correspond pas au nombre de paramètres de personnalisation",
    116: "Cet envoi demande une liste de contacts",
    117: "Aucun numéro valide : les numéros doivent être au format international (+33...)",
    118: "L'option SMS de test doit d'abord être acceptée dans l'interface Octopush",
    119: "Le texte est trop long pour ce type de SMS",
    120: "Un envoi avec le même request_id a déjà été accepté",
    121: "La mention STOP (STOP au 30101) manque dans un SMS marketing vers des numéros français",
    122: "La mention « no PUB=STOP » manque (obligatoire pour les SMS standard)",
}
MESSAGES = {"en": ERROR_MESSAGES, "fr": ERROR_MESSAGES_FR}

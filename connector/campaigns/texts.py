"""What campaigns tell users, in French or English by the user's language (`uilanguageid`).

The simulation and preparation reports keep the product guide's French wording in every language
(`STATUT;DETAIL;NUMERO;SMS`, `SUCCES` / `ECHEC`): partners and scripts rely on it.
"""
from __future__ import annotations

TEXTS = {
    "fr": {
        "summary": "{total} destinataires. {errors} erreurs.",
        "simulation_note": "Résumé de la simulation ({when})",
        "transmission_note": "Résumé de la transmission ({when})",
        "cancel_note": "Campagne annulée par {user} le {when}",
        "cancel_partial": "{cancelled} SMS annulés ; {kept} n'ont pas pu l'être et partiront : {reasons}",
        "sent": "{total} SMS envoyés.",
        "part": " (partie {part})",
    },
    "en": {
        "summary": "{total} recipients. {errors} errors.",
        "simulation_note": "Résumé de la simulation ({when})",
        "transmission_note": "Résumé de la transmission ({when})",
        "cancel_note": "Campaign cancelled by {user} on {when}",
        "cancel_partial": "{cancelled} SMS cancelled; {kept} could not be and will go out: {reasons}",
        "sent": "{total} SMS sent.",
        "part": " (part {part})",
    },
}

# Per-recipient details of the reports (French, as in the product guide).
DETAIL = {
    "empty": "Le message est vide.",
    "too_long": "Le message dépasse {limit} caractères ({length}).",
    "no_number": "Aucun numéro de mobile.",
    "invalid_number": "Le numéro doit être au format international (+XXXXXX ou 00XXXXX) : {raw}.",
    "stop_missing": "La mention 'STOP au XXXXX' doit être présente.",
    "opted_out": "Le destinataire s'est désinscrit (STOP).",
    "duplicate": "Doublon : ce numéro reçoit déjà le SMS.",
    "no_primary_contact": "Le compte n'a pas de contact principal.",
    "template": "Erreur de modèle : {error}",
    "sender": "Émetteur invalide : {error}",
}


def say(lang: str, key: str, **values) -> str:
    return TEXTS[lang][key].format(**values)

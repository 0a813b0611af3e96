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
        "activities_refused": "{count} activités SMS n'ont pas pu être créées.",
    },
    "en": {
        "summary": "{total} recipients. {errors} errors.",
        "simulation_note": "Résumé de la simulation ({when})",
        "transmission_note": "Résumé de la transmission ({when})",
        "cancel_note": "Campaign cancelled by {user} on {when}",
        "cancel_partial": "{cancelled} SMS cancelled; {kept} could not be and will go out: {reasons}",
        "sent": "{total} SMS sent.",
        "part": " (part {part})",
        "activities_refused": "{count} SMS activities could not be created.",
    },
}

# Why an action was refused, shown in `smsc_lastresult`.
REFUSALS = {
    "fr": {
        "no_recipient_type": "Choisissez le type de destinataires de la campagne (comptes, contacts ou prospects).",
        "no_text": "Saisissez le texte du SMS de la campagne ou choisissez un modèle de SMS publié.",
        "template": "Modèle de SMS inutilisable : {detail}",
        "not_preparable": "Seule une campagne non transmise peut être préparée (statut : {status}) ; "
                          "annulez-la d'abord.",
        "not_ready": "Préparez la campagne avant de l'envoyer (statut : {status}).",
        "not_cancellable": "Seule une campagne préparée, ou validée dont l'envoi différé n'a pas commencé, "
                           "peut être annulée (statut : {status}).",
        "busy": "La campagne a été modifiée entre-temps (un autre clic ?) : réessayez.",
        "provider_refused": "Octopush a refusé l'envoi : {detail}. Ce qui est parti ne repartira pas : "
                            "corrigez puis cliquez à nouveau sur Envoyer pour reprendre.",
    },
    "en": {
        "no_recipient_type": "Choose the campaign's recipient type (accounts, contacts or leads).",
        "no_text": "Write the campaign's SMS text or choose a published SMS template.",
        "template": "The SMS template cannot be used: {detail}",
        "not_preparable": "Only a campaign not transmitted can be prepared (status: {status}); cancel it first.",
        "not_ready": "Prepare the campaign before sending it (status: {status}).",
        "not_cancellable": "Only a prepared campaign, or a validated one whose start has not come, "
                           "can be cancelled (status: {status}).",
        "busy": "The campaign changed meanwhile (another click?): try again.",
        "provider_refused": "Octopush refused the send: {detail}. What went out will not go again: fix it "
                            "and validate again to resume.",
    },
}
STATUS_LABELS = {
    "fr": {1: "non transmise", 2: "en cours de construction", 3: "prête à l'envoi", 4: "en cours d'envoi",
           5: "envoyée"},
    "en": {1: "not transmitted", 2: "in construction", 3: "ready to send", 4: "sending", 5: "sent"},
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

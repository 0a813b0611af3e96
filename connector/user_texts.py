"""What the connector tells its users, in French or English (the user's `uilanguageid`): why a unit
or hook SMS cannot go, and the campaigns' results and refusals (keys prefixed `campaign_`).
Refusals carry a key and values; the text is chosen when it is written."""
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
        "cheaper_text": "Texte économique : {replaced} ({saved} SMS de moins par destinataire).",
        "merge_unresolved": "Les champs de fusion ne sont pas remplacés sans enregistrement : choisissez le "
                            "destinataire pour voir le texte envoyé.",
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
        "cheaper_text": "Cheaper text: {replaced} ({saved} SMS fewer per recipient).",
        "merge_unresolved": "The merge fields are not filled in without a record: choose the recipient to "
                            "see the text sent.",
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


LANGUAGES = ("fr", "en")       # what the users read; a `lang` parameter takes one of these


def language_of(locale: str | None) -> str:
    return "fr" if (locale or "").startswith("fr") else "en"


def say(lang: str, key: str, **values) -> str:
    if "reason" in values:
        values["reason"] = phone_reason(values["reason"], lang)
    return TEXTS[lang][key].format(**values)


# The `smsc campaign` command's own words (the result around them is in the same language).
TEXTS["fr"].update({
    "cli_campaign_result": "{action} : {summary} (statut : {status})", "cli_recipients": "destinataires",
    "cli_action_simulate": "simulation", "cli_action_prepare": "préparation", "cli_action_validate": "validation",
    "cli_action_cancel": "annulation", "cli_action_refresh": "actualisation", "cli_action_test": "test",
})
TEXTS["en"].update({
    "cli_campaign_result": "{action}: {summary} (status: {status})", "cli_recipients": "recipients",
    "cli_action_simulate": "simulate", "cli_action_prepare": "prepare", "cli_action_validate": "validate",
    "cli_action_cancel": "cancel", "cli_action_refresh": "refresh", "cli_action_test": "test",
})

# Campaigns (connector/campaigns): results, refusals (shown in `smsc_lastresult`) and status labels.
TEXTS["fr"].update({
    "campaign_summary": "{total} destinataires. {errors} erreurs.",
    "campaign_simulation_note": "Résumé de la simulation ({when})",
    "campaign_transmission_note": "Résumé de la transmission ({when})",
    "campaign_cancel_note": "Campagne annulée par {user} le {when}",
    "campaign_cancel_partial": "{cancelled} SMS annulés ; {kept} n'ont pas pu l'être et partiront : {reasons}",
    "campaign_sent": "{total} SMS envoyés.",
    "campaign_part": " (partie {part})",
    "campaign_activities_refused": "{count} activités SMS n'ont pas pu être créées.",
    "campaign_no_recipient_type": "Choisissez le type de destinataires de la campagne "
                                  "(comptes, contacts ou prospects).",
    "campaign_no_text": "Saisissez le texte du SMS de la campagne ou choisissez un modèle de SMS publié.",
    "campaign_template": "Modèle de SMS inutilisable : {detail}",
    "campaign_not_preparable": "Seule une campagne non transmise peut être préparée (statut : {status}) ; "
                               "annulez-la d'abord.",
    "campaign_not_ready": "Préparez la campagne avant de l'envoyer (statut : {status}).",
    "campaign_not_cancellable": "Seule une campagne préparée, ou validée dont l'envoi différé n'a pas commencé, "
                                "peut être annulée (statut : {status}).",
    "campaign_busy": "La campagne a été modifiée entre-temps (un autre clic ?) : réessayez.",
    "campaign_provider_refused": "Le fournisseur SMS a refusé l'envoi : {detail}. Ce qui est parti ne repartira pas : "
                                 "corrigez puis cliquez à nouveau sur Envoyer pour reprendre.",
    "campaign_status_1": "non transmise",
    "campaign_status_2": "en cours de construction",
    "campaign_status_3": "prête à l'envoi",
    "campaign_status_4": "en cours d'envoi",
    "campaign_status_5": "envoyée",
    "campaign_already_sent": "La campagne a déjà été envoyée : elle ne repartira pas.",
    "campaign_unknown_field": "Le texte de la campagne utilise un champ que la table {table} n'a pas : {field}.",
    "campaign_test_no_numbers": "Aucun numéro de test : donnez-en ou renseignez « Numéros de test des campagnes » "
                                "dans la configuration SMS.",
    "campaign_test_too_many": "Un test va à {limit} numéros au plus.",
    "campaign_test_nothing_staged": "La préparation n'a retenu aucun SMS à tester.",
    "campaign_test_needs_preparation": "Préparez la campagne avant de la tester (elle est {status}).",
    "campaign_test_sent": "Test envoyé à {count} numéro(s) ; la campagne n'a pas changé.",
    "campaign_test_note": "Test de la campagne ({when})",
    "campaign_test_sent_to": "Test envoyé aux {count} numéro(s) de test ({numbers}) ; la campagne n'a pas changé.",
    "campaign_test_no_configured_numbers": "Aucun numéro de test : renseignez « Numéros de test des campagnes » "
                                           "dans la configuration SMS.",
    "campaign_test_bad_number": "Numéro de test refusé : {detail}",
    "campaign_unknown_consent_column": "La colonne de consentement de la configuration SMS ({field}) n'existe pas "
                                       "dans la table {table}.",
    "campaign_prepare_failed": "La préparation a échoué : {detail}. La campagne reste non transmise : corrigez "
                               "puis préparez-la à nouveau.",
    "campaign_provider_auth": "Octopush a refusé la clé d'API (paramètres OCTOPUSH_API_LOGIN et OCTOPUSH_API_KEY)",
    "campaign_figures": "{sent} SMS envoyé{s_sent}, {delivered} délivré{s_delivered} ({delivery} %), "
                        "{replies} réponse{s_replies} ({reply} %).",
    "campaign_figures_none": "0 SMS envoyé.",
    "campaign_closed_on": "Campagne clôturée le {when}.",
})
TEXTS["en"].update({
    "campaign_summary": "{total} recipients. {errors} errors.",
    "campaign_simulation_note": "Résumé de la simulation ({when})",
    "campaign_transmission_note": "Résumé de la transmission ({when})",
    "campaign_cancel_note": "Campaign cancelled by {user} on {when}",
    "campaign_cancel_partial": "{cancelled} SMS cancelled; {kept} could not be and will go out: {reasons}",
    "campaign_sent": "{total} SMS sent.",
    "campaign_part": " (part {part})",
    "campaign_activities_refused": "{count} SMS activities could not be created.",
    "campaign_no_recipient_type": "Choose the campaign's recipient type (accounts, contacts or leads).",
    "campaign_no_text": "Write the campaign's SMS text or choose a published SMS template.",
    "campaign_template": "The SMS template cannot be used: {detail}",
    "campaign_not_preparable": "Only a campaign not transmitted can be prepared (status: {status}); cancel it first.",
    "campaign_not_ready": "Prepare the campaign before sending it (status: {status}).",
    "campaign_not_cancellable": "Only a prepared campaign, or a validated one whose start has not come, "
                                "can be cancelled (status: {status}).",
    "campaign_busy": "The campaign changed meanwhile (another click?): try again.",
    "campaign_provider_refused": "The SMS provider refused the send: {detail}. What went out will not go again: fix it "
                                 "and validate again to resume.",
    "campaign_status_1": "not transmitted",
    "campaign_status_2": "in construction",
    "campaign_status_3": "ready to send",
    "campaign_status_4": "sending",
    "campaign_status_5": "sent",
    "campaign_already_sent": "The campaign was already sent: it will not go again.",
    "campaign_unknown_field": "The campaign's text uses a field the {table} table does not have: {field}.",
    "campaign_test_no_numbers": "No test number: give some, or fill in « Campaign test numbers » in the SMS "
                                "configuration.",
    "campaign_test_too_many": "A test goes to {limit} numbers at most.",
    "campaign_test_nothing_staged": "The preparation kept no SMS to test.",
    "campaign_test_needs_preparation": "Prepare the campaign before testing it (it is {status}).",
    "campaign_test_sent": "Test sent to {count} number(s); the campaign did not change.",
    "campaign_test_note": "Campaign test ({when})",
    "campaign_test_sent_to": "Test sent to the {count} test number(s) ({numbers}); the campaign did not change.",
    "campaign_test_no_configured_numbers": "No test number: fill in « Campaign test numbers » in the SMS "
                                           "configuration.",
    "campaign_test_bad_number": "Test number refused: {detail}",
    "campaign_unknown_consent_column": "The SMS configuration's consent column ({field}) does not exist in the "
                                       "{table} table.",
    "campaign_prepare_failed": "The preparation failed: {detail}. The campaign stays not transmitted: fix it and "
                               "prepare it again.",
    "campaign_provider_auth": "Octopush rejected the API key (settings OCTOPUSH_API_LOGIN and OCTOPUSH_API_KEY)",
    "campaign_figures": "{sent} SMS sent, {delivered} delivered ({delivery}%), "
                        "{replies} response{s_replies} ({reply}%).",
    "campaign_figures_none": "0 SMS sent.",
    "campaign_closed_on": "Campaign closed on {when}.",
})

# Per-recipient details of the campaign reports: French in every language (the product guide's
# wording, like `STATUT;DETAIL;NUMERO;SMS` and `SUCCES` / `ECHEC`: partners and scripts rely on it).
CAMPAIGN_REPORT_DETAILS = {
    "empty": "Le message est vide.",
    "too_long": "Le message dépasse {limit} caractères ({length}).",
    "no_number": "Aucun numéro de mobile.",
    "invalid_number": "Le numéro doit être au format international (+XXXXXX ou 00XXXXX) : {raw}.",
    "stop_missing": "La mention '{stop}' doit être présente.",     # the guide's 'STOP au XXXXX', filled in
    "opted_out": "Le destinataire s'est désinscrit (STOP).",
    "no_consent": "Le destinataire n'a pas accepté les SMS marketing (colonne {column}).",
    "duplicate": "Doublon : ce numéro reçoit déjà le SMS.",
    "no_primary_contact": "Le compte n'a pas de contact principal.",
    "template": "Erreur de modèle : {error}",
    "sender": "Émetteur invalide : {error}",
    # Imports (`smsc import`): the report `LIGNE;STATUT;DETAIL;NUMERO`, one line per row of the file.
    "import_empty": "Ligne vide.",
    "import_no_number": "Aucun numéro sur cette ligne.",
    "import_fields": "Nombre de colonnes incorrect ({found} au lieu de {expected}), avec chacun des séparateurs "
                     "(point-virgule, virgule, tabulation).",
    "import_invalid_number": "Numéro invalide ({reason}) : {raw}.",
    "import_duplicate": "Doublon : ce numéro figure déjà plus haut dans le fichier.",
    "import_optout_added": "Ajouté à la liste noire (désinscription manuelle).",
    "import_optout_present": "Déjà sur la liste noire : sa raison (STOP, NPAI ou manuelle) est conservée.",
    "import_member_added": "{table} existant ajouté à la liste.",
    "import_member_created": "{table} créé et ajouté à la liste.",
    "import_member_present": "Déjà membre de la liste.",
    "import_no_person": "Aucun {table} n'a ce numéro de mobile (--create pour le créer).",
    "import_crm_refused": "Refusé par Dataverse : {error}",
}

# Delivery reports (connector.delivery_status): why an SMS is Undeliverable (`smsc_error`).
TEXTS["fr"].update({
    "delivery_failed": "SMS non délivré : {label} ({provider} : {status}).",
    "delivery_not_delivered": "l'opérateur n'a pas pu le remettre",
    "delivery_not_allowed": "envoi non autorisé vers ce numéro",
    "delivery_unknown_delivery": "l'opérateur n'a pas confirmé la réception",
    "delivery_bad_destination": "numéro inexistant ou invalide",
    "delivery_blacklisted_number": "numéro en liste noire chez le fournisseur (STOP)",
    "delivery_blacklisted": "numéro en liste noire chez le fournisseur (STOP)",
    "delivery_undeliverable": "numéro injoignable ou invalide",
    "delivery_undelivered": "l'opérateur n'a pas pu le remettre",
    "delivery_undefined": "statut indéterminé",
    "delivery_other": "échec signalé par le fournisseur",
})
TEXTS["en"].update({
    "delivery_failed": "SMS not delivered: {label} ({provider}: {status}).",
    "delivery_not_delivered": "the operator could not deliver it",
    "delivery_not_allowed": "sending to this number is not allowed",
    "delivery_unknown_delivery": "the operator did not confirm delivery",
    "delivery_bad_destination": "unknown or invalid number",
    "delivery_blacklisted_number": "number blacklisted at the provider (STOP)",
    "delivery_blacklisted": "number blacklisted at the provider (STOP)",
    "delivery_undeliverable": "unreachable or invalid number",
    "delivery_undelivered": "the operator could not deliver it",
    "delivery_undefined": "undetermined status",
    "delivery_other": "failure reported by the provider",
})

# Validate's fan-out (connector.campaigns.fan_out, .parts, .poison): parts queued, progress, failures.
TEXTS["fr"].update({
    "campaign_parts_queued": "{count} partie(s) sur {total} mise(s) en file d'envoi : l'avancement s'affiche "
                             "sur la campagne.",
    "campaign_parts_held": "{count} partie(s) sur {total} en attente du départ différé du {when} ; "
                           "annulable jusque-là.",
    "campaign_being_sent": "La campagne est en cours d'envoi : un nouvel envoi ne relance rien tant que ses "
                           "parties sont en route.",
    "campaign_part_failed": "Partie {part} sur {total} en échec après plusieurs tentatives : {reason}.",
    "campaign_parts_done": "{done} partie(s) sur {total} envoyée(s).",
    "campaign_no_reason": "raison inconnue",
    "campaign_resume_hint": "Cliquez à nouveau sur Envoyer pour reprendre : ce qui est parti ne repartira pas.",
    "cli_parts": "parties",
    "cli_parts_waiting": "{count} partie(s) attendent leur heure dans la file de cette commande, qui s'arrête "
                         "avec elle : relancez la validation une fois l'heure passée (plus 15 minutes), ou "
                         "laissez faire l'application Functions et sa reprise.",
})
TEXTS["en"].update({
    "campaign_parts_queued": "{count} of {total} part(s) queued for sending: the progress shows on the campaign.",
    "campaign_parts_held": "{count} of {total} part(s) held until the deferred start on {when}; "
                           "they can be cancelled until then.",
    "campaign_being_sent": "The campaign is being sent: validating again starts nothing while its parts are "
                           "on their way.",
    "campaign_part_failed": "Part {part} of {total} failed after several attempts: {reason}.",
    "campaign_parts_done": "{done} of {total} part(s) sent.",
    "campaign_no_reason": "no reason recorded",
    "campaign_resume_hint": "Validate again to resume: what went out will not go again.",
    "cli_parts": "parts",
    "cli_parts_waiting": "{count} part(s) wait for their time in this command's queue, which ends with it: "
                         "validate again once that time has passed (plus 15 minutes), or leave them to the "
                         "Functions app and its resume timer.",
})

# The loop back's inbound side (connector.inbound, connector.optout): replies, opt-outs, late opt-outs.
TEXTS["fr"].update({
    "reply_subject": "Réponse de {number}",
    "optout_stop_kept": "Le {number} a répondu STOP : seul un SMS START envoyé depuis ce numéro peut le réinscrire, "
                        "pas un administrateur.",
    "campaign_optouts_since_preparation": "{count} numéro(s) inscrit(s) en liste d'opposition depuis la "
                                          "préparation, non envoyé(s) : {numbers}.",
})
TEXTS["en"].update({
    "reply_subject": "Reply from {number}",
    "optout_stop_kept": "{number} replied STOP: only a START SMS sent from that number can opt it back in, "
                        "not an admin.",
    "campaign_optouts_since_preparation": "{count} number(s) opted out since the preparation, not sent: {numbers}.",
})

# The loop back: replies (connector.send_policy.replies_wanted).
TEXTS["fr"].update({
    "unanswerable_sender": "Un SMS de l'émetteur « {sender} » ne peut pas recevoir de réponse : les réponses "
                           "sont autorisées, mais un destinataire ne peut pas répondre à un émetteur "
                           "alphanumérique. Laissez l'émetteur vide pour permettre les réponses.",
})
TEXTS["en"].update({
    "unanswerable_sender": "An SMS from the sender '{sender}' cannot be answered: replies are allowed, but a "
                           "recipient cannot reply to an alphanumeric sender. Leave the sender empty to allow "
                           "replies.",
})
# Imports (`smsc import`): the summary printed at the end.
TEXTS["fr"].update({
    "import_read": "Lignes lues", "import_taken": "Prises", "import_present": "Déjà présentes",
    "import_refused": "Refusées", "import_dry_run": "Simulation : rien n'a été écrit.",
    "import_report": "Rapport ligne par ligne : {path}", "import_list": "Liste marketing : {name}{created}",
    "import_list_created": " (créée)", "import_list_to_create": " (sera créée)",
    "import_reason_import_empty": "ligne vide", "import_reason_import_no_number": "sans numéro",
    "import_reason_import_fields": "nombre de colonnes incorrect",
    "import_reason_import_invalid_number": "numéro invalide",
    "import_reason_import_duplicate": "doublon dans le fichier",
    "import_reason_import_no_person": "aucun contact ou prospect avec ce numéro",
    "import_reason_import_crm_refused": "refusé par Dataverse",
    "import_person_contact": "Contact", "import_person_lead": "Prospect",
    "import_person_contact_lower": "contact", "import_person_lead_lower": "prospect",
})
TEXTS["en"].update({
    "import_read": "Rows read", "import_taken": "Taken", "import_present": "Already present",
    "import_refused": "Refused", "import_dry_run": "Dry run: nothing was written.",
    "import_report": "Row-by-row report: {path}", "import_list": "Marketing list: {name}{created}",
    "import_list_created": " (created)", "import_list_to_create": " (would be created)",
    "import_reason_import_empty": "empty line", "import_reason_import_no_number": "no number",
    "import_reason_import_fields": "wrong number of columns",
    "import_reason_import_invalid_number": "invalid number",
    "import_reason_import_duplicate": "duplicate in the file",
    "import_reason_import_no_person": "no contact or lead with this number",
    "import_reason_import_crm_refused": "refused by Dataverse",
    "import_person_contact": "Contact", "import_person_lead": "Lead",
    "import_person_contact_lower": "contact", "import_person_lead_lower": "lead",
})
# Quotas and the warning threshold (connector.quotas): « Contingentement », « Seuil d'avertissement ».
TEXTS["fr"].update({
    "quota_forbidden": "Vous n'êtes pas autorisé à envoyer des SMS (contingentement « Interdit »).",
    "quota_blocked": "Envoi refusé, contingentement dépassé : {limits}.",
    "quota_warning": "Attention, contingentement dépassé : {limits}.",
    "quota_would_block": "L'envoi sera refusé, contingentement dépassé : {limits}.",
    "quota_per_send_sms": "{count} SMS dans cet envoi pour {limit} autorisés par envoi",
    "quota_per_send_recipients": "{count} destinataires dans cet envoi pour {limit} autorisés par envoi",
    "quota_per_month_sms": "{count} SMS ce mois-ci avec cet envoi pour {limit} autorisés par mois",
    "quota_per_month_recipients": "{count} destinataires ce mois-ci avec cet envoi pour {limit} autorisés par mois",
    "warn_threshold": "Cet envoi compte {count} SMS : le seuil d'avertissement ({threshold} SMS) est atteint.",
})
TEXTS["en"].update({
    "quota_forbidden": "You are not allowed to send SMS (quota 'Forbidden').",
    "quota_blocked": "Send refused, quota exceeded: {limits}.",
    "quota_warning": "Warning, quota exceeded: {limits}.",
    "quota_would_block": "The send will be refused, quota exceeded: {limits}.",
    "quota_per_send_sms": "{count} SMS in this send, {limit} allowed per send",
    "quota_per_send_recipients": "{count} recipients in this send, {limit} allowed per send",
    "quota_per_month_sms": "{count} SMS this month with this send, {limit} allowed per month",
    "quota_per_month_recipients": "{count} recipients this month with this send, {limit} allowed per month",
    "warn_threshold": "This send counts {count} SMS: the warning threshold ({threshold} SMS) is reached.",
})
# Unit SMS held by the connector (connector.unit_release, unit_cancel, unit_recovery): DESIGN §7 « Schedules ».
TEXTS["fr"].update({
    "unit_held_unprepared": "Ce SMS a été mis « Planifié » sans avoir été préparé par le connecteur : "
                            "demandez son envoi avec le bouton « Envoyer ».",
    "unit_cancel_refused": "Annulation impossible : le SMS était déjà {status} quand l'annulation est arrivée.",
    "unit_cancel_status_3": "en cours d'envoi",
    "unit_cancel_status_4": "confié au fournisseur",
    "unit_cancel_status_5": "envoyé",
    "unit_cancel_status_6": "remis",
    "unit_cancel_status_7": "non remis",
    "unit_cancel_status_10": "reçu",
    "unit_left_too_old": "La demande d'envoi n'a pas été prise en charge pendant plus de {hours} heures : "
                         "rien n'est parti. Demandez l'envoi à nouveau si le SMS est toujours utile.",
    "unit_left_failed": "La demande d'envoi n'a pas pu être traitée ({detail}) : rien n'est parti. "
                        "Demandez l'envoi à nouveau.",
})
TEXTS["en"].update({
    "unit_held_unprepared": "This SMS was set to 'Scheduled' without the connector preparing it: "
                            "ask for it to be sent with the 'Send' button.",
    "unit_cancel_refused": "The cancel came too late: the SMS was already {status}.",
    "unit_cancel_status_3": "being sent",
    "unit_cancel_status_4": "handed to the provider",
    "unit_cancel_status_5": "sent",
    "unit_cancel_status_6": "delivered",
    "unit_cancel_status_7": "undeliverable",
    "unit_cancel_status_10": "received",
    "unit_left_too_old": "The send request was not taken up for more than {hours} hours: nothing went out. "
                         "Ask for it again if the SMS is still useful.",
    "unit_left_failed": "The send request could not be handled ({detail}): nothing went out. Ask for it again.",
})


# Statistics (connector.statistics, smsc stats, its chart): group names, periods, headings.
TEXTS["fr"].update({
    "stats_type_marketing": "Marketing", "stats_type_transactional": "Transactionnel",
    "stats_no_type": "(sans type)", "stats_no_template": "(sans modèle)", "stats_no_campaign": "(hors campagne)",
    "stats_no_user": "(sans propriétaire)",
    "stats_week": "sem. {week} {year}", "stats_month": "{month} {year}",
    "stats_months": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",
    "stats_by_user": "Utilisateur", "stats_by_template": "Modèle", "stats_by_campaign": "Campagne",
    "stats_by_type": "Type de SMS", "stats_by_day": "Jour", "stats_by_week": "Semaine", "stats_by_month": "Mois",
    "stats_total": "Total",
    "stats_sent": "Destinataires", "stats_sms": "SMS", "stats_delivered": "Délivrés", "stats_failed": "Échecs",
    "stats_delivery_rate": "Taux de réception", "stats_replies": "Réponses", "stats_reply_rate": "Taux de réponse",
    "stats_stops": "STOP", "stats_stop_rate": "Taux de STOP", "stats_cost": "Coût",
    "stats_chart_volume": "SMS envoyés (segments)", "stats_chart_rates": "Taux (%)",
})
TEXTS["en"].update({
    "stats_type_marketing": "Marketing", "stats_type_transactional": "Transactional",
    "stats_no_type": "(no type)", "stats_no_template": "(no template)", "stats_no_campaign": "(no campaign)",
    "stats_no_user": "(no owner)",
    "stats_week": "week {week} {year}", "stats_month": "{month} {year}",
    "stats_months": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    "stats_by_user": "User", "stats_by_template": "Template", "stats_by_campaign": "Campaign",
    "stats_by_type": "SMS type", "stats_by_day": "Day", "stats_by_week": "Week", "stats_by_month": "Month",
    "stats_total": "Total",
    "stats_sent": "Recipients", "stats_sms": "SMS", "stats_delivered": "Delivered", "stats_failed": "Failed",
    "stats_delivery_rate": "Delivery rate", "stats_replies": "Replies", "stats_reply_rate": "Reply rate",
    "stats_stops": "STOP", "stats_stop_rate": "STOP rate", "stats_cost": "Cost",
    "stats_chart_volume": "SMS sent (segments)", "stats_chart_rates": "Rates (%)",
})


# Cost and credit (connector.pricing) and the low-credit alert (connector.low_credit): « Alerte crédit ».
TEXTS["fr"].update({
    "low_credit": "Crédit SMS bas : il reste {sms} SMS ({country}), {amount} {currency}, sous le seuil d'alerte "
                  "de {threshold} SMS. Pensez à réapprovisionner le crédit.",
    "low_credit_title": "Crédit SMS bas",
    "credit_unknown": "Coût estimé sans le tarif du fournisseur (crédit non lu : {detail}).",
    "campaign_cost": "Coût estimé : {cost} {currency}.",
})
TEXTS["en"].update({
    "low_credit": "Low SMS credit: {sms} SMS left ({country}), {amount} {currency}, below the alert threshold "
                  "of {threshold} SMS. Top up the credit.",
    "low_credit_title": "Low SMS credit",
    "credit_unknown": "Cost estimated without the provider's price (credit not read: {detail}).",
    "campaign_cost": "Estimated cost: {cost} {currency}.",
})
# The CRM refused a write made as the user (connector.errors.Forbidden): their security roles.
TEXTS["fr"].update({
    "privilege_sms": "Dataverse a refusé l'enregistrement du SMS : votre rôle de sécurité ne donne pas le droit "
                     "{privilege}. Demandez à votre administrateur le rôle « SMS Connector User ».",
    "privilege_campaign": "Dataverse a refusé l'action sur la campagne : votre rôle de sécurité ne donne pas le "
                          "droit {privilege}. Demandez à votre administrateur le rôle « SMS Connector User ».",
})
TEXTS["en"].update({
    "privilege_sms": "Dataverse refused to save the SMS: your security role does not grant {privilege}. "
                     "Ask your administrator for the 'SMS Connector User' role.",
    "privilege_campaign": "Dataverse refused the campaign action: your security role does not grant {privilege}. "
                          "Ask your administrator for the 'SMS Connector User' role.",
})


# An interrupted preparation put back by the resume timer (connector.campaigns.resume).
TEXTS["fr"].update({
    "campaign_preparation_interrupted": "La préparation a été interrompue avant sa fin (rien n'a été envoyé) : "
                                        "la campagne est revenue à « non transmise », préparez-la à nouveau.",
})
TEXTS["en"].update({
    "campaign_preparation_interrupted": "The preparation was interrupted before it ended (nothing was sent): "
                                        "the campaign is back to 'not transmitted'; prepare it again.",
})
# What an SMS provider cannot carry (connector.sms.capabilities), said before anything is sent.
TEXTS["fr"].update({
    "campaign_provider_key_refused": "{provider} a refusé la clé d'API (paramètre {settings})",
    "provider_purpose_refused": "{provider} n'envoie pas ce type de SMS.",
    "provider_alphanumeric_refused": "{provider} n'accepte pas d'émetteur alphanumérique (« {sender} ») : "
                                     "laissez l'émetteur vide ou indiquez un numéro.",
    "provider_country_refused": "{provider} n'envoie pas de SMS vers ce pays ({country}).",
    "provider_fr_marketing_alphanumeric": "{provider} n'envoie pas de SMS marketing vers un numéro français "
                                          "avec un émetteur alphanumérique (« {sender} ») : choisissez le type "
                                          "transactionnel si le message n'est pas commercial, ou un émetteur "
                                          "numérique.",
})
TEXTS["en"].update({
    "campaign_provider_key_refused": "{provider} rejected the API key (setting {settings})",
    "provider_purpose_refused": "{provider} does not send this type of SMS.",
    "provider_alphanumeric_refused": "{provider} takes no alphanumeric sender (\u201c{sender}\u201d): "
                                     "leave the sender empty or give a number.",
    "provider_country_refused": "{provider} does not send SMS to this country ({country}).",
    "provider_fr_marketing_alphanumeric": "{provider} does not send marketing SMS to a French number from an "
                                          "alphanumeric sender (\u201c{sender}\u201d): choose the transactional "
                                          "type if the message is not commercial, or a numeric sender.",
})


# A unit SMS interrupted mid-send on a provider that does not refuse a request twice (connector.unit_recovery).
TEXTS["fr"].update({
    "unit_interrupted_not_resent": "L'envoi a été interrompu et a pu partir : {provider} ne reconnaît pas un envoi "
                                   "répété, il n'est donc pas renvoyé automatiquement. Vérifiez la réception "
                                   "avant de le renvoyer.",
})
TEXTS["en"].update({
    "unit_interrupted_not_resent": "The send was interrupted and may have gone out: {provider} does not recognise "
                                   "a repeated send, so it is not sent again automatically. Check it arrived "
                                   "before sending it again.",
})


# GET /api/credit and the campaign panel on a provider that tells no balance (its capabilities: smsmode, ACS).
TEXTS["fr"].update({
    "credit_no_balance": "{provider} n'indique pas de solde : consultez la consommation dans votre compte chez "
                         "{provider}.",
})
TEXTS["en"].update({
    "credit_no_balance": "{provider} tells no balance: see the consumption in your {provider} account.",
})


# The statistics' title names the time zone whose days they count (the CRM user's; smsc stats, its chart).
TEXTS["fr"].update({
    "stats_title_zone": "Statistiques SMS du {first} au {last} (fuseau {zone})",
})
TEXTS["en"].update({
    "stats_title_zone": "SMS statistics from {first} to {last} (time zone {zone})",
})


# Why the provider did not take a request (connector.sms adapters), in the reader's language; what the provider
# itself answered follows as it is (connector.user_texts.said's `quote`).
TEXTS["fr"].update({
    "provider_error_timeout": "{provider} n'a pas répondu dans les {seconds} s",
    "provider_error_unreachable": "{provider} est injoignable ({host})",
    "provider_error_throttled": "{provider} limite les requêtes (HTTP 429) ; réessayez plus tard",
    "provider_error_down": "{provider} est en échec (HTTP {status}) ; réessayez plus tard",
    "provider_error_http": "{provider} a répondu HTTP {status}",
    "provider_error_no_reference": "{provider} a accepté l'envoi sans en donner la référence ({field})",
    "provider_error_no_amount": "{provider} a répondu sans montant au contrôle du solde",
    "provider_error_code": "{text} (code {provider} {code})",
    "provider_error_other_code": "erreur {provider} {code}",
    "provider_error_no_sender": "aucun émetteur pour {provider} : renseignez {setting} (le numéro ou l'identifiant "
                                "d'émetteur de la ressource)",
    "provider_error_recipient": "HTTP {status} pour le destinataire",
    "campaign_cancel_no_reference": "un SMS sans référence chez le fournisseur ne peut pas être annulé",
    "campaign_cancel_unsupported": "{provider} ne peut pas annuler un envoi programmé",
})
TEXTS["en"].update({
    "provider_error_timeout": "{provider} did not answer within {seconds} s",
    "provider_error_unreachable": "Could not reach {provider} ({host})",
    "provider_error_throttled": "{provider} is throttling requests (HTTP 429); try again later",
    "provider_error_down": "{provider} failed with HTTP {status}; try again later",
    "provider_error_http": "{provider} answered HTTP {status}",
    "provider_error_no_reference": "{provider} accepted the send but returned no {field}",
    "provider_error_no_amount": "{provider} answered the balance check without an amount",
    "provider_error_code": "{text} ({provider} code {code})",
    "provider_error_other_code": "{provider} error {code}",
    "provider_error_no_sender": "no sender for {provider}: set {setting} (the resource's number or sender ID)",
    "provider_error_recipient": "HTTP {status} for the recipient",
    "campaign_cancel_no_reference": "an SMS without a provider reference cannot be cancelled",
    "campaign_cancel_unsupported": "{provider} cannot cancel a scheduled send",
})
COLON = {"fr": " : ", "en": ": "}


def said(key: str, *, quote: str = "", **values) -> dict[str, str]:
    """The text in each language, for a reader known later (an error raised in an adapter); `quote`, the
    other side's own words, follows as it is; a float reads with that language's decimal sign."""
    return {lang: say(lang, key, **{name: _number(lang, value) for name, value in values.items()})
            + (COLON[lang] + quote if quote else "") for lang in TEXTS}


def _number(lang: str, value):
    if not isinstance(value, float):
        return value
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "fr" else text

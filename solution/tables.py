"""DESIGN §4 as data: the tables, columns, choices and alternate keys of the CRM side.

Column names are the contract with the Dataverse adapter (connector/crm/*): a test scans the adapter
for every `smsc_` name and checks it is declared here. Choice values are DESIGN §4's numbers (1, 2,
3…) so the connector's codes hold in every organisation, whatever the publisher's option prefix.
"""
from __future__ import annotations

from solution.model import (
    AlternateKey,
    BooleanColumn,
    Choice,
    ChoiceColumn,
    DateTimeColumn,
    DecimalColumn,
    IntegerColumn,
    Label,
    LookupColumn,
    MemoColumn,
    MoneyColumn,
    Option,
    Ownership,
    RequiredLevel,
    StringColumn,
    StringFormat,
    Table,
)

REQUIRED = RequiredLevel.REQUIRED
SENDER_LENGTH = 11              # connector/text/sender.py: 3 to 11 letters or digits
PHONE_LENGTH = 32               # E.164 is at most 16 characters; room for what a user types before normalising
TEXT_LENGTH = 4000              # SMS text: the provider's longest (1224) with room for merge fields


def _options(*labels: tuple[int, str, str]) -> tuple[Option, ...]:
    return tuple(Option(value, Label(fr, en)) for value, fr, en in labels)


def _choice(name: str, fr: str, en: str, *labels: tuple[int, str, str], is_global: bool = False) -> Choice:
    return Choice(name, Label(fr, en), _options(*labels), is_global)


# --- choices (global where several columns share them) ---------------------------------------------------

SMS_TYPE = _choice("smsc_smstype", "Type de SMS", "SMS type",
                   (1, "Marketing", "Marketing"), (2, "Transactionnel", "Transactional"), is_global=True)
SMS_STATUS = _choice("smsc_status", "Statut du SMS", "SMS status",
                     (1, "Brouillon", "Draft"), (2, "Envoi demandé", "Send requested"),
                     (3, "En cours d'envoi", "Sending"),
                     (4, "Planifié", "Scheduled"), (5, "Envoyé", "Sent"), (6, "Remis", "Delivered"),
                     (7, "Non distribuable", "Undeliverable"), (8, "Échec", "Failed"), (9, "Annulé", "Cancelled"),
                     (10, "Reçu", "Received"))
DIRECTION = _choice("smsc_direction", "Sens", "Direction", (1, "Sortant", "Outgoing"), (2, "Entrant", "Incoming"))
ENCODING = _choice("smsc_encoding", "Encodage", "Encoding", (1, "GSM-7", "GSM-7"), (2, "UCS-2", "UCS-2"))
TEMPLATE_STATUS = _choice("smsc_templatestatus", "Statut", "Status",
                          (1, "En cours de création", "Draft"), (2, "Publié", "Published"))
QUOTA_MODE = _choice("smsc_mode", "Mode", "Mode", (1, "Par défaut", "Default"), (2, "Spécifique", "Specific"),
                     (3, "Interdit", "Forbidden"), (4, "Illimité", "Unlimited"))
ENFORCEMENT = _choice("smsc_enforcement", "Application", "Enforcement",
                      (1, "Avertir", "Warn"), (2, "Bloquer", "Block"))
STOP_SEPARATOR = _choice("smsc_stopseparator", "Mention STOP précédée par", "STOP mention preceded by",
                         (1, "Un retour à la ligne", "A line break"), (2, "Un espace", "A space"))
OPTOUT_REASON = _choice("smsc_reason", "Motif", "Reason", (1, "STOP", "STOP"),
                        (2, "Non distribuable", "Undeliverable"), (3, "Manuel", "Manual"))
EVENT_KIND = _choice("smsc_kind", "Type d'événement", "Event kind", (1, "Accusé de réception", "Delivery"),
                     (2, "Réponse", "Inbound"), (3, "Désinscription", "Opt-out"))
LEDGER_STATE = _choice("smsc_state", "État", "State", (1, "Réservé", "Reserved"), (2, "En cours", "Sending"),
                       (3, "Accepté", "Accepted"), (4, "Refusé", "Refused"), (5, "Incertain", "Uncertain"),
                       (6, "Enregistré", "Written"))
RECIPIENT_TYPE = _choice("smsc_recipienttype", "Type de destinataires", "Recipient type",
                         (1, "Compte", "Account"), (2, "Contact", "Contact"), (4, "Prospect", "Lead"))
CAMPAIGN_SMS_STATUS = _choice("smsc_smsstatus", "Statut Octopush", "SMS campaign status",
                              (1, "Campagne non trouvée", "Not transmitted"),
                              (2, "Campagne en cours de compilation", "In construction"),
                              (3, "Campagne prête à l'envoi", "Ready to send"),
                              (4, "Envoi en cours", "Sending"), (5, "Campagne envoyée", "Sent"))
CAMPAIGN_ACTION = _choice("smsc_action", "Action demandée", "Requested action",
                          (1, "Tester", "Simulate"), (2, "Préparer", "Prepare"), (3, "Envoyer les SMS", "Validate"),
                          (4, "Annuler", "Cancel"), (5, "Actualiser", "Refresh"),
                          # Not DESIGN's: the panel's test send (README « Campaigns »). « Tester » is the
                          # guide's word for Simulate (1), so this one says what it does.
                          (6, "Envoyer un test", "Send a test"))
# One send's (an SMS's, a campaign's) cheaper-text choice; empty: the configuration's (`smsc_cheapertext`
# there, a yes/no). A choice, not a yes/no: a yes/no column is never empty on a form, so the record
# would always override the configuration.
CHEAPER_TEXT = _choice("smsc_cheapertext", "Texte économique", "Cheaper text", (1, "Oui", "Yes"), (2, "Non", "No"))
GLOBAL_CHOICES = (SMS_TYPE,)


# --- column helpers: the schema name carries the capitals; the logical name is its lower case -----------

def _label(fr: str, en: str) -> Label:
    return Label(fr, en)


def text(schema: str, fr: str, en: str, max_length: int = 100, *, required: RequiredLevel = RequiredLevel.NONE,
         format: StringFormat = StringFormat.TEXT) -> StringColumn:
    return StringColumn(logical_name=schema.lower(), schema_name=schema, display=_label(fr, en),
                        max_length=max_length, format=format, required=required)


def memo(schema: str, fr: str, en: str, max_length: int = TEXT_LENGTH, *,
         required: RequiredLevel = RequiredLevel.NONE) -> MemoColumn:
    return MemoColumn(logical_name=schema.lower(), schema_name=schema, display=_label(fr, en), max_length=max_length,
                      required=required)


def whole(schema: str, fr: str, en: str, minimum: int = 0, maximum: int = 2_147_483_647) -> IntegerColumn:
    return IntegerColumn(logical_name=schema.lower(), schema_name=schema, display=_label(fr, en),
                         min_value=minimum, max_value=maximum)


def decimal(schema: str, fr: str, en: str, precision: int = 2, maximum: float = 100) -> DecimalColumn:
    return DecimalColumn(logical_name=schema.lower(), schema_name=schema, display=_label(fr, en),
                         precision=precision, max_value=maximum)


def money(schema: str, fr: str, en: str, precision: int = 4) -> MoneyColumn:
    return MoneyColumn(logical_name=schema.lower(), schema_name=schema, display=_label(fr, en), precision=precision)


def yes_no(schema: str, fr: str, en: str, default: bool = False) -> BooleanColumn:
    return BooleanColumn(logical_name=schema.lower(), schema_name=schema, display=_label(fr, en), default=default)


def when(schema: str, fr: str, en: str) -> DateTimeColumn:
    return DateTimeColumn(logical_name=schema.lower(), schema_name=schema, display=_label(fr, en))


def lookup(schema: str, fr: str, en: str, *targets: str, required: RequiredLevel = RequiredLevel.NONE) -> LookupColumn:
    return LookupColumn(logical_name=schema.lower(), schema_name=schema, display=_label(fr, en), targets=targets,
                        required=required)


def choice(schema: str, fr: str, en: str, of: Choice, default: int | None = None, *,
           required: RequiredLevel = RequiredLevel.NONE) -> ChoiceColumn:
    return ChoiceColumn(logical_name=schema.lower(), schema_name=schema, display=_label(fr, en), choice=of,
                        default=default, required=required)


def _name(fr: str, en: str, max_length: int = 200) -> StringColumn:
    return text("smsc_Name", fr, en, max_length, required=REQUIRED)


def _key(schema: str, fr: str, en: str, *columns: str) -> AlternateKey:
    return AlternateKey(schema, _label(fr, en), columns)


# --- tables ----------------------------------------------------------------------------------------------

TEXT_MESSAGE = Table(
    "smsc_textmessage", "smsc_TextMessage", "smsc_textmessages", _label("SMS", "SMS"), _label("SMS", "SMS"),
    _label("SMS envoyé ou reçu, dans l'historique du destinataire.",
           "A text message sent or received, in the recipient's timeline."),
    is_activity=True,
    standard_columns=("subject", "description", "regardingobjectid", "scheduledend", "actualend", "statecode",
                      "statuscode", "to", "ownerid"),
    columns=(
        text("smsc_PhoneNumber", "Numéro destinataire", "Phone number", PHONE_LENGTH, format=StringFormat.PHONE),
        choice("smsc_Direction", "Sens", "Direction", DIRECTION, 1),
        choice("smsc_SmsType", "Type de SMS", "SMS type", SMS_TYPE),
        text("smsc_Sender", "Expéditeur", "Sender", SENDER_LENGTH),
        choice("smsc_Status", "Statut d'envoi", "Sending status", SMS_STATUS, 1),
        choice("smsc_Encoding", "Encodage", "Encoding", ENCODING),
        whole("smsc_Segments", "Nombre de SMS", "Segments", 0, 1000),
        money("smsc_Cost", "Coût", "Cost"),
        text("smsc_ProviderMessageId", "Identifiant chez le fournisseur", "Provider message id", 100),
        memo("smsc_Error", "Erreur", "Error", 2000),
        lookup("smsc_CampaignId", "Campagne", "Campaign", "campaign"),
        lookup("smsc_TemplateId", "Modèle de SMS", "SMS template", "smsc_smstemplate"),
        lookup("smsc_WorkflowId", "Workflow SMS", "SMS workflow", "smsc_workflow"),
        text("smsc_IdempotencyKey", "Clé d'unicité", "Idempotency key", 200),
        choice("smsc_CheaperText", "Texte économique", "Cheaper text", CHEAPER_TEXT),
    ),
    keys=(_key("smsc_IdempotencyKey_Key", "Clé d'unicité", "Idempotency key", "smsc_idempotencykey"),),
)

SMS_TEMPLATE = Table(
    "smsc_smstemplate", "smsc_SmsTemplate", "smsc_smstemplates", _label("Modèle de SMS", "SMS template"),
    _label("Modèles de SMS", "SMS templates"),
    _label("Texte de SMS avec champs de fusion, proposé aux utilisateurs une fois publié.",
           "SMS text with merge fields, offered to users once published."),
    ownership=Ownership.ORGANIZATION,
    primary_name=_name("Nom du modèle", "Template name"),
    columns=(
        text("smsc_Entity", "Entité applicable", "Applies to", 100, required=REQUIRED),
        memo("smsc_Text", "Texte du modèle", "Template text", required=REQUIRED),
        choice("smsc_TemplateStatus", "Statut", "Status", TEMPLATE_STATUS, 1, required=REQUIRED),
    ),
)

CONFIGURATION = Table(
    "smsc_configuration", "smsc_Configuration", "smsc_configurations", _label("Configuration SMS", "SMS configuration"),
    _label("Configurations SMS", "SMS configurations"),
    _label("Préférences SMS de l'organisation (une seule ligne ; aucun secret).",
           "The organisation's SMS preferences (one row; never a secret)."),
    ownership=Ownership.ORGANIZATION,
    primary_name=_name("Nom", "Name"),
    columns=(
        yes_no("smsc_UnitAllowTypeChoice", "Envois unitaires : choix du type de SMS", "Unit SMS: users choose the type",
               True),
        choice("smsc_UnitDefaultSmsType", "Envois unitaires : type de SMS", "Unit SMS: default type", SMS_TYPE, 2),
        yes_no("smsc_UnitAllowSenderChoice", "Envois unitaires : choix de l'émetteur personnalisé",
               "Unit SMS: users choose the sender", True),
        text("smsc_UnitDefaultSender", "Envois unitaires : émetteur personnalisé", "Unit SMS: default sender",
             SENDER_LENGTH),
        yes_no("smsc_CampaignAllowTypeChoice", "Campagnes : choix du type de SMS", "Campaigns: users choose the type",
               True),
        choice("smsc_CampaignDefaultSmsType", "Campagnes : type de SMS", "Campaigns: default type", SMS_TYPE, 1),
        yes_no("smsc_CampaignAllowSenderChoice", "Campagnes : choix de l'émetteur personnalisé",
               "Campaigns: users choose the sender", True),
        text("smsc_CampaignDefaultSender", "Campagnes : émetteur personnalisé", "Campaigns: default sender",
             SENDER_LENGTH),
        text("smsc_StopText", "Mention STOP", "STOP mention", 100),
        yes_no("smsc_AppendStop", "Ajouter la mention STOP", "Append the STOP mention"),
        choice("smsc_StopSeparator", "Mention STOP précédée par", "STOP mention preceded by", STOP_SEPARATOR, 1),
        yes_no("smsc_ExcludeOptOuts", "Exclure les désinscrits", "Exclude opted-out numbers", True),
        text("smsc_DefaultCountry", "Pays par défaut (ISO)", "Default country (ISO)", 2),
        whole("smsc_WarnThreshold", "Seuil d'avertissement (destinataires)", "Warning threshold (recipients)"),
        yes_no("smsc_QuotasEnabled", "Quotas activés", "Quotas enabled"),
        whole("smsc_CampaignDuration", "Durée d'une campagne (heures)", "Campaign duration (hours)", 1, 8760),
        whole("smsc_QuietHoursStart", "Début des heures de silence (heure)", "Quiet hours start (hour)", 0, 23),
        whole("smsc_QuietHoursEnd", "Fin des heures de silence (heure)", "Quiet hours end (hour)", 0, 23),
        yes_no("smsc_QuietSundays", "Pas de SMS marketing le dimanche", "No marketing SMS on Sundays", True),
        yes_no("smsc_QuietHolidays", "Pas de SMS marketing les jours fériés", "No marketing SMS on public holidays",
               True),
        yes_no("smsc_RepliesAllowed", "Réponses autorisées", "Replies allowed", True),
        whole("smsc_ReplyWindow", "Fenêtre de réponse (heures)", "Reply window (hours)", 0, 8760),
        text("smsc_StopKeywords", "Mots-clés de désinscription", "Opt-out keywords", 200),
        text("smsc_StartKeywords", "Mots-clés de réinscription", "Opt-in keywords", 200),
        whole("smsc_ConsecutiveFailures", "Échecs consécutifs avant désinscription",
              "Consecutive failures before opt-out", 1, 100),
        yes_no("smsc_UnknownReplyCreatesLead", "Réponse d'un numéro inconnu : créer un prospect",
               "Reply from an unknown number: create a lead"),
        whole("smsc_MaxTextLength", "Longueur maximale du texte", "Maximum text length", 1, 1224),
        yes_no("smsc_CheaperText", "Remplacer les caractères coûteux (UCS-2)", "Replace costly (UCS-2) characters"),
        text("smsc_ConsentColumn", "Colonne de consentement", "Consent column", 100),
        text("smsc_TestNumbers", "Numéros de test des campagnes", "Campaign test numbers", 500),
        whole("smsc_LowCreditThreshold", "Seuil de crédit bas", "Low credit threshold"),
        text("smsc_OverseasPrefix", "Préfixe international (outre-mer)", "Overseas international prefix", 10),
    ),
)

QUOTA = Table(
    "smsc_quota", "smsc_Quota", "smsc_quotas", _label("Quota SMS", "SMS quota"), _label("Quotas SMS", "SMS quotas"),
    _label("Quota d'un utilisateur (sans utilisateur : le quota par défaut).",
           "A user's quota (without a user: the default quota)."),
    ownership=Ownership.ORGANIZATION,
    primary_name=_name("Nom", "Name"),
    columns=(
        lookup("smsc_UserId", "Utilisateur", "User", "systemuser"),
        choice("smsc_Mode", "Mode", "Mode", QUOTA_MODE, 1, required=REQUIRED),
        whole("smsc_PerSendSms", "SMS par envoi", "SMS per send"),
        whole("smsc_PerSendRecipients", "Destinataires par envoi", "Recipients per send"),
        whole("smsc_PerMonthSms", "SMS par mois", "SMS per month"),
        whole("smsc_PerMonthRecipients", "Destinataires par mois", "Recipients per month"),
        choice("smsc_Enforcement", "Application", "Enforcement", ENFORCEMENT, 2),
    ),
)

OPT_OUT = Table(
    "smsc_optout", "smsc_OptOut", "smsc_optouts", _label("Désinscription SMS", "SMS opt-out"),
    _label("Désinscriptions SMS", "SMS opt-outs"),
    _label("Numéro qui ne reçoit plus de SMS marketing (STOP, non distribuable, manuel).",
           "A number that no longer receives marketing SMS (STOP, undeliverable, manual)."),
    ownership=Ownership.ORGANIZATION,
    primary_name=text("smsc_PhoneNumber", "Numéro de téléphone", "Phone number", PHONE_LENGTH, required=REQUIRED,
                      format=StringFormat.PHONE),
    columns=(
        choice("smsc_Reason", "Motif", "Reason", OPTOUT_REASON, 1),
        yes_no("smsc_Active", "Active", "Active", True),
    ),
    keys=(_key("smsc_PhoneNumber_Key", "Numéro de téléphone", "Phone number", "smsc_phonenumber"),),
)

PROVIDER_EVENT = Table(
    "smsc_providerevent", "smsc_ProviderEvent", "smsc_providerevents",
    _label("Événement fournisseur", "Provider event"), _label("Événements fournisseur", "Provider events"),
    _label("Chaque notification du fournisseur telle que reçue (sans secret).",
           "Every provider callback as received (without secrets)."),
    ownership=Ownership.ORGANIZATION,
    primary_name=_name("Nom", "Name"),
    columns=(
        choice("smsc_Kind", "Type d'événement", "Event kind", EVENT_KIND, required=REQUIRED),
        text("smsc_Ticket", "Ticket", "Ticket", 100),
        text("smsc_PhoneNumber", "Numéro", "Phone number", PHONE_LENGTH, format=StringFormat.PHONE),
        text("smsc_ProviderStatus", "Statut reçu", "Status received", 100),
        memo("smsc_Text", "Texte", "Text"),
        when("smsc_ReceivedOn", "Reçu le", "Received on"),
        memo("smsc_Body", "Contenu brut", "Raw body", 100_000),
        when("smsc_ProcessedOn", "Traité le", "Processed on"),
        lookup("smsc_TextMessageId", "SMS", "SMS", "smsc_textmessage"),
    ),
)

SEND_LEDGER = Table(
    "smsc_sendledger", "smsc_SendLedger", "smsc_sendledgers", _label("Registre d'envoi", "Send ledger entry"),
    _label("Registre d'envoi", "Send ledger"),
    _label("Une ligne par requête d'envoi d'une partie de campagne : ce qui est envoyé se décide ici.",
           "One row per provider request of a campaign part or window: what was sent is decided here."),
    ownership=Ownership.ORGANIZATION,
    primary_name=_name("Nom", "Name"),
    columns=(
        lookup("smsc_CampaignId", "Campagne", "Campaign", "campaign", required=REQUIRED),
        whole("smsc_Part", "Partie", "Part"),
        whole("smsc_Window", "Fenêtre", "Window"),
        text("smsc_RequestId", "Identifiant de requête", "Request id", 100, required=REQUIRED),
        text("smsc_Ticket", "Ticket", "Ticket", 100),
        whole("smsc_Recipients", "Destinataires", "Recipients"),
        choice("smsc_State", "État", "State", LEDGER_STATE, 1, required=REQUIRED),
        memo("smsc_Error", "Erreur", "Error", 2000),
        text("smsc_LeaseOwner", "Détenteur du bail", "Lease owner", 200),
        when("smsc_LeaseExpires", "Fin du bail", "Lease expires"),
    ),
    keys=(_key("smsc_RequestId_Key", "Identifiant de requête", "Request id", "smsc_requestid"),),
)

WORKFLOW = Table(
    "smsc_workflow", "smsc_Workflow", "smsc_workflows", _label("Workflow SMS", "SMS workflow"),
    _label("Workflows SMS", "SMS workflows"),
    _label("SMS envoyé automatiquement sur un événement du CRM (définition YAML).",
           "SMS sent automatically when something happens in the CRM (YAML definition)."),
    ownership=Ownership.ORGANIZATION,
    primary_name=_name("Nom", "Name"),
    columns=(
        memo("smsc_Definition", "Définition (YAML)", "Definition (YAML)", 100_000, required=REQUIRED),
        yes_no("smsc_Active", "Actif", "Active"),
        text("smsc_Entity", "Entité", "Table", 100),
    ),
)

CAMPAIGN = Table(
    "campaign", "Campaign", "campaigns", _label("Campagne", "Campaign"), _label("Campagnes", "Campaigns"),
    _label("Table standard ; le connecteur y ajoute les colonnes des campagnes SMS.",
           "Standard table; the connector adds the SMS campaign columns."),
    is_new=False,
    standard_columns=("name", "actualstart", "othercost", "statecode", "statuscode"),
    columns=(
        choice("smsc_RecipientType", "Type de destinataires", "Recipient type", RECIPIENT_TYPE, 2),
        memo("smsc_Text", "Texte", "Text"),
        lookup("smsc_TemplateId", "Modèle de SMS", "SMS template", "smsc_smstemplate"),
        choice("smsc_SmsType", "Type de SMS", "SMS type", SMS_TYPE),
        text("smsc_Sender", "Expéditeur", "Sender", SENDER_LENGTH),
        choice("smsc_SmsStatus", "Statut Octopush", "SMS campaign status", CAMPAIGN_SMS_STATUS, 1),
        choice("smsc_Action", "Action demandée", "Requested action", CAMPAIGN_ACTION),
        memo("smsc_LastResult", "Dernier résultat", "Last result", 2000),
        text("smsc_ProviderTicket", "Ticket Octopush", "Provider ticket", 100),
        whole("smsc_PartsTotal", "Parties", "Parts"),
        whole("smsc_PartsDone", "Parties envoyées", "Parts done"),
        whole("smsc_PartsFailed", "Parties en échec", "Parts failed"),
        decimal("smsc_DeliveryRate", "Taux de remise (%)", "Delivery rate (%)"),
        decimal("smsc_ReplyRate", "Taux de réponse (%)", "Reply rate (%)"),
        when("smsc_ClosedOn", "Clôturée le", "Closed on"),
        choice("smsc_CheaperText", "Texte économique", "Cheaper text", CHEAPER_TEXT),
    ),
)

# A default sender per user or per team (« émetteur »), used instead of the configuration's default
# sender where the configuration lets users choose the sender (connector.send_policy.choose_sender).
SYSTEM_USER = Table(
    "systemuser", "SystemUser", "systemusers", _label("Utilisateur", "User"), _label("Utilisateurs", "Users"),
    _label("Table standard ; le connecteur y ajoute l'émetteur SMS par défaut de l'utilisateur.",
           "Standard table; the connector adds the user's default SMS sender."),
    ownership=Ownership.ORGANIZATION, is_new=False, standard_columns=("fullname",),
    columns=(text("smsc_DefaultSender", "Émetteur SMS par défaut", "Default SMS sender", SENDER_LENGTH),),
)

TEAM = Table(
    "team", "Team", "teams", _label("Équipe", "Team"), _label("Équipes", "Teams"),
    _label("Table standard ; le connecteur y ajoute l'émetteur SMS par défaut de l'équipe.",
           "Standard table; the connector adds the team's default SMS sender."),
    ownership=Ownership.ORGANIZATION, is_new=False, standard_columns=("name",),
    columns=(text("smsc_DefaultSender", "Émetteur SMS par défaut", "Default SMS sender", SENDER_LENGTH),),
)

TABLES: tuple[Table, ...] = (TEXT_MESSAGE, SMS_TEMPLATE, CONFIGURATION, QUOTA, OPT_OUT, PROVIDER_EVENT,
                             SEND_LEDGER, WORKFLOW, CAMPAIGN, SYSTEM_USER, TEAM)

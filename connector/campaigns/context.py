"""Everything an action needs before reading recipients: the text, SMS type, sender, checker."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from connector.campaigns.checks import CampaignChecker, NumberLedger, ProviderRules
from connector.campaigns.model import Campaign, CampaignError
from connector.configuration import Configuration
from connector.messages import has_merge_fields
from connector.repositories.campaign_recipients import CampaignRecipients
from connector.repositories.optouts import OptOuts
from connector.repositories.users import UserFormat
from connector.send_policy import SmsRejected, choose_type
from connector.sms.capabilities import Capabilities
from connector.sms.port import SmsType
from connector.text.templates import MessageTemplate, TemplateError, compile_template, from_legacy, user_datetime

# (template id, recipient table) -> the published template's text; raises SmsRejected.
TemplateTexts = Callable[[str, str], str]


@dataclass(frozen=True)
class CheckSources:
    """What the per-recipient checks read (simulate and prepare only)."""
    templates: TemplateTexts
    recipients: CampaignRecipients
    optouts: OptOuts
    capabilities: Capabilities | None = None     # the provider's: what it refuses is refused at the checks
    provider_label: str = ""


@dataclass
class ActionContext:
    campaign: Campaign
    config: Configuration
    sms_type: SmsType
    sender: str | None
    template: MessageTemplate | None
    text: str
    lang: str
    checker: CampaignChecker | None
    user: UserFormat = field(default_factory=UserFormat)      # who runs the action: their zone and formats

    def when(self, moment: datetime) -> str:
        """`moment` as that user reads dates in the CRM (notes, results): their time zone and formats."""
        user = self.user
        return user_datetime(moment, locale=user.locale, date_format=user.date_format, time_format=user.time_format,
                             time_zone=user.time_zone)

    def close(self) -> None:
        if self.checker:
            self.checker.ledger.close()


def source_text(templates: TemplateTexts, campaign: Campaign) -> str:
    try:
        if campaign.text and campaign.text.strip():
            text = campaign.text
            return text if has_merge_fields(text) else from_legacy(text)
        if campaign.template_id:
            return templates(campaign.template_id, recipient_table(campaign))
    except SmsRejected as error:
        raise CampaignError("template", detail=str(error)) from None
    raise CampaignError("no_text")


def recipient_table(campaign: Campaign) -> str:
    if campaign.recipient_table is None:
        raise CampaignError("no_recipient_type")
    return campaign.recipient_table


def build_context(campaign: Campaign, config: Configuration, user: UserFormat,
                  checks: CheckSources | None = None, *, lang: str | None = None,
                  personal_sender: str | None = None) -> ActionContext:
    """`user`: the format of the user who runs the action; `checks` for the actions that read
    recipients (simulate, prepare), None for the others (validate, cancel, refresh);
    `personal_sender`: that user's (or their team's) default sender, where users may choose it."""
    prefs = config.campaign
    sms_type = choose_type(campaign.sms_type, prefs)
    if prefs.allow_sender_choice:
        sender = campaign.sender or personal_sender or prefs.default_sender or None
    else:
        sender = prefs.default_sender or None
    lang = lang or user.language
    if campaign.cheaper_text is not None:     # the campaign's own choice wins over the configuration's
        config = config.model_copy(update={"cheaper_text": campaign.cheaper_text})
    if checks is None:
        return ActionContext(campaign, config, sms_type, sender, None, "", lang, None, user)
    text = source_text(checks.templates, campaign)
    recipient_table(campaign)
    try:
        template = compile_template(text) if has_merge_fields(text) else None
    except TemplateError as error:
        raise CampaignError("template", detail=str(error)) from None
    rules = ProviderRules(checks.capabilities, checks.provider_label) if checks.capabilities else None
    checker = CampaignChecker(checks.recipients, template, text, config, sms_type, sender,
                              NumberLedger(checks.optouts.active_numbers()), user.render_options(), rules)
    return ActionContext(campaign, config, sms_type, sender, template, text, lang, checker, user)

"""Everything an action needs before reading recipients: the text, SMS type, sender, checker."""
from __future__ import annotations

from dataclasses import dataclass

from connector.campaigns.checks import CampaignChecker, NumberLedger
from connector.campaigns.model import Campaign, CampaignError
from connector.send_policy import SmsRejected, choose_type
from connector.configuration import Configuration, load_configuration
from connector.crm.port import Crm, CrmError
from connector.messages import has_merge_fields, template_text
from connector.sms.port import SmsType
from connector.text.templates import MessageTemplate, TemplateError, compile_template, from_legacy


@dataclass
class ActionContext:
    campaign: Campaign
    config: Configuration
    sms_type: SmsType
    sender: str | None
    template: MessageTemplate | None
    text: str
    lang: str
    user_name: str
    checker: CampaignChecker | None

    def close(self) -> None:
        if self.checker:
            self.checker.ledger.close()


def source_text(crm: Crm, campaign: Campaign) -> str:
    try:
        if campaign.text and campaign.text.strip():
            text = campaign.text
            return text if has_merge_fields(text) else from_legacy(text)
        if campaign.template_id:
            return template_text(crm, campaign.template_id, campaign.recipient_table)
    except SmsRejected as error:
        raise CampaignError("template", detail=str(error)) from None
    raise CampaignError("no_text")


def user_language(user_format_: dict) -> str:
    return "fr" if user_format_["locale"].startswith("fr") else "en"


def build_context(crm: Crm, campaign: Campaign, user_id: str | None, locale: dict, *,
                  checks: bool = True) -> ActionContext:
    """`locale`: the user's format (messages.user_format). `checks=False` for actions that read
    no recipients (validate, cancel, refresh)."""
    config = load_configuration(crm)
    prefs = config.campaign
    sms_type = choose_type(campaign.sms_type, prefs)
    sender = (campaign.sender if campaign.sender and prefs.allow_sender_choice else prefs.default_sender) or None
    lang = user_language(locale)
    name = _user_name(crm, user_id)
    if not checks:
        return ActionContext(campaign, config, sms_type, sender, None, "", lang, name, None)
    text = source_text(crm, campaign)
    try:
        template = compile_template(text) if has_merge_fields(text) else None
    except TemplateError as error:
        raise CampaignError("template", detail=str(error)) from None
    checker = CampaignChecker(crm, template, text, config, sms_type, sender, NumberLedger(crm), locale)
    return ActionContext(campaign, config, sms_type, sender, template, text, lang, name, checker)


def _user_name(crm: Crm, user_id: str | None) -> str:
    """Who runs the action, for the notes (the connector itself when run from the CLI)."""
    if not user_id:
        return "smsc"
    try:
        return crm.retrieve("systemusers", user_id, select=["fullname"]).get("fullname") or user_id
    except CrmError:
        return user_id

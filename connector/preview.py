"""POST /api/textmessages/preview: what would really be sent, before sending (DESIGN §6)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connector.configuration import Configuration
from connector.errors import SmscError
from connector.low_credit import low_credit_warning
from connector.messages import has_merge_fields, merge_source, render_for
from connector.pricing import DEFAULT_OTHER, DEFAULT_PRICES, country_of, recent_pricing
from connector.quotas import threshold_decision
from connector.recipients import RECIPIENT_TABLES
from connector.repositories.sending import SendingRepositories
from connector.send_policy import (
    PROVIDER_MAX_LENGTH,
    SmsRejected,
    apply_stop_rule,
    cheaper_form,
    cheaper_warning,
    check_text,
    choose_sender,
    choose_type,
    phone_number,
    text_budget,
    text_warnings,
    unanswerable,
)
from connector.sms.port import ProviderError
from connector.sms.reason import provider_reason
from connector.text.encoding import analyze
from connector.user_texts import say


class SmsRefusal(SmscError):
    """What the send would refuse, said in the user's language (answered 422)."""
    error_code, answer_status = "sms_refused", 422


class RecordRef(BaseModel):
    entity: str
    id: str = Field(pattern=r"^[0-9a-fA-F-]{36}$")

    @model_validator(mode="after")
    def _known_table(self) -> RecordRef:
        if self.entity not in RECIPIENT_TABLES:
            raise ValueError(f"unknown recipient table '{self.entity}' (contact, lead or account)")
        return self


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = None
    templateid: str | None = Field(default=None, pattern=r"^[0-9a-fA-F-]{36}$")
    regarding: RecordRef | None = None
    smstype: int | None = Field(default=None, ge=1, le=2)
    sender: str | None = None
    cheaper: bool | None = None         # this send's choice; None: the configuration's cheaper-text option
    userid: str | None = None
    phonenumber: str | None = None      # the SMS's own number (else the recipient's mobile): its country's price

    @model_validator(mode="after")
    def _something_to_preview(self) -> PreviewRequest:
        if self.text is None and self.templateid is None:
            raise ValueError("give 'text' or 'templateid'")
        if self.templateid and not self.regarding:
            raise ValueError("'templateid' needs 'regarding' (the record whose fields are merged)")
        return self


class PreviewService:
    """`provider`: the SMS provider whose prices and credit the preview shows (None: no cost)."""

    def __init__(self, sending: SendingRepositories, provider: object | None = None):
        self.sending, self.provider = sending, provider

    def preview(self, request: PreviewRequest) -> dict:
        config = self.sending.configuration.get()
        prefs = config.unit
        lang = self.sending.users.user_format(request.userid).language if request.userid else "en"
        warnings: list[str] = []
        text, number = request.text or "", None
        if not request.regarding and has_merge_fields(merge_source(text)):
            warnings.append(say(lang, "merge_unresolved"))
        mobile = None
        if request.regarding:
            text, recipient = render_for(self.sending, request.text, request.templateid, request.regarding.entity,
                                         request.regarding.id, request.userid)
            mobile = recipient.mobile
        if request.phonenumber or request.regarding:
            number = _number_or_warning(request.phonenumber or mobile, config, warnings, lang)
        sms_type = choose_type(request.smstype, prefs)
        try:
            personal = self.sending.users.default_sender(request.userid) if prefs.allow_sender_choice else None
            sender = choose_sender(request.sender, prefs, personal)
            # Replies are on, but nobody can answer a name: said when the user chose it (they can
            # leave it empty), not for the admin's default sender.
            if request.sender and request.sender.strip() == sender and unanswerable(sender, config):
                warnings.append(say(lang, "unanswerable_sender", sender=sender))
            text = apply_stop_rule(text.strip(), sms_type, number, config)
        except SmsRejected as problem:
            warnings.append(problem.say(lang))
        found = cheaper_form(text, config, request.cheaper)
        if found is not None:
            text = found.text
            warnings += cheaper_warning(found, lang)
        try:        # what the send would refuse: an empty text (a warning), one too long (refused)
            check_text(text, text_budget(PROVIDER_MAX_LENGTH, config))
        except SmsRejected as problem:
            if problem.key == "too_long":
                raise SmsRefusal(problem.say(lang)) from None
            warnings.append(problem.say(lang))
        stats = analyze(text)
        # Quotas off: a send of one recipient reaching the warning threshold says so (connector.quotas).
        threshold = threshold_decision(config, stats.segments).say(lang)
        warnings += [threshold] if threshold else []
        warnings += text_warnings(stats, lang)
        answer = {"text": text, "encoding": stats.encoding, "segments": stats.segments,
                  "characters": stats.characters, "remaining": stats.remaining,
                  "warnings": warnings, "cost": None, "phonenumber": number,
                  "segments_saved": found.segments_saved if found is not None else 0}
        if self.provider is not None:
            answer |= self._cost(config, number, stats.segments, lang, warnings)
        return answer

    def _cost(self, config: Configuration, number: str | None, segments: int, lang: str,
              warnings: list[str]) -> dict:
        """The estimate for the destination's country (segments × its price) and the credit left, in
        money and in SMS to that country; the low-credit warning (connector.low_credit)."""
        pricing = recent_pricing(self.provider, config.default_country)     # not two wallet reads per keystroke
        country = country_of(number, config.default_country)
        try:
            price = pricing.price(country)
            provider = pricing.provider
            if not provider.capabilities.balance:           # nothing to read: said in the user's words
                warnings.append(say(lang, "credit_no_balance", provider=provider.label))
            credit = pricing.credit(country).shown() if provider.capabilities.balance else None
        except ProviderError as error:     # the estimate still shows, from the shipped table
            warnings.append(say(lang, "credit_unknown", detail=provider_reason(lang, error)))
            amount, currency, source, credit = DEFAULT_PRICES.get(country, DEFAULT_OTHER), "EUR", "default", None
        else:
            amount, currency, source = price.amount, price.currency, price.source
            if low := low_credit_warning(config, pricing, lang):
                warnings.append(low)
        return {"cost": round(segments * amount, 4), "currency": currency, "country": country,
                "price": {"amount": amount, "currency": currency, "source": source}, "credit": credit}


def _number_or_warning(raw: str | None, config: Configuration, warnings: list[str], lang: str) -> str | None:
    try:
        return phone_number(raw, config)
    except SmsRejected as problem:
        warnings.append(problem.say(lang))
        return None

"""POST /api/textmessages/preview: what would really be sent, before sending (DESIGN §6)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connector.configuration import Configuration
from connector.errors import SmscError
from connector.messages import has_merge_fields, merge_source, render_for
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

    @model_validator(mode="after")
    def _something_to_preview(self) -> PreviewRequest:
        if self.text is None and self.templateid is None:
            raise ValueError("give 'text' or 'templateid'")
        if self.templateid and not self.regarding:
            raise ValueError("'templateid' needs 'regarding' (the record whose fields are merged)")
        return self


class PreviewService:
    def __init__(self, sending: SendingRepositories):
        self.sending = sending

    def preview(self, request: PreviewRequest) -> dict:
        config = self.sending.configuration.get()
        prefs = config.unit
        lang = self.sending.users.user_format(request.userid).language if request.userid else "en"
        warnings: list[str] = []
        text, number = request.text or "", None
        if not request.regarding and has_merge_fields(merge_source(text)):
            warnings.append(say(lang, "merge_unresolved"))
        if request.regarding:
            text, recipient = render_for(self.sending, request.text, request.templateid, request.regarding.entity,
                                         request.regarding.id, request.userid)
            number = _number_or_warning(recipient.mobile, config, warnings, lang)
        sms_type = choose_type(request.smstype, prefs)
        try:
            sender = choose_sender(request.sender, prefs)
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
        return {"text": text, "encoding": stats.encoding, "segments": stats.segments,
                "characters": stats.characters, "remaining": stats.remaining,
                "warnings": warnings + text_warnings(stats, lang), "cost": None, "phonenumber": number,
                "segments_saved": found.segments_saved if found is not None else 0}


def _number_or_warning(raw: str | None, config: Configuration, warnings: list[str], lang: str) -> str | None:
    try:
        return phone_number(raw, config)
    except SmsRejected as problem:
        warnings.append(problem.say(lang))
        return None

"""From what the user asked for to the SMS really sent: type, sender, text, number, STOP rule.

Shared by the unit send and the preview so both apply exactly the same rules (DESIGN §7).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from connector.configuration import ChannelPreferences, Configuration
from connector.errors import SmscError
from connector.sms.port import SmsType
from connector.text.encoding import TextStats, analyze
from connector.text.phone import InvalidPhoneNumber, normalize
from connector.text.sender import InvalidSender, validate_sender
from connector.text.stop import append_stop, has_stop_mention, stop_required
from connector.user_texts import say

MAX_TEXT = 1224          # Octopush's limit for one SMS text (reference/octopush.md)


class SmsRejected(SmscError, ValueError):
    """The SMS cannot go as asked: a key of `user_texts.TEXTS`, written in the user's language."""
    error_code, answer_status = "sms_refused", 422

    def __init__(self, key: str, **values):
        self.key, self.values = key, values
        super().__init__(say("en", key, **values))

    def say(self, lang: str) -> str:
        return say(lang, self.key, **self.values)


@dataclass(frozen=True)
class ComposedSms:
    text: str
    stats: TextStats
    sms_type: SmsType
    sender: str | None
    phone_number: str | None
    warnings: list[str] = field(default_factory=list)


def choose_type(requested: int | None, prefs: ChannelPreferences) -> SmsType:
    return SmsType(requested) if requested and prefs.allow_type_choice else prefs.default_type


def choose_sender(requested: str | None, prefs: ChannelPreferences) -> str | None:
    sender = requested if requested and prefs.allow_sender_choice else prefs.default_sender
    if not sender:
        return None
    try:
        return validate_sender(sender.strip())
    except InvalidSender:
        raise SmsRejected("bad_sender", sender=sender) from None


def phone_number(raw: str | None, config: Configuration) -> str:
    if not raw or not raw.strip():
        raise SmsRejected("no_number")
    try:
        return normalize(raw, config.default_country, require_mobile=True)
    except InvalidPhoneNumber as error:
        raise SmsRejected("invalid_number", raw=raw.strip(), reason=error.reason) from None


def apply_stop_rule(text: str, sms_type: SmsType, number: str | None, config: Configuration) -> str:
    """Marketing SMS to French numbers must carry the STOP mention: append it or refuse."""
    if number is None or not stop_required(sms_type, number) or has_stop_mention(text):
        return text
    if config.append_stop:
        return append_stop(text, config.stop_text)
    raise SmsRejected("stop_missing", stop=config.stop_text)


def compose(text: str, *, config: Configuration, prefs: ChannelPreferences, raw_number: str | None,
            requested_type: int | None = None, requested_sender: str | None = None,
            number_required: bool = True) -> ComposedSms:
    """Raises SmsRejected naming the first rule the SMS breaks."""
    sms_type = choose_type(requested_type, prefs)
    sender = choose_sender(requested_sender, prefs)
    number = phone_number(raw_number, config) if (raw_number or number_required) else None
    text = apply_stop_rule(text.strip(), sms_type, number, config)
    if not text:
        raise SmsRejected("empty")
    if len(text) > MAX_TEXT:
        raise SmsRejected("too_long", length=len(text), limit=MAX_TEXT)
    stats = analyze(text)
    return ComposedSms(text, stats, sms_type, sender, number, text_warnings(stats))


def text_warnings(stats: TextStats, lang: str = "en") -> list[str]:
    warnings = []
    if stats.encoding == "UCS-2":
        warnings.append(say(lang, "unicode", chars=" ".join(stats.non_gsm[:10])))
    if stats.segments > 1:
        warnings.append(say(lang, "several_sms", segments=stats.segments))
    return warnings

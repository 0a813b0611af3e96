"""The send policy: what an SMS must satisfy before it goes, whichever path sends it (DESIGN §7).

One home for the rules the unit send, the preview, the workflow sends and dry-run, and the campaign
checks share: SMS type and sender choice, number normalisation, the STOP mention (appended or
refused), empty text, the length limit (a parameter: each path has its own), opt-out, quiet hours,
and whether the SMS is sent so that its recipient can answer it.
A broken rule raises `SmsRejected` with a key of `connector.user_texts`; each path words it for its
reader (the user's language for unit and workflow SMS, the guide's French details in campaign reports).
"""
from __future__ import annotations

from datetime import datetime

from connector.configuration import ChannelPreferences, Configuration
from connector.optout import refuses
from connector.outgoing import ComposedSms, SmsRejected
from connector.quiet_times import QuietTimes, next_allowed
from connector.repositories.optouts import OptOuts
from connector.sms.port import LONGEST_TEXT, SmsType
from connector.text.cheaper import CheaperText, cheaper
from connector.text.encoding import TextStats, analyze
from connector.text.phone import InvalidPhoneNumber, normalize
from connector.text.sender import InvalidSender, validate_sender
from connector.text.stop import append_stop, has_stop_mention, stop_required
from connector.user_texts import say

PROVIDER_MAX_LENGTH = LONGEST_TEXT     # the provider's limit for one SMS text: unit, workflow
CAMPAIGN_MAX_LENGTH = 489      # the Octopush guide's limit for a campaign SMS ("Simulation de la campagne")


def choose_type(requested: int | None, prefs: ChannelPreferences) -> SmsType:
    """The user's choice where the configuration allows one, else the channel's default."""
    return SmsType(requested) if requested and prefs.allow_type_choice else prefs.default_type


def check_sender(sender: str) -> str:
    """`sender` without surrounding blanks; SmsRejected("bad_sender") naming the problem (`error`)."""
    try:
        return validate_sender(sender.strip())
    except InvalidSender as error:
        raise SmsRejected("bad_sender", sender=sender, error=error) from None


def choose_sender(requested: str | None, prefs: ChannelPreferences, personal: str | None = None) -> str | None:
    """The sender (checked). Where the configuration lets users choose the sender (« choix de
    l'émetteur »): the one chosen for this send, else the user's own default or their team's
    (`personal`), else the channel's default. Where it does not, the channel's default only: the
    admin's sender is everyone's, a personal default included."""
    if prefs.allow_sender_choice:
        sender = requested or personal or prefs.default_sender
    else:
        sender = prefs.default_sender
    return check_sender(sender) if sender else None


def answerable_sender(sender: str | None) -> bool:
    """An SMS can be answered unless its sender is a name: replies go to a number (seed 004: « Si le
    destinataire répond à un SMS Pro avec émetteur personnalisé alphanumérique, il aura une erreur »)."""
    return not sender or not any(char.isalpha() for char in sender)


def replies_wanted(sender: str | None, config: Configuration) -> bool:
    """Whether the provider is asked to let recipients answer (`with_replies`): where the configuration
    allows replies and the sender can be answered. Every send path asks this one function."""
    return config.replies_allowed and answerable_sender(sender)


def unanswerable(sender: str | None, config: Configuration) -> bool:
    """Replies are allowed, but this sender cannot be answered: the user is warned (preview)."""
    return config.replies_allowed and not answerable_sender(sender)


def phone_number(raw: str | None, config: Configuration) -> str:
    """`raw` as an E.164 mobile number in the configured default country."""
    if not raw or not raw.strip():
        raise SmsRejected("no_number")
    try:
        return normalize(raw, config.default_country, require_mobile=True,
                         international_prefix=config.international_prefix)
    except InvalidPhoneNumber as error:
        raise SmsRejected("invalid_number", raw=raw.strip(), reason=error.reason) from None


def stop_missing(text: str, sms_type: SmsType, number: str | None, config: Configuration) -> bool:
    """True when the SMS must carry the configured STOP mention (marketing to a French number) and does not."""
    return bool(number) and stop_required(sms_type, number or "") and not has_stop_mention(text, config.stop_text)


def with_stop_mention(text: str, sms_type: SmsType, number: str | None, config: Configuration) -> str:
    """`text` with the configured STOP mention appended where it is required and the configuration
    says to append it (a mention already there is kept as is)."""
    if number and config.append_stop and stop_required(sms_type, number):
        return append_stop(text, config.stop_text, new_line=config.stop_on_new_line)
    return text


def apply_stop_rule(text: str, sms_type: SmsType, number: str | None, config: Configuration) -> str:
    """Marketing SMS to French numbers must carry the STOP mention: append it or refuse."""
    if not stop_missing(text, sms_type, number, config):
        return text
    if config.append_stop:
        return append_stop(text, config.stop_text, new_line=config.stop_on_new_line)
    raise SmsRejected("stop_missing", stop=config.stop_text)


def text_budget(path_limit: int, config: Configuration) -> int:
    """The longest text a path sends: its own limit, or the organisation's budget when smaller (seed 003)."""
    return min(path_limit, config.max_text_length or path_limit)


def cheaper_form(text: str, config: Configuration, requested: bool | None = None) -> CheaperText | None:
    """The cheaper text when the option is on (the send's own choice, else the configuration's);
    None when it is off. The caller shows what changed: never silently."""
    return cheaper(text) if (config.cheaper_text if requested is None else requested) else None


def cheaper_warning(found: CheaperText | None, lang: str = "en") -> list[str]:
    if found is None or not found.changed:
        return []
    replaced = ", ".join(f"{char!r} → {new!r}" for char, new in found.replaced)
    return [say(lang, "cheaper_text", replaced=replaced, saved=found.segments_saved)]


def check_text(text: str, max_length: int) -> None:
    """Not empty, and within the limit of the path that sends it."""
    if not text:
        raise SmsRejected("empty")
    if len(text) > max_length:
        raise SmsRejected("too_long", length=len(text), limit=max_length)


def refuse_opted_out(number: str | None, config: Configuration, optouts: OptOuts) -> None:
    """SmsRejected("opted_out") when the number is on the opt-out list and opt-outs are excluded."""
    if refuses(number, config, optouts):
        raise SmsRejected("opted_out", number=number)


def quiet_times_end(moment: datetime, sms_type: SmsType, number: str, config: Configuration) -> datetime | None:
    """When a marketing SMS due at `moment` falls in the quiet hours or on a quiet day at the
    recipient's, the instant it may leave; None when it may go at `moment` (transactional SMS go at
    any time)."""
    if sms_type != SmsType.MARKETING:
        return None
    return next_allowed(moment, number, QuietTimes.of(config))


def compose(text: str, *, config: Configuration, prefs: ChannelPreferences, raw_number: str | None,
            requested_type: int | None = None, requested_sender: str | None = None,
            personal_sender: str | None = None, requested_cheaper: bool | None = None,
            number_required: bool = True, max_length: int = PROVIDER_MAX_LENGTH) -> ComposedSms:
    """The SMS one recipient gets (unit, workflow). Raises SmsRejected naming the first rule it breaks,
    in this order: sender, number, STOP mention, empty, length. `requested_cheaper`: the SMS's own
    cheaper-text choice (None: the configuration's)."""
    sms_type = choose_type(requested_type, prefs)
    sender = choose_sender(requested_sender, prefs, personal_sender)
    number = phone_number(raw_number, config) if (raw_number or number_required) else None
    text = apply_stop_rule(text.strip(), sms_type, number, config)
    cheaper_text = cheaper_form(text, config, requested_cheaper)
    text = cheaper_text.text if cheaper_text else text
    check_text(text, text_budget(max_length, config))
    stats = analyze(text)
    return ComposedSms(text, stats, sms_type, sender, number, cheaper_warning(cheaper_text) + text_warnings(stats),
                       with_replies=replies_wanted(sender, config))


def text_warnings(stats: TextStats, lang: str = "en") -> list[str]:
    """What the user should know before sending: Unicode, several SMS."""
    warnings = []
    if stats.encoding == "UCS-2":
        warnings.append(say(lang, "unicode", chars=" ".join(stats.non_gsm[:10])))
    if stats.segments > 1:
        warnings.append(say(lang, "several_sms", segments=stats.segments))
    return warnings

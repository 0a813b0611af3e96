"""The organisation's SMS preferences (DESIGN §4): non-secret, edited by admins in the CRM.

The domain model only; `connector.crm.configuration` reads it from the `smsc_configuration` row,
where a missing row or column falls back to these defaults (the guide's).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from connector.sms.port import SmsType


class ChannelPreferences(BaseModel):
    """What users may choose for one channel (unit SMS or campaign), and the defaults."""
    allow_type_choice: bool
    default_type: SmsType
    allow_sender_choice: bool
    default_sender: str | None


class Configuration(BaseModel):
    model_config = ConfigDict(frozen=True)

    unit: ChannelPreferences = ChannelPreferences(
        allow_type_choice=True, default_type=SmsType.TRANSACTIONAL,
        allow_sender_choice=True, default_sender=None)
    campaign: ChannelPreferences = ChannelPreferences(
        allow_type_choice=True, default_type=SmsType.MARKETING,
        allow_sender_choice=True, default_sender=None)
    stop_text: str = "STOP au 30101"
    append_stop: bool = False
    stop_on_new_line: bool = True                   # the appended mention after a line break, else a space
    exclude_optouts: bool = True
    default_country: str = Field(default="FR", min_length=2, max_length=2)
    warn_threshold: int | None = None
    quotas_enabled: bool = False
    # Below this many SMS left (to the default country, connector.low_credit), every preview and send
    # warns and the admins are notified once: « Alerte crédit » (seed 004). Empty or 0: no alert.
    low_credit_threshold: int | None = None
    campaign_duration_hours: int = 72
    quiet_hours: tuple[int, int] | None = None      # (start hour, end hour), local time
    quiet_sundays: bool = False                     # empty columns mean no quiet day (DESIGN §7)
    quiet_holidays: bool = False                    # public holidays of the recipient's country
    test_numbers: tuple[str, ...] = ()              # internal numbers a campaign test goes to
    consent_column: str | None = None               # a column of the recipient: connector.consent
    cheaper_text: bool = False                      # replace costly (non GSM-7) characters: connector.text.cheaper
    max_text_length: int | None = Field(default=None, ge=1)   # the organisation's budget per SMS (seed 003: 149)
    international_prefix: str = Field(default="00", pattern=r"^\d{1,4}$")   # what users dial abroad
    # The loop back (replies, STOP/START, undeliverable numbers).
    replies_allowed: bool = True
    reply_window_hours: int = 48                    # a reply is threaded to an SMS sent this recently
    stop_keywords: tuple[str, ...] = ("STOP", "STOP SMS", "ARRET", "ARRÊT", "DESINSCRIRE", "DÉSINSCRIRE",
                                      "DESABONNER", "DÉSABONNER", "UNSUBSCRIBE", "STOPALL", "END", "QUIT")
    start_keywords: tuple[str, ...] = ("START", "UNSTOP", "REPRISE", "ABONNER")
    undeliverable_after: int = 3                    # consecutive undeliverable sends before an opt-out
    unknown_reply_creates_lead: bool = False


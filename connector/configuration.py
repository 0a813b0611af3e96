"""The organisation's SMS preferences: the one `smsc_configuration` row (DESIGN §4).

Non-secret, edited by admins in the CRM. A missing row or column falls back to the guide's defaults.
"""
from __future__ import annotations

import threading
import time

from pydantic import BaseModel, ConfigDict, Field

from connector.crm.port import Crm
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
    exclude_optouts: bool = True
    default_country: str = Field(default="FR", min_length=2, max_length=2)
    warn_threshold: int | None = None
    quotas_enabled: bool = False
    campaign_duration_hours: int = 72
    quiet_hours: tuple[int, int] | None = None      # (start hour, end hour), local time

    @classmethod
    def from_row(cls, row: dict) -> "Configuration":
        def value(column, default):
            found = row.get(column)
            return default if found is None else found

        defaults = cls()

        def channel(prefix: str, fallback: ChannelPreferences) -> ChannelPreferences:
            return ChannelPreferences(
                allow_type_choice=value(f"smsc_{prefix}allowtypechoice", fallback.allow_type_choice),
                default_type=value(f"smsc_{prefix}defaultsmstype", fallback.default_type),
                allow_sender_choice=value(f"smsc_{prefix}allowsenderchoice", fallback.allow_sender_choice),
                default_sender=value(f"smsc_{prefix}defaultsender", fallback.default_sender) or None)

        start, end = row.get("smsc_quiethoursstart"), row.get("smsc_quiethoursend")
        return cls(
            unit=channel("unit", defaults.unit), campaign=channel("campaign", defaults.campaign),
            stop_text=value("smsc_stoptext", defaults.stop_text),
            append_stop=value("smsc_appendstop", defaults.append_stop),
            exclude_optouts=value("smsc_excludeoptouts", defaults.exclude_optouts),
            default_country=str(value("smsc_defaultcountry", defaults.default_country)).upper(),
            warn_threshold=row.get("smsc_warnthreshold"),
            quotas_enabled=value("smsc_quotasenabled", defaults.quotas_enabled),
            campaign_duration_hours=value("smsc_campaignduration", defaults.campaign_duration_hours),
            quiet_hours=(start, end) if start is not None and end is not None else None)


COLUMNS = (
    "smsc_unitallowtypechoice", "smsc_unitdefaultsmstype", "smsc_unitallowsenderchoice",
    "smsc_unitdefaultsender", "smsc_campaignallowtypechoice", "smsc_campaigndefaultsmstype",
    "smsc_campaignallowsenderchoice", "smsc_campaigndefaultsender", "smsc_stoptext",
    "smsc_appendstop", "smsc_excludeoptouts", "smsc_defaultcountry", "smsc_warnthreshold",
    "smsc_quotasenabled", "smsc_campaignduration", "smsc_quiethoursstart", "smsc_quiethoursend",
)


CACHE_SECONDS = 60          # an admin's change applies within a minute; saves a read per SMS
_cache: dict[str, tuple[float, Configuration]] = {}
_cache_lock = threading.Lock()


def forget_configuration() -> None:
    with _cache_lock:
        _cache.clear()


def load_configuration(crm: Crm) -> Configuration:
    """The first configuration row (the installer creates exactly one), or the defaults."""
    org = getattr(crm, "api_url", None)
    with _cache_lock:
        cached = _cache.get(org) if org else None
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    rows = crm.retrieve_multiple("smsc_configurations", select=COLUMNS, orderby="createdon asc", top=1)
    row = next(iter(rows), None)
    config = Configuration.from_row(row) if row else Configuration()
    if org:
        with _cache_lock:
            _cache[org] = (time.monotonic(), config)
    return config

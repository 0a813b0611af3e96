"""The `smsc_configuration` row (DESIGN §4) as a `Configuration`, kept a minute per organisation."""
from __future__ import annotations

import re

from connector.configuration import ChannelPreferences, Configuration
from connector.crm.port import Crm
from connector.crm.ttl_cache import TtlCache

CONFIGURATION_SET = "smsc_configurations"
COLUMNS = (
    "smsc_unitallowtypechoice", "smsc_unitdefaultsmstype", "smsc_unitallowsenderchoice",
    "smsc_unitdefaultsender", "smsc_campaignallowtypechoice", "smsc_campaigndefaultsmstype",
    "smsc_campaignallowsenderchoice", "smsc_campaigndefaultsender", "smsc_stoptext",
    "smsc_appendstop", "smsc_excludeoptouts", "smsc_defaultcountry", "smsc_warnthreshold",
    "smsc_quotasenabled", "smsc_campaignduration", "smsc_quiethoursstart", "smsc_quiethoursend",
    "smsc_repliesallowed", "smsc_replywindow", "smsc_stopkeywords", "smsc_startkeywords",
    "smsc_consecutivefailures", "smsc_unknownreplycreateslead", "smsc_stopseparator",
    "smsc_quietsundays", "smsc_quietholidays", "smsc_overseasprefix", "smsc_cheapertext", "smsc_maxtextlength",
    "smsc_consentcolumn", "smsc_testnumbers", "smsc_lowcreditthreshold",
)
STOP_ON_SPACE = 2           # smsc_stopseparator: 1 Line break, 2 Space
CACHE_SECONDS = 60          # an admin's change applies within a minute; saves a read per SMS
_cache: TtlCache[Configuration] = TtlCache(CACHE_SECONDS)


def configuration_from_row(row: dict) -> Configuration:
    def value(column, default):
        found = row.get(column)
        return default if found is None else found

    defaults = Configuration()

    def channel(prefix: str, fallback: ChannelPreferences) -> ChannelPreferences:
        return ChannelPreferences(
            allow_type_choice=value(f"smsc_{prefix}allowtypechoice", fallback.allow_type_choice),
            default_type=value(f"smsc_{prefix}defaultsmstype", fallback.default_type),
            allow_sender_choice=value(f"smsc_{prefix}allowsenderchoice", fallback.allow_sender_choice),
            default_sender=value(f"smsc_{prefix}defaultsender", fallback.default_sender) or None)

    start, end = row.get("smsc_quiethoursstart"), row.get("smsc_quiethoursend")
    return Configuration(
        unit=channel("unit", defaults.unit), campaign=channel("campaign", defaults.campaign),
        stop_text=value("smsc_stoptext", defaults.stop_text),
        append_stop=value("smsc_appendstop", defaults.append_stop),
        stop_on_new_line=row.get("smsc_stopseparator") != STOP_ON_SPACE,
        exclude_optouts=value("smsc_excludeoptouts", defaults.exclude_optouts),
        default_country=str(value("smsc_defaultcountry", defaults.default_country)).upper(),
        warn_threshold=row.get("smsc_warnthreshold"),
        quotas_enabled=value("smsc_quotasenabled", defaults.quotas_enabled),
        low_credit_threshold=row.get("smsc_lowcreditthreshold") or None,
        campaign_duration_hours=value("smsc_campaignduration", defaults.campaign_duration_hours),
        quiet_hours=(start, end) if start is not None and end is not None else None,
        quiet_sundays=value("smsc_quietsundays", defaults.quiet_sundays),
        quiet_holidays=value("smsc_quietholidays", defaults.quiet_holidays),
        test_numbers=keyword_list(row.get("smsc_testnumbers")),
        consent_column=(row.get("smsc_consentcolumn") or "").strip().lower() or None,
        cheaper_text=value("smsc_cheapertext", defaults.cheaper_text),
        max_text_length=row.get("smsc_maxtextlength") or None,
        international_prefix=international_prefix(row.get("smsc_overseasprefix"), defaults.international_prefix),
        replies_allowed=value("smsc_repliesallowed", defaults.replies_allowed),
        reply_window_hours=value("smsc_replywindow", defaults.reply_window_hours),
        stop_keywords=keyword_list(row.get("smsc_stopkeywords")) or defaults.stop_keywords,
        start_keywords=keyword_list(row.get("smsc_startkeywords")) or defaults.start_keywords,
        undeliverable_after=value("smsc_consecutivefailures", defaults.undeliverable_after),
        unknown_reply_creates_lead=value("smsc_unknownreplycreateslead", defaults.unknown_reply_creates_lead))


def international_prefix(column: str | None, default: str) -> str:
    """The dialling prefix as admins type it (`00`, `011`, `+`-less); a value that is not one is ignored
    rather than failing every send (the form's own validation is the place to refuse it)."""
    digits = (column or "").strip().lstrip("+")
    return digits if digits.isdigit() and len(digits) <= 4 else default


def keyword_list(column: str | None) -> tuple[str, ...]:
    """Keywords as admins type them in one text column: separated by commas or semicolons."""
    return tuple(word.strip() for word in re.split(r"[,;]", column or "") if word.strip())


def forget_configuration() -> None:
    _cache.clear()


class DataverseConfiguration:
    """The first configuration row (the installer creates exactly one), or the defaults."""

    def __init__(self, crm: Crm):
        self.crm = crm

    def get(self) -> Configuration:
        org = getattr(self.crm, "api_url", None)
        return _cache.lookup(org, self._read) if org else self._read()

    def _read(self) -> Configuration:
        rows = self.crm.retrieve_multiple(CONFIGURATION_SET, select=COLUMNS, orderby="createdon asc", top=1)
        row = next(iter(rows), None)
        return configuration_from_row(row) if row else Configuration()

    def probe(self) -> None:
        """One uncached read of the configuration table: Dataverse answers and the schema is installed."""
        next(iter(self.crm.retrieve_multiple(CONFIGURATION_SET, select=["smsc_configurationid"], top=1)), None)

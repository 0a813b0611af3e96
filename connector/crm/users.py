"""CRM users as the connector reads them: personal options (`usersettings`) and names."""
from __future__ import annotations

import time

from tzlocal.windows_tz import win_tz

from connector.crm.port import Crm, CrmError
from connector.repositories.users import UserFormat

# Dataverse `uilanguageid` (LCID) -> locale used to format money and dates.
LOCALES = {1036: "fr_FR", 1033: "en_US", 2057: "en_GB", 2060: "fr_BE", 3084: "fr_CA", 4108: "fr_CH",
           1031: "de_DE", 1034: "es_ES", 3082: "es_ES", 1040: "it_IT", 1043: "nl_NL", 2070: "pt_PT"}
FORMAT_SECONDS = 60        # one read serves the preview, the send and its error message
_zones: dict[int, str | None] = {}      # Dataverse timezonecode -> IANA name (the catalogue is fixed)
_formats: dict[tuple[str | None, str], tuple[float, UserFormat]] = {}


def forget_user_formats() -> None:
    _formats.clear()


def time_zone(crm: Crm, code: int | None) -> str | None:
    """The IANA zone of a Dataverse `timezonecode`: its Windows name, mapped by CLDR's table."""
    if code is None:
        return None
    if code not in _zones:
        rows = crm.retrieve_multiple("timezonedefinitions", select=["standardname"], top=1,
                                     filter=f"timezonecode eq {int(code)}")
        row = next(iter(rows), None)
        _zones[code] = win_tz.get(row.get("standardname", "")) if row else None
    return _zones[code]


class DataverseUsers:
    def __init__(self, crm: Crm):
        self.crm = crm

    def user_format(self, user_id: str | None) -> UserFormat:
        """Locale, date and time formats and time zone of the user (their personal options), so that
        merged dates read as they do in the CRM. Kept a minute per user."""
        if not user_id:
            return UserFormat()
        key = (getattr(self.crm, "api_url", None), user_id)
        cached = _formats.get(key)
        if cached and time.monotonic() - cached[0] < FORMAT_SECONDS:
            return cached[1]
        try:
            row = self.crm.retrieve("usersettingscollection", user_id,
                                    select=["uilanguageid", "dateformatstring", "timeformatstring", "timezonecode"])
            zone = time_zone(self.crm, row.get("timezonecode"))
        except CrmError:
            return UserFormat()
        found = UserFormat(locale=LOCALES.get(row.get("uilanguageid", 0), "en_US"),
                           date_format=row.get("dateformatstring") or None,
                           time_format=row.get("timeformatstring") or None, time_zone=zone)
        _formats[key] = (time.monotonic(), found)
        return found

    def full_name(self, user_id: str | None) -> str | None:
        if not user_id:
            return None
        return self.crm.retrieve("systemusers", user_id, select=["fullname"]).get("fullname") or None


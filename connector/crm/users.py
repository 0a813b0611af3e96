"""CRM users as the connector reads them: personal options (`usersettings`) and names."""
from __future__ import annotations


import logging

from tzlocal.windows_tz import win_tz

from connector.crm.dataverse import DataverseClient
from connector.crm.port import Crm, CrmError
from connector.crm.ttl_cache import TtlCache
from connector.repositories.users import UserFormat

# Dataverse `uilanguageid` (LCID) -> locale used to format money and dates.
LOCALES = {1036: "fr_FR", 1033: "en_US", 2057: "en_GB", 2060: "fr_BE", 3084: "fr_CA", 4108: "fr_CH",
           1031: "de_DE", 1034: "es_ES", 3082: "es_ES", 1040: "it_IT", 1043: "nl_NL", 2070: "pt_PT"}
FORMAT_SECONDS = 60        # one read serves the preview, the send and its error message
_zones: dict[int, str | None] = {}      # Dataverse timezonecode -> IANA name (the catalogue is fixed)
_formats: TtlCache[UserFormat] = TtlCache(FORMAT_SECONDS)
_senders: TtlCache[str | None] = TtlCache(FORMAT_SECONDS)
_callers: TtlCache[str | None] = TtlCache(60)     # (organisation, impersonated user) -> systemuserid
TEAMS = "teammembership_association"       # systemuser <-> team (N:N)
log = logging.getLogger(__name__)


def forget_user_formats() -> None:
    _formats.clear()
    _senders.clear()
    _callers.clear()


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


def calling_user(crm: Crm) -> str | None:
    """The systemuserid the client's requests run as (`WhoAmI`), kept a minute; None off the Web API."""
    if not isinstance(crm, DataverseClient):
        return None
    return _callers.lookup((crm.api_url, crm._caller),
                           lambda: crm._get_json(crm._url("WhoAmI")).get("UserId"))


class DataverseUsers:
    def __init__(self, crm: Crm):
        self.crm = crm

    def user_format(self, user_id: str | None) -> UserFormat:
        """Locale, date and time formats and time zone of the user (their personal options), so that
        merged dates read as they do in the CRM. Kept a minute per user."""
        if not user_id:
            return UserFormat()
        try:
            return _formats.lookup((getattr(self.crm, "api_url", None), user_id), lambda: self._read(user_id))
        except CrmError:
            return UserFormat()

    def acting_format(self, user_id: str | None = None) -> UserFormat:
        """The options of `user_id`, else of the user the requests run as (the app user: `WhoAmI`), for a
        command or call that names no user (smsc campaign / stats, GET /api/stats)."""
        return self.user_format(user_id or calling_user(self.crm))

    def _read(self, user_id: str) -> UserFormat:
        row = self.crm.retrieve("usersettingscollection", user_id,
                                select=["uilanguageid", "dateformatstring", "timeformatstring", "timezonecode"])
        return UserFormat(locale=LOCALES.get(row.get("uilanguageid", 0), "en_US"),
                          date_format=row.get("dateformatstring") or None,
                          time_format=row.get("timeformatstring") or None,
                          time_zone=time_zone(self.crm, row.get("timezonecode")))

    def default_sender(self, user_id: str | None) -> str | None:
        """`systemuser.smsc_defaultsender`, else the first of the user's teams (by name) that has one.
        Kept a minute per user; None when unreadable (e.g. the solution's columns not installed yet)."""
        if not user_id:
            return None
        try:
            return _senders.lookup((getattr(self.crm, "api_url", None), "sender", user_id),
                                   lambda: self._read_sender(user_id))
        except CrmError as error:
            log.warning("default sender of user %s not read: %s", user_id, error)
            return None

    def _read_sender(self, user_id: str) -> str | None:
        own = self.crm.retrieve("systemusers", user_id, select=["smsc_defaultsender"]).get("smsc_defaultsender")
        if own and own.strip():
            return own.strip()
        teams = sorted(self.crm.related("systemusers", user_id, TEAMS, select=["name", "smsc_defaultsender"]),
                       key=lambda team: (team.get("name") or "").lower())
        return next((t["smsc_defaultsender"].strip() for t in teams
                     if t.get("smsc_defaultsender") and t["smsc_defaultsender"].strip()), None)

    def full_name(self, user_id: str | None) -> str | None:
        if not user_id:
            return None
        return self.crm.retrieve("systemusers", user_id, select=["fullname"]).get("fullname") or None


"""The text of an SMS: typed by the user or taken from a published template, merged with the
recipient's record in the user's language and date format."""
from __future__ import annotations

import time

from tzlocal.windows_tz import win_tz

from connector.compose import SmsRejected
from connector.crm.port import Crm, CrmError
from connector.recipients import RecipientRecord, load_recipient
from connector.text.templates import compile_template, from_legacy, record_context

TEMPLATE_SET = "smsc_smstemplates"
PUBLISHED = 2
# Dataverse `uilanguageid` (LCID) -> locale used to format money and dates.
LOCALES = {1036: "fr_FR", 1033: "en_US", 2057: "en_GB", 2060: "fr_BE", 3084: "fr_CA", 4108: "fr_CH",
           1031: "de_DE", 1034: "es_ES", 3082: "es_ES", 1040: "it_IT", 1043: "nl_NL", 2070: "pt_PT"}


def has_merge_fields(text: str) -> bool:
    return "{{" in text or "{%" in text


def template_text(crm: Crm, template_id: str, table: str) -> str:
    row = crm.retrieve(TEMPLATE_SET, template_id,
                       select=["smsc_name", "smsc_text", "smsc_templatestatus", "smsc_entity"])
    name = row.get("smsc_name")
    if row.get("smsc_templatestatus") != PUBLISHED:
        raise SmsRejected("template_unpublished", name=name)
    if row.get("smsc_entity") and row["smsc_entity"] != table:
        raise SmsRejected("template_other_table", name=name, entity=row["smsc_entity"], table=table)
    text = row.get("smsc_text") or ""
    # Templates imported from the former Octopush solution use `[lastname]` merge fields.
    return text if has_merge_fields(text) else from_legacy(text)


_zones: dict[int, str | None] = {}      # Dataverse timezonecode -> IANA name (the catalogue is fixed)


def time_zone(crm: Crm, code: int | None) -> str | None:
    """The IANA zone of a Dataverse `timezonecode`: its Windows name, mapped by CLDR's table."""
    if code is None:
        return None
    if code not in _zones:
        rows = crm.retrieve_multiple("timezonedefinitions", select=["standardname"], top=1,
                                     filter=f"timezonecode eq {int(code)}")
        row = next(iter(rows), None)
        _zones[code] = win_tz.get(row.get("standardname")) if row else None
    return _zones[code]


FORMAT_SECONDS = 60        # one read serves the preview, the send and its error message
_formats: dict[tuple[str | None, str], tuple[float, dict]] = {}


def user_format(crm: Crm, user_id: str | None) -> dict:
    """Locale, date and time formats and time zone of the user who sends (their personal options),
    so that merged dates read as they do in the CRM. Kept a minute per user."""
    if not user_id:
        return {"locale": "fr_FR"}
    key = (getattr(crm, "api_url", None), user_id)
    cached = _formats.get(key)
    if cached and time.monotonic() - cached[0] < FORMAT_SECONDS:
        return dict(cached[1])
    try:
        row = crm.retrieve("usersettingscollection", user_id,
                           select=["uilanguageid", "dateformatstring", "timeformatstring", "timezonecode"])
        zone = time_zone(crm, row.get("timezonecode"))
    except CrmError:
        return {"locale": "fr_FR"}
    found = {"locale": LOCALES.get(row.get("uilanguageid"), "en_US"),
             "date_format": row.get("dateformatstring") or None,
             "time_format": row.get("timeformatstring") or None, "time_zone": zone}
    _formats[key] = (time.monotonic(), found)
    return dict(found)


def forget_user_formats() -> None:
    _formats.clear()


def render_for(crm: Crm, text: str | None, template_id: str | None, table: str, record_id: str,
               user_id: str | None) -> tuple[str, RecipientRecord]:
    """The merged text and the recipient it was merged with."""
    source = text or ""
    if not source.strip() and template_id:
        source = template_text(crm, template_id, table)
    if not has_merge_fields(source):
        return source, load_recipient(crm, table, record_id)
    template = compile_template(source)
    recipient = load_recipient(crm, table, record_id, template.fields)
    context = record_context(recipient.row, recipient.lookups)
    return template.render(context, **user_format(crm, user_id)), recipient


def render_text(crm: Crm, activity: dict, reference: tuple[str, str],
                user_id: str | None) -> tuple[str, RecipientRecord]:
    table, record_id = reference
    if activity.get("_smsc_workflowid_value"):
        # A hook workflow merged its text with the triggering record already: a `{{` in a
        # customer's data must not be read as a merge field.
        return activity.get("description") or "", load_recipient(crm, table, record_id)
    return render_for(crm, activity.get("description"), activity.get("_smsc_templateid_value"),
                      table, record_id, user_id)

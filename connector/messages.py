"""The text of an SMS: typed by the user or taken from a published template, merged with the
recipient's record in the user's language and date format."""
from __future__ import annotations

from connector.compose import SmsRejected
from connector.crm.port import Crm
from connector.recipients import RecipientRecord, load_recipient
from connector.text.templates import compile_template, from_legacy, record_context

TEMPLATE_SET = "smsc_smstemplates"
PUBLISHED = 2


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


def user_format(crm: Crm, user_id: str | None) -> dict:
    """Transitional: callers move to `Users.user_format` (connector.repositories.users)."""
    from connector.crm.users import user_format_dict

    return user_format_dict(crm, user_id)


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

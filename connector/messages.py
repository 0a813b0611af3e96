"""The text of an SMS: typed by the user or taken from a published template, merged with the
recipient's record in the user's language and date format."""
from __future__ import annotations

from connector.recipients import RecipientRecord, load_recipient
from connector.repositories.sending import SendingRepositories
from connector.repositories.sms_activities import RowRef, SmsActivity
from connector.repositories.templates import SmsTemplate, Templates
from connector.send_policy import SmsRejected
from connector.text.templates import compile_template, from_legacy


def has_merge_fields(text: str) -> bool:
    return "{{" in text or "{%" in text


def merge_source(text: str) -> str:
    """The text as a template: `{{ field }}` as is; the former Octopush solution's `[lastname]` fields
    (templates it imported, texts users type as in campaigns) converted, never sent literally."""
    return text if has_merge_fields(text) else from_legacy(text)


def _source(template: SmsTemplate) -> str:
    return merge_source(template.text)


def template_source(templates: Templates, template_id: str, table: str) -> str:
    """The text of a template chosen by id; SmsRejected when it is not published or for another table."""
    template = templates.get(template_id)
    if not template.published:
        raise SmsRejected("template_unpublished", name=template.name)
    if template.table and template.table != table:
        raise SmsRejected("template_other_table", name=template.name, entity=template.table, table=table)
    return _source(template)


def named_template_source(templates: Templates, name: str, table: str) -> str:
    """The text of the published template `name` (workflows name theirs); SmsRejected when there is
    none, or it is for another table."""
    template = templates.published_named(name)
    if template is None:
        raise SmsRejected("no_template_named", name=name)
    if template.table and template.table != table:
        raise SmsRejected("template_other_table", name=name, entity=template.table, table=table)
    return _source(template)


def render_for(sending: SendingRepositories, text: str | None, template_id: str | None, table: str,
               record_id: str, user_id: str | None) -> tuple[str, RecipientRecord]:
    """The merged text and the recipient it was merged with."""
    source = text or ""
    if not source.strip() and template_id:
        source = template_source(sending.templates, template_id, table)
    source = merge_source(source)
    if not has_merge_fields(source):
        return source, load_recipient(sending.recipients, table, record_id)
    template = compile_template(source)
    recipient = load_recipient(sending.recipients, table, record_id, template.fields)
    options = sending.users.user_format(user_id).render_options()
    return template.render(recipient.merge_values, **options), recipient   # type: ignore[arg-type]


def render_text(sending: SendingRepositories, activity: SmsActivity, reference: RowRef,
                user_id: str | None) -> tuple[str, RecipientRecord]:
    table, record_id = reference
    if activity.workflow_id:
        # A hook workflow merged its text with the triggering record already: a `{{` in a
        # customer's data must not be read as a merge field.
        return activity.text or "", load_recipient(sending.recipients, table, record_id)
    return render_for(sending, activity.text, activity.template_id, table, record_id, user_id)

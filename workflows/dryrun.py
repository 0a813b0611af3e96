"""Dry-run of a workflow definition on one record: what it would do, sending nothing, writing nothing.

The event is made up from the record as it is now: the message the trigger listens to (or the one
given), the record's columns as the operation's Target and, for a status change leaving a given
status, that status as the record's previous state. The answer says whether the trigger and the
conditions matched, which branches were taken, and each SMS that would go: its recipient and
number, and its text with the merge fields filled in and the STOP rule applied, as the send would.
"""
from __future__ import annotations

from typing import Any

from connector.clock import utcnow
from connector.crm.webhook import EntityRef
from connector.messages import named_template_source
from connector.optout import refuses
from connector.recipients import RecipientError, load_recipient
from connector.repositories.records import Records
from connector.repositories.sending import SendingRepositories
from connector.repositories.workflows import WorkflowRepositories
from connector.send_policy import PROVIDER_MAX_LENGTH, SmsRejected, compose
from connector.text.templates import TemplateError
from workflows.conditions import RecordSnapshot, evaluate
from workflows.definition import IfStep, WorkflowDefinition, load_definition
from workflows.issues import ValidationIssue
from workflows.plan import PlannedSms, plan
from workflows.recipients import merge_text, resolve_recipient
from workflows.records import needed_columns, read_values
from workflows.schema import StaticTableSchema, TableSchema
from workflows.triggers import INBOUND, SCHEDULE, HookEvent, matches
from workflows.validation import validate

TRIGGER_MESSAGES = {"create": "Create", "update": "Update", "status_change": "Update", "assign": "Update",
                    "delete": "Delete", "schedule": SCHEDULE, "inbound": INBOUND}


def dry_run(repositories: WorkflowRepositories, definition_yaml: str, table: str, record_id: str, *,
            message: str | None = None, user_id: str | None = None, schema: TableSchema | None = None,
            now=None) -> dict:
    """What `definition_yaml` would do on the record; `{"valid": False, "issues": [...]}` when it is
    not a valid definition for `table` (checked against `schema`, the static one when None).
    Raises RecordNotFound when the record does not exist."""
    issues: list[Any] = list(validate(definition_yaml, schema or StaticTableSchema()))
    definition = None if issues else load_definition(definition_yaml)
    if definition is not None and definition.entity != table:
        issues = [ValidationIssue("entity", f"the definition is for {definition.entity}, not {table}")]
    if issues or definition is None:
        return {"valid": False, "issues": [_issue(issue) for issue in issues]}
    now = now or utcnow()
    records, sending = repositories.records, repositories.sending
    values = read_values(records, table, record_id, needed_columns(definition))
    event = synthetic_event(definition, table, record_id, values, message)
    snapshot = RecordSnapshot(event.pre, values, now)
    # The SMS are shown even when the record is not at the trigger's moment (an order not yet
    # fulfilled): the admin sees what would go when it is.
    planned = plan(definition, None, snapshot)
    return {"valid": True, "issues": [], "workflow": definition.name, "entity": table, "id": record_id,
            "message": event.message, "trigger": {"event": definition.trigger.event,
                                                  "matched": matches(definition.trigger, event)},
            "conditions": conditions_report(definition, snapshot),
            "sms": [_sms(records, sending, table, record_id, values, sms, user_id) for sms in planned],
            "sent": False}


def _issue(issue: Any) -> dict:
    return issue if isinstance(issue, dict) else {"path": issue.path, "message": issue.message}


def synthetic_event(definition: WorkflowDefinition, table: str, record_id: str, values: dict,
                    message: str | None) -> HookEvent:
    trigger = definition.trigger
    message = message or TRIGGER_MESSAGES[trigger.event]
    pre = None
    if trigger.event == "status_change" and trigger.from_ is not None:
        codes = trigger.from_
        pre = {**values, "statecode": codes.statecode,
               "statuscode": codes.statuscode[0] if codes.statuscode else None}
    target = {k: v for k, v in values.items() if k != f"{table}id"}
    text = trigger.keywords[0] if trigger.event == "inbound" else None      # as if its first keyword came in
    return HookEvent(message, table, record_id, target, pre, text=text)


def conditions_report(definition: WorkflowDefinition, snapshot: RecordSnapshot) -> list[dict]:
    """Each condition on the way, by path, and whether it held."""
    report = []
    query = getattr(definition.trigger, "query", None)
    if query is not None:
        report.append({"path": "trigger.query", "matched": evaluate(query, snapshot)})
    if definition.condition is not None:
        report.append({"path": "condition", "matched": evaluate(definition.condition, snapshot)})
    return report + _branches(definition.steps, "steps", snapshot)


def _branches(steps: list, path: str, snapshot: RecordSnapshot) -> list[dict]:
    report = []
    for i, step in enumerate(steps):
        if not isinstance(step, IfStep):
            continue
        here = f"{path}[{i}]"
        tests = [(f"{here}.if", step.if_, step.then, f"{here}.then")] + [
            (f"{here}.elif[{j}].if", b.if_, b.then, f"{here}.elif[{j}].then") for j, b in enumerate(step.elif_)]
        for where, condition, then, then_path in tests:
            held = evaluate(condition, snapshot)
            report.append({"path": where, "matched": held})
            if held:
                report += _branches(then, then_path, snapshot)
                break
        else:
            report += _branches(step.else_, f"{here}.else", snapshot)
    return report


def _sms(records: Records, sending: SendingRepositories, table: str, record_id: str, values: dict,
         sms: PlannedSms, user_id: str | None) -> dict:
    answer: dict[str, Any] = {"step": sms.step_path, "recipient_path": sms.recipient_path,
                              "sms_type": sms.sms_type, "sender": sms.sender}
    try:
        recipient = resolve_recipient(records, table, record_id, values, sms.recipient_path)
        answer["recipient"] = _recipient(sending, recipient)
        source = sms.template_text or named_template_source(sending.templates, sms.template or "", table)
        text = merge_text(records, source, table, record_id, values,
                          sending.users.user_format(user_id).render_options())
        answer["text"] = text
        config = sending.configuration.get()
        composed = compose(text, config=config, prefs=config.unit, raw_number=answer["recipient"]["mobile"],
                           requested_type=1 if sms.sms_type == "marketing" else 2, requested_sender=sms.sender,
                           max_length=PROVIDER_MAX_LENGTH)
    except (RecipientError, TemplateError, SmsRejected) as error:
        answer["error"] = str(error)
        return answer
    answer.update(text=composed.text, phone_number=composed.phone_number, encoding=composed.stats.encoding,
                  segments=composed.stats.segments, warnings=composed.warnings,
                  opted_out=refuses(composed.phone_number, config, sending.optouts))
    return answer


def _recipient(sending: SendingRepositories, ref: EntityRef) -> dict:
    found = load_recipient(sending.recipients, ref.logical_name, ref.id)
    return {"entity": ref.logical_name, "id": ref.id, "name": found.name, "mobile": found.mobile}

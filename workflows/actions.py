"""A workflow's `send_sms`: one SMS activity per workflow + record + event + step, then the unit send.

The activity is created with its idempotency key (the alternate key `smsc_idempotencykey`), so a
redelivered event, a second timer run or a rival instance finds the key taken and sends nothing;
the unit-SMS service (connector.unit_sms) then takes it with an ETag, sends it once and writes the
outcome back. A problem found before the send (no recipient, a merge error, an unknown template)
becomes a Failed activity on the triggering record, where users see it, under the same key.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from connector.activity import ACTIVITY_SET, PARTIES, PARTY_TO, SmsStatus
from connector.compose import SmsRejected
from connector.crm.port import Crm, DuplicateRecord, entity_set
from connector.crm.webhook import EntityRef
from connector.messages import PUBLISHED, TEMPLATE_SET, from_legacy, has_merge_fields
from connector.user_texts import language_of, say
from connector.sms.port import SmsProvider, SmsType
from connector.text.templates import TemplateError
from connector.clock import utcnow
from connector.idempotency import workflow_key
from connector.unit_sms import UnitSmsService
from workflows.plan import PlannedSms
from workflows.recipients import merge_text, resolve_recipient



@dataclass(frozen=True)
class HookOutcome:
    """What one workflow did (or why it did nothing) for one event or one scheduled record."""
    workflow_id: str | None
    workflow: str | None               # its name
    outcome: str                       # sent | scheduled | failed | already-handled | ignored | skipped
    detail: str | None = None
    activity_id: str | None = None
    step: str | None = None            # the send_sms step: steps[0].elif[0].then[0]
    record_id: str | None = None

    def as_dict(self) -> dict:
        return {name: value for name, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class WorkflowRun:
    """One workflow on one record for one event (or one schedule period)."""
    workflow_id: str
    workflow_name: str
    table: str
    record_id: str | None
    values: Mapping[str, Any]          # the record after the event, plain values
    event_key: str                     # 1>3, create, delete, assign:<owner>, <OperationId>, <period start>
    user_id: str | None = None
    record_exists: bool = True         # False after a Delete: no regarding, nothing more to read
    text_format: Mapping[str, Any] = field(default_factory=dict)   # the user's locale and date format


def named_template(crm: Crm, name: str, table: str) -> str:
    """The text of the published SMS template `name`; SmsRejected when there is none for `table`."""
    quoted = name.replace("'", "''")
    rows = list(crm.retrieve_multiple(
        TEMPLATE_SET, select=["smsc_text", "smsc_entity"], top=1,
        filter=f"smsc_name eq '{quoted}' and smsc_templatestatus eq {PUBLISHED}"))
    if not rows:
        raise SmsRejected("no_template_named", name=name)
    if rows[0].get("smsc_entity") and rows[0]["smsc_entity"] != table:
        raise SmsRejected("template_other_table", name=name, entity=rows[0]["smsc_entity"], table=table)
    text = rows[0].get("smsc_text") or ""
    return text if has_merge_fields(text) else from_legacy(text)


def activity_body(run: WorkflowRun, planned: PlannedSms, key: str, text: str, recipient: EntityRef | None,
                  error: str | None = None) -> dict:
    sms_type = SmsType.MARKETING if planned.sms_type == "marketing" else SmsType.TRANSACTIONAL
    status = SmsStatus.FAILED if error else SmsStatus.SEND_REQUESTED
    body = {"subject": run.workflow_name[:200], "description": text, "smsc_status": int(status),
            "smsc_direction": 1, "smsc_smstype": int(sms_type), "smsc_idempotencykey": key,
            "smsc_WorkflowId@odata.bind": f"/smsc_workflows({run.workflow_id})"}
    if planned.sender:
        body["smsc_sender"] = planned.sender
    if error:
        body["smsc_error"] = error[:2000]
    if run.record_exists and run.record_id:
        body[f"regardingobjectid_{run.table}_smsc_textmessage@odata.bind"] = \
            f"/{entity_set(run.table)}({run.record_id})"
    if recipient is not None:
        body[PARTIES] = [{"participationtypemask": PARTY_TO, f"partyid_{recipient.logical_name}@odata.bind":
                          f"/{entity_set(recipient.logical_name)}({recipient.id})"}]
    return body


class SmsActions:
    def __init__(self, crm: Crm, provider: SmsProvider, clock: Callable = utcnow):
        self.crm, self.provider, self.clock = crm, provider, clock

    def send(self, run: WorkflowRun, planned: PlannedSms) -> HookOutcome:
        key = workflow_key(run.workflow_id, run.record_id, run.event_key, planned.step_path)
        recipient = None
        try:
            recipient = resolve_recipient(self.crm, run.table, run.record_id, run.values, planned.recipient_path)
            source = planned.template_text or named_template(self.crm, planned.template or "", run.table)
            record_id = run.record_id if run.record_exists else None
            text = merge_text(self.crm, source, run.table, record_id, run.values, run.text_format)
        except SmsRejected as error:        # RecipientError included
            return self._record_failure(run, planned, key, recipient, error.say(_lang(run)))
        except TemplateError as error:
            return self._record_failure(run, planned, key, recipient, say(_lang(run), "template", detail=error))
        try:
            activity_id = self.crm.create(ACTIVITY_SET, activity_body(run, planned, key, text, recipient))
        except DuplicateRecord:
            return self._again(run, planned, key)
        return self._deliver(run, planned, key, activity_id)

    def _deliver(self, run: WorkflowRun, planned: PlannedSms, key: str, activity_id: str) -> HookOutcome:
        result = UnitSmsService(self.crm, self.provider, self.clock).send(activity_id, run.user_id)
        if result.outcome == "failed":
            self._keep_key(activity_id, key)
        return _outcome(run, planned, result.outcome, result.detail, activity_id)

    def _keep_key(self, activity_id: str, key: str) -> None:
        """The unit service clears the key of a failed SMS (a user's new request gets a fresh one);
        a workflow's SMS keeps it, so the same event does not make a second failed activity."""
        try:
            self.crm.update(ACTIVITY_SET, activity_id, {"smsc_idempotencykey": key})
        except DuplicateRecord:
            pass            # a redelivery already made another activity with it

    def _again(self, run: WorkflowRun, planned: PlannedSms, key: str) -> HookOutcome:
        """The key is taken: an earlier delivery made the activity. Send it only if that delivery
        stopped before sending (still *Send requested*); the unit service's take makes that once."""
        quoted = key.replace("'", "''")
        rows = list(self.crm.retrieve_multiple(ACTIVITY_SET, select=["activityid", "smsc_status"],
                                               filter=f"smsc_idempotencykey eq '{quoted}'", top=1))
        if rows and rows[0].get("smsc_status") == SmsStatus.SEND_REQUESTED:
            return self._deliver(run, planned, key, rows[0]["activityid"])
        activity_id = rows[0]["activityid"] if rows else None
        return _outcome(run, planned, "already-handled", f"this event was handled before (key {key})", activity_id)

    def _record_failure(self, run: WorkflowRun, planned: PlannedSms, key: str, recipient: EntityRef | None,
                        error: str) -> HookOutcome:
        try:
            activity_id = self.crm.create(ACTIVITY_SET, activity_body(run, planned, key, "", recipient, error))
        except DuplicateRecord:
            return self._again(run, planned, key)
        return _outcome(run, planned, "failed", error, activity_id)


def _outcome(run: WorkflowRun, planned: PlannedSms, outcome: str, detail: str | None,
             activity_id: str | None) -> HookOutcome:
    return HookOutcome(run.workflow_id, run.workflow_name, outcome, detail, activity_id, planned.step_path,
                       run.record_id)


def _lang(run: WorkflowRun) -> str:
    return language_of((run.text_format or {}).get("locale"))

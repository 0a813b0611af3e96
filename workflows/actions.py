"""A workflow's `send_sms`: one SMS activity per workflow + record + event + step, then the unit send.

The activity is created with its idempotency key (an alternate key of the activity table), so a
redelivered event, a second timer run or a rival instance finds the key taken and sends nothing;
the unit-SMS service (connector.unit_sms) then takes it with an ETag, sends it once and writes the
outcome back. A problem found before the send (no recipient, a merge error, an unknown template)
becomes a Failed activity on the triggering record, where users see it, under the same key.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from connector.activity import SmsStatus
from connector.clock import utcnow
from connector.crm.webhook import EntityRef
from connector.errors import Conflict
from connector.idempotency import workflow_key
from connector.messages import named_template_source
from connector.repositories.sms_activities import NewWorkflowSms, RowRef
from connector.repositories.workflows import WorkflowRepositories
from connector.send_policy import SmsRejected
from connector.sms.port import SmsProvider, SmsType
from connector.text.templates import TemplateError
from connector.unit_sms import UnitSmsService
from connector.user_texts import language_of, say
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
    retry_failed: bool = False         # a schedule's next run asks a Failed SMS of its period again


def workflow_sms(run: WorkflowRun, planned: PlannedSms, key: str, text: str, recipient: EntityRef | None,
                 error: str | None = None) -> NewWorkflowSms:
    """The activity of one send_sms step: on the triggering record (unless deleted), to the recipient."""
    sms_type = SmsType.MARKETING if planned.sms_type == "marketing" else SmsType.TRANSACTIONAL
    regarding = RowRef(run.table, run.record_id) if run.record_exists and run.record_id else None
    to = RowRef(recipient.logical_name, recipient.id) if recipient is not None else None
    return NewWorkflowSms(subject=run.workflow_name, text=text, sms_type=sms_type, idempotency_key=key,
                          workflow_id=run.workflow_id, sender=planned.sender or None, error=error,
                          regarding=regarding, to=to)


class SmsActions:
    """Sends through `repositories` (records for recipient paths and merge fields, activities, what
    every send reads); `unit` defaults to the unit send over them and `provider`."""

    def __init__(self, repositories: WorkflowRepositories, provider: SmsProvider, clock: Callable = utcnow, *,
                 unit: UnitSmsService | None = None):
        self.repositories, self.provider, self.clock = repositories, provider, clock
        self.records, self.activities = repositories.records, repositories.activities
        self.sending = repositories.sending
        self.unit = unit or UnitSmsService(provider, self.activities, self.sending, clock)

    def send(self, run: WorkflowRun, planned: PlannedSms) -> HookOutcome:
        key = workflow_key(run.workflow_id, run.record_id, run.event_key, planned.step_path)
        recipient = None
        try:
            recipient = resolve_recipient(self.records, run.table, run.record_id, run.values, planned.recipient_path)
            source = planned.template_text or named_template_source(self.sending.templates, planned.template or "",
                                                                    run.table)
            record_id = run.record_id if run.record_exists else None
            text = merge_text(self.records, source, run.table, record_id, run.values, run.text_format)
        except SmsRejected as error:        # RecipientError included
            return self._record_failure(run, planned, key, recipient, error.say(_lang(run)))
        except TemplateError as error:
            return self._record_failure(run, planned, key, recipient, say(_lang(run), "template", detail=error))
        try:
            activity_id = self.activities.create_workflow_sms(workflow_sms(run, planned, key, text, recipient))
        except Conflict:
            return self._again(run, planned, key, text)
        return self._deliver(run, planned, key, activity_id)

    def _deliver(self, run: WorkflowRun, planned: PlannedSms, key: str, activity_id: str) -> HookOutcome:
        result = self.unit.send(activity_id, run.user_id)
        if result.outcome == "failed":
            self._keep_key(activity_id, key)
        return _outcome(run, planned, result.outcome, result.detail, activity_id)

    def _keep_key(self, activity_id: str, key: str) -> None:
        """The unit service clears the key of a failed SMS (a user's new request gets a fresh one);
        a workflow's SMS keeps it, so the same event does not make a second failed activity."""
        try:
            self.activities.keep_key(activity_id, key)
        except Conflict:
            pass            # a redelivery already made another activity with it

    def _again(self, run: WorkflowRun, planned: PlannedSms, key: str, text: str | None = None) -> HookOutcome:
        """The key is taken: an earlier delivery made the activity. Send it only if that delivery
        stopped before sending (still *Send requested*), or, for a schedule's run, if it failed (the
        admin may have fixed the cause since); the unit service's take makes that once."""
        found = self.activities.find_by_key(key)
        if found is not None and found.status == SmsStatus.FAILED and run.retry_failed and text is not None:
            try:
                self.activities.reopen(found, text)
            except Conflict:        # a rival run reopened it first: it sends it
                return _outcome(run, planned, "already-handled", f"another run took it (key {key})", found.id)
            return self._deliver(run, planned, key, found.id)
        if found is not None and found.status == SmsStatus.SEND_REQUESTED:
            return self._deliver(run, planned, key, found.id)
        activity_id = found.id if found is not None else None
        return _outcome(run, planned, "already-handled", f"this event was handled before (key {key})", activity_id)

    def _record_failure(self, run: WorkflowRun, planned: PlannedSms, key: str, recipient: EntityRef | None,
                        error: str) -> HookOutcome:
        try:
            activity_id = self.activities.create_workflow_sms(workflow_sms(run, planned, key, "", recipient, error))
        except Conflict:
            return self._again(run, planned, key)
        return _outcome(run, planned, "failed", error, activity_id)


def _outcome(run: WorkflowRun, planned: PlannedSms, outcome: str, detail: str | None,
             activity_id: str | None) -> HookOutcome:
    return HookOutcome(run.workflow_id, run.workflow_name, outcome, detail, activity_id, planned.step_path,
                       run.record_id)


def _lang(run: WorkflowRun) -> str:
    return language_of((run.text_format or {}).get("locale"))

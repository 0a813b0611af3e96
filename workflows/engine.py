"""The hook engine: a Dataverse webhook event handed to the active workflows of its table.

For each active workflow whose trigger fires on the event: the record as it is after the event (the
webhook's images and Target, completed by a read for the columns the workflow needs and they lack),
the plan of SMS its conditions choose, and each planned SMS sent once under the idempotency key
`wf:<workflow>:<record>:<event key>:<step>` (workflows.actions). The event key names the event so
that a redelivery, or the second Update Dataverse raises for a change of state plus other columns,
finds the key taken: the statecode transition (`1>3`), `create`, `delete`, `assign:<owner>`, or the
OperationId of a plain update. Events raised deeper than `MAX_DEPTH` (plug-ins calling plug-ins)
are ignored, against loops.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any, Protocol

from connector.crm.port import CrmError, UnknownTable
from connector.crm.webhook import EntityRef, RemoteExecutionContext
from connector.repositories.users import Users
from connector.repositories.workflows import WorkflowRepositories
from connector.sms.port import SmsProvider
from connector.clock import utcnow
from workflows.actions import HookOutcome, SmsActions, WorkflowRun
from workflows.catalog import ActiveWorkflow, active_workflows
from workflows.conditions import RecordSnapshot
from workflows.definition import WorkflowDefinition
from workflows.events import hook_event, snapshot
from workflows.plan import PlannedSms, plan
from workflows.records import complete_values, needed_columns
from workflows.steps import StepRegistration, required_steps as steps_for
from workflows.triggers import HookEvent, fires

__all__ = ["HookEngine", "HookOutcome", "StepRegistration", "event_key", "required_steps", "summarize"]

log = logging.getLogger(__name__)
MAX_DEPTH = 2
SIZE_EXCEEDED = "x-ms-dynamics-msg-size-exceeded"
ISOLATED = (400, 403, 404)        # CRM refusals that concern one workflow; others fail the call (retry)


def event_key(trigger_event: str, event: HookEvent) -> str:
    """What makes this event one event for a workflow with this kind of trigger."""
    if trigger_event == "status_change":
        before = (event.pre or {}).get("statecode")
        after = {**(event.pre or {}), **(event.post or {}), **event.target}.get("statecode")
        return f"{'?' if before is None else before}>{after}"
    if trigger_event in ("create", "delete"):
        return trigger_event
    if trigger_event == "assign":
        owner = event.target.get("ownerid")
        return f"assign:{owner.id if isinstance(owner, EntityRef) else owner}"
    return event.operation_id or f"update:{event.target.get('modifiedon')}"


def summarize(outcomes: list[HookOutcome]) -> tuple[str, dict]:
    """The webhook answer's `handled` and detail: `workflows` when one acted (or is invalid),
    `ignored` when none fired or their conditions did not hold; each outcome listed."""
    acted = any(outcome.outcome not in ("skipped", "ignored") for outcome in outcomes)
    return ("workflows" if acted else "ignored"), (
        {"workflows": [outcome.as_dict() for outcome in outcomes]} if outcomes else {})


class Sender(Protocol):
    """What sends a planned SMS for a run (workflows.actions.SmsActions)."""
    def send(self, run: WorkflowRun, planned: PlannedSms) -> HookOutcome: ...


def text_format_for(users: Users, user_id: str | None) -> dict[str, Any]:
    """The acting user's locale and formats as `MessageTemplate.render` options (no user: French)."""
    return asdict(users.user_format(user_id)) if user_id else {"locale": "fr_FR"}


def required_steps(repositories: WorkflowRepositories) -> list[StepRegistration]:
    """The webhook steps (table, message, filtering columns, pre image) the active workflows need."""
    return steps_for(active_workflows(repositories.workflows))


class HookEngine:
    """The workflows of `repositories` on webhook events; `actions` sends (by default SmsActions over
    the same repositories and `provider`; tests give a recorder)."""

    def __init__(self, repositories: WorkflowRepositories, provider: SmsProvider, *, clock: Callable = utcnow,
                 actions: Sender | None = None):
        self.repositories, self.provider, self.clock = repositories, provider, clock
        self.workflows, self.records, self.users = repositories.workflows, repositories.records, repositories.users
        self.actions = actions or SmsActions(repositories, provider, clock)

    def required_steps(self) -> list[StepRegistration]:
        return required_steps(self.repositories)

    def dispatch(self, context: RemoteExecutionContext, headers: Mapping[str, str] | None = None
                 ) -> list[HookOutcome]:
        """What each active workflow of the event's table did; empty when none fired."""
        event = hook_event(context)
        if event.depth > MAX_DEPTH:
            return [HookOutcome(None, None, "ignored", f"Depth {event.depth} is over {MAX_DEPTH}: an event "
                                "raised by plug-ins or flows reacting to each other (loop guard)")]
        if SIZE_EXCEEDED in (headers or {}) and event.message not in ("Create", "Delete"):
            return [HookOutcome(None, None, "ignored", "the event was over 256 KB: Dataverse dropped its "
                                "Target and images, so what changed is unknown")]
        outcomes: list[HookOutcome] = []
        user_id, text_format = context.acting_user_id, None
        for workflow in active_workflows(self.workflows, event.table):
            definition = workflow.definition
            if definition is None:
                outcomes.append(HookOutcome(workflow.id, workflow.name, "invalid", workflow.problem))
                continue
            if not fires(definition, event):
                continue
            if text_format is None:
                text_format = text_format_for(self.users, user_id)
            outcomes += self._isolated(workflow, definition, event, user_id, text_format)
        return outcomes

    def _isolated(self, workflow: ActiveWorkflow, definition: WorkflowDefinition, event: HookEvent,
                  user_id: str | None, text_format: dict) -> list[HookOutcome]:
        try:
            return self._run(workflow, definition, event, user_id, text_format)
        except (CrmError, UnknownTable) as error:
            if isinstance(error, CrmError) and error.status not in ISOLATED:
                raise            # the CRM is unavailable: fail the call, Dataverse retries it (idempotent)
            log.warning("SMS workflow '%s' failed on %s %s: %s", workflow.name, event.table, event.record_id, error)
            return [HookOutcome(workflow.id, workflow.name, "failed", str(error), record_id=event.record_id)]

    def _run(self, workflow: ActiveWorkflow, definition: WorkflowDefinition, event: HookEvent,
             user_id: str | None, text_format: dict) -> list[HookOutcome]:
        exists = event.message != "Delete"
        values = complete_values(self.records, event.table, event.record_id if exists else None,
                                 snapshot(event, self.clock()).after, needed_columns(definition))
        planned = plan(definition, event, RecordSnapshot(event.pre, values, self.clock()))
        if not planned:
            return [HookOutcome(workflow.id, workflow.name, "skipped", "its conditions do not hold",
                                record_id=event.record_id)]
        run = WorkflowRun(workflow.id, workflow.name, event.table, event.record_id, values,
                          event_key(definition.trigger.event, event), user_id, exists, text_format)
        return [self.actions.send(run, sms) for sms in planned]

"""Keyword workflows: an inbound SMS whose whole text is one of an `inbound` trigger's keywords (« OUI »
confirms an appointment) runs the workflow on the record the SMS comes with.

The inbound service (connector.inbound.service) hands over the message with its records: the
record the conversation is about (the regarding of the SMS answered: an order, an appointment, an
account...), then the sender's contact or lead. A workflow runs on the first of them in its table;
with none (an unknown number, or a conversation about another table) it is skipped, said so. Each run
is one event for the workflow (event key `inbound:<provider event>`), so a redelivered callback sends
nothing twice (workflows.actions). STOP / START messages never get here.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from connector.clock import utcnow
from connector.crm.port import CrmError, UnknownTable
from connector.inbound.keyword_workflows import InboundMessage
from connector.repositories.workflows import WorkflowRepositories
from connector.sms.port import SmsProvider
from workflows.actions import HookOutcome, SmsActions, WorkflowRun
from workflows.catalog import ActiveWorkflow, active_workflows
from workflows.conditions import RecordSnapshot
from workflows.definition import InboundTrigger
from workflows.engine import ISOLATED, Sender
from workflows.plan import plan
from workflows.records import complete_values, needed_columns
from workflows.triggers import INBOUND, HookEvent, matches

log = logging.getLogger(__name__)


def event_key(message: InboundMessage) -> str:
    return f"inbound:{message.event_id}"


class KeywordWorkflowRunner:
    """The `inbound` workflows of `repositories`; `actions` sends (by default SmsActions over the same
    repositories and `provider`; tests give a recorder)."""

    def __init__(self, repositories: WorkflowRepositories, provider: SmsProvider | None, *,
                 clock: Callable = utcnow, actions: Sender | None = None):
        self.repositories, self.clock = repositories, clock
        self._actions, self._provider = actions, provider

    @property
    def actions(self) -> Sender:
        if self._actions is None:
            assert self._provider is not None, "a provider is needed to send"
            self._actions = SmsActions(self.repositories, self._provider, self.clock)
        return self._actions

    def run(self, message: InboundMessage) -> list[HookOutcome]:
        outcomes: list[HookOutcome] = []
        for workflow in active_workflows(self.repositories.workflows):
            definition = workflow.definition
            if definition is None or not isinstance(definition.trigger, InboundTrigger):
                continue
            record = next((r for r in message.records if r.table == definition.entity), None)
            event = HookEvent(INBOUND, definition.entity, record.id if record else None, text=message.text)
            if not matches(definition.trigger, event):
                continue
            if record is None:
                outcomes.append(HookOutcome(workflow.id, workflow.name, "skipped",
                                            f"no {definition.entity} record is known for {message.number}"))
                continue
            outcomes += self._isolated(workflow, event, message)
        return outcomes

    def _isolated(self, workflow: ActiveWorkflow, event: HookEvent, message: InboundMessage) -> list[HookOutcome]:
        try:
            return self._run(workflow, event, message)
        except (CrmError, UnknownTable) as error:
            if isinstance(error, CrmError) and error.status not in ISOLATED:
                raise            # the CRM is unavailable: the event stays unprocessed, the queue retries
            log.warning("SMS workflow '%s' failed on %s %s: %s", workflow.name, event.table, event.record_id, error)
            return [HookOutcome(workflow.id, workflow.name, "failed", str(error), record_id=event.record_id)]

    def _run(self, workflow: ActiveWorkflow, event: HookEvent, message: InboundMessage) -> list[HookOutcome]:
        definition = workflow.definition
        assert definition is not None
        values = complete_values(self.repositories.records, event.table, event.record_id, {},
                                 needed_columns(definition))
        planned = plan(definition, event, RecordSnapshot(None, values, self.clock()))
        if not planned:
            return [HookOutcome(workflow.id, workflow.name, "skipped", "its conditions do not hold",
                                record_id=event.record_id)]
        run = WorkflowRun(workflow.id, workflow.name, event.table, event.record_id, values, event_key(message),
                          None, True, {"locale": "fr_FR"})
        return [self.actions.send(run, sms) for sms in planned]

"""Schedule workflows: a timer finds the records a workflow's `query` selects and sends each at most
once per `period_days`, however often it runs.

The query becomes a coarse selection the CRM applies where it translates (`older_than` -> the date at
or before a moment, `contains_data` -> the column has data, equality with a whole number or a boolean;
`equals_column`, text comparisons and `not` have none: connector.repositories.records.RecordFilter),
the records are paged through and the whole query is evaluated in Python.
Two guards make "once per period": records already sent an SMS by the workflow within the last
`period_days` are passed over, and the idempotency key carries the period's start
(`now - (now - epoch) % period`), so two runs at the same moment cannot both send.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from connector.crm.port import CrmError, UnknownTable
from connector.repositories.records import AllOf, AnyOf, AtOrBefore, Equals, HasData, RecordFilter, Records
from connector.repositories.workflows import WorkflowRepositories, WorkflowRepository
from connector.sms.port import SmsProvider
from workflows.actions import HookOutcome, SmsActions, WorkflowRun
from workflows.catalog import ActiveWorkflow, active_workflows
from workflows.conditions import RecordSnapshot
from workflows.definition import ScheduleTrigger
from workflows.engine import ISOLATED, Sender
from workflows.plan import plan
from workflows.records import lookup_columns, needed_columns
from workflows.schema import STATIC_TABLES
from workflows.triggers import SCHEDULE, HookEvent

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass
class ScheduleReport:
    workflow_id: str
    workflow: str
    examined: int = 0                  # rows the coarse filter returned
    matched: int = 0                   # rows the whole query (and the conditions) selected
    sent_before: int = 0               # matched rows already sent an SMS within the period
    outcomes: list[HookOutcome] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        tally: dict[str, int] = {}
        for outcome in self.outcomes:
            tally[outcome.outcome] = tally.get(outcome.outcome, 0) + 1
        return tally


def period_start(now: datetime, days: int) -> datetime:
    period = timedelta(days=days)
    return now - (now - EPOCH) % period


def narrowing(condition: Any, table: str, now: datetime) -> RecordFilter | None:
    """A coarse selection of at least the records `condition` selects, or None (every record)."""
    if condition.kind == "all":
        parts = [p for p in (narrowing(c, table, now) for c in condition.all) if p]
        return AllOf(tuple(parts)) if parts else None
    if condition.kind == "any":
        alternatives = [narrowing(c, table, now) for c in condition.any]
        return AnyOf(tuple(a for a in alternatives if a)) if all(alternatives) else None
    if condition.kind == "not":
        return None
    return _comparison(condition, table, now)


def _comparison(comparison: Any, table: str, now: datetime) -> RecordFilter | None:
    operator, column, value = comparison.operator, comparison.column, comparison.value
    if operator == "older_than":
        return AtOrBefore(column, now - timedelta(days=value))
    info = STATIC_TABLES.get(table, {}).get(column)
    if info is None:
        return None                   # unknown column type: a lookup would need another name
    if operator in ("contains_data", "does_not_contain_data"):
        return HasData(column, operator == "contains_data")
    if operator == "equals" and isinstance(value, (bool, int)) and info.type in ("int", "choice", "bool"):
        return Equals(column, value)
    return None


def recently_sent(workflows: WorkflowRepository, workflow_id: str, since: datetime) -> set[str]:
    """Ids of the records the workflow made an SMS activity for since `since`."""
    return workflows.records_sent_since(workflow_id, since)


def run_scheduled(repositories: WorkflowRepositories, provider: SmsProvider, now: datetime, page_size: int = 5000,
                  *, actions: Sender | None = None) -> list[ScheduleReport]:
    """Runs every active schedule workflow once; what each did. `actions` sends (by default SmsActions
    over the same repositories and `provider`, at `now`)."""
    workflows, records = repositories.workflows, repositories.records
    actions = actions or SmsActions(repositories, provider, clock=lambda: now)
    return [_isolated(workflows, records, actions, workflow, now, page_size) for workflow in active_workflows(workflows)
            if workflow.definition is not None and isinstance(workflow.definition.trigger, ScheduleTrigger)]


def _isolated(workflows: WorkflowRepository, records: Records, actions: Sender, workflow: ActiveWorkflow,
              now: datetime, page_size: int) -> ScheduleReport:
    """One workflow's run; a CRM refusal of its query or its table fails that workflow only."""
    try:
        return run_workflow(workflows, records, actions, workflow, now, page_size)
    except (CrmError, UnknownTable) as error:
        if isinstance(error, CrmError) and error.status not in ISOLATED:
            raise
        failed = HookOutcome(workflow.id, workflow.name, "failed", str(error))
        return ScheduleReport(workflow.id, workflow.name, outcomes=[failed])


def run_workflow(workflows: WorkflowRepository, records: Records, actions: Sender, workflow: ActiveWorkflow,
                 now: datetime, page_size: int = 5000) -> ScheduleReport:
    definition, report = workflow.definition, ScheduleReport(workflow.id, workflow.name)
    if definition is None or not isinstance(definition.trigger, ScheduleTrigger):
        return report                  # not a valid schedule workflow: nothing to run
    trigger: ScheduleTrigger = definition.trigger
    table, days = definition.entity, trigger.period_days
    skip = recently_sent(workflows, workflow.id, now - timedelta(days=days))
    key = period_start(now, days).date().isoformat()
    columns = needed_columns(definition)
    found = records.query(table, columns, lookup_columns(table, columns),
                          narrowing(trigger.query, table, now), page_size)
    for record in found:
        report.examined += 1
        record_id, values = record.id, record.values
        planned = plan(definition, HookEvent(SCHEDULE, table, record_id), RecordSnapshot(None, values, now))
        if not planned:
            continue
        report.matched += 1
        if record_id in skip:
            report.sent_before += 1
            continue
        run = WorkflowRun(workflow.id, workflow.name, table, record_id, values, key, None, True, {"locale": "fr_FR"},
                          retry_failed=True)
        for sms in planned:
            report.outcomes.append(_send(actions, run, sms))
    return report


def _send(actions: Sender, run: WorkflowRun, sms) -> HookOutcome:
    try:
        return actions.send(run, sms)
    except (CrmError, UnknownTable) as error:
        if isinstance(error, CrmError) and error.status not in ISOLATED:
            raise            # the CRM is unavailable: the next run carries on (keys make it safe)
        return HookOutcome(run.workflow_id, run.workflow_name, "failed", str(error), step=sms.step_path,
                           record_id=run.record_id)

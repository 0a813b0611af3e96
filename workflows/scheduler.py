"""Schedule workflows: a timer finds the records a workflow's `query` selects and sends each at most
once per `period_days`, however often it runs.

The query becomes a coarse OData `$filter` where it translates (`older_than` -> `createdon le <date>`,
`contains_data` -> `ne null`, ...; `equals_column` has no OData form, and FetchXML's `valueof` is not
used: the emulator lacks it), the rows are paged through and the whole query is evaluated in Python.
Two guards make "once per period": records already sent an SMS by the workflow within the last
`period_days` are passed over, and the idempotency key carries the period's start
(`now - (now - epoch) % period`), so two runs at the same moment cannot both send.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from connector.activity import ACTIVITY_SET
from connector.clock import odata_utc
from connector.crm.port import Crm, CrmError, UnknownTable, entity_set
from connector.messages import user_format
from connector.sms.port import SmsProvider
from workflows.actions import HookOutcome, SmsActions, WorkflowRun
from workflows.catalog import ActiveWorkflow, active_workflows
from workflows.conditions import RecordSnapshot
from workflows.engine import ISOLATED
from workflows.plan import plan
from workflows.records import needed_columns, plain_row, web_select
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


def coarse_filter(condition: Any, table: str, now: datetime) -> str | None:
    """An OData `$filter` selecting at least the rows `condition` selects, or None (no filter)."""
    if condition.kind == "all":
        parts = [p for p in (coarse_filter(c, table, now) for c in condition.all) if p]
        return " and ".join(parts) or None
    if condition.kind == "any":
        alternatives = [coarse_filter(c, table, now) for c in condition.any]
        return f"({' or '.join(a for a in alternatives if a)})" if all(alternatives) else None
    if condition.kind == "not":
        return None
    return _comparison(condition, table, now)


def _comparison(comparison: Any, table: str, now: datetime) -> str | None:
    operator, column, value = comparison.operator, comparison.column, comparison.value
    if operator == "older_than":
        return f"{column} le {odata_utc(now - timedelta(days=value))}"
    info = STATIC_TABLES.get(table, {}).get(column)
    if info is None:
        return None                   # unknown column type: a lookup would need _x_value
    name = f"_{column}_value" if info.type == "lookup" else column
    if operator in ("contains_data", "does_not_contain_data"):
        return f"{name} {'ne' if operator == 'contains_data' else 'eq'} null"
    if operator == "equals" and isinstance(value, (bool, int)) and info.type in ("int", "choice", "bool"):
        return f"{name} eq {str(value).lower()}"
    return None


def recently_sent(crm: Crm, workflow_id: str, since: datetime) -> set[str]:
    """Ids of the records the workflow made an SMS activity for since `since`."""
    rows = crm.retrieve_multiple(ACTIVITY_SET, select=["_regardingobjectid_value"],
                                 filter=f"_smsc_workflowid_value eq {workflow_id} and createdon ge {odata_utc(since)}")
    return {row["_regardingobjectid_value"] for row in rows if row.get("_regardingobjectid_value")}


def run_scheduled(crm: Crm, provider: SmsProvider, now: datetime, page_size: int = 5000) -> list[ScheduleReport]:
    """Runs every active schedule workflow once; what each did."""
    actions = SmsActions(crm, provider, clock=lambda: now)
    return [_isolated(crm, actions, workflow, now, page_size) for workflow in active_workflows(crm)
            if workflow.definition is not None and workflow.definition.trigger.event == "schedule"]


def _isolated(crm: Crm, actions: SmsActions, workflow: ActiveWorkflow, now: datetime, page_size: int
              ) -> ScheduleReport:
    """One workflow's run; a CRM refusal of its query or its table fails that workflow only."""
    try:
        return run_workflow(crm, actions, workflow, now, page_size)
    except (CrmError, UnknownTable) as error:
        if isinstance(error, CrmError) and error.status not in ISOLATED:
            raise
        failed = HookOutcome(workflow.id, workflow.name, "failed", str(error))
        return ScheduleReport(workflow.id, workflow.name, outcomes=[failed])


def run_workflow(crm: Crm, actions: SmsActions, workflow: ActiveWorkflow, now: datetime,
                 page_size: int = 5000) -> ScheduleReport:
    definition, report = workflow.definition, ScheduleReport(workflow.id, workflow.name)
    assert definition is not None and definition.trigger.event == "schedule"     # `run_scheduled` picks them
    table, days = definition.entity, definition.trigger.period_days
    skip = recently_sent(crm, workflow.id, now - timedelta(days=days))
    key, text_format = period_start(now, days).date().isoformat(), user_format(crm, None)
    rows = crm.retrieve_multiple(entity_set(table), select=web_select(table, needed_columns(definition)),
                                 filter=coarse_filter(definition.trigger.query, table, now), page_size=page_size)
    for row in rows:
        report.examined += 1
        record_id = row.get(f"{table}id") or row.get("activityid")
        values = plain_row(row)
        planned = plan(definition, HookEvent(SCHEDULE, table, record_id), RecordSnapshot(None, values, now))
        if not planned:
            continue
        report.matched += 1
        if record_id in skip:
            report.sent_before += 1
            continue
        run = WorkflowRun(workflow.id, workflow.name, table, record_id, values, key, None, True, text_format)
        for sms in planned:
            report.outcomes.append(_send(actions, run, sms))
    return report


def _send(actions: SmsActions, run: WorkflowRun, sms) -> HookOutcome:
    try:
        return actions.send(run, sms)
    except (CrmError, UnknownTable) as error:
        if isinstance(error, CrmError) and error.status not in ISOLATED:
            raise            # the CRM is unavailable: the next run carries on (keys make it safe)
        return HookOutcome(run.workflow_id, run.workflow_name, "failed", str(error), step=sms.step_path,
                           record_id=run.record_id)

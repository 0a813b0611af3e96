"""The Dataverse webhook steps the active workflows need, for the installer (and `smsc workflows steps`).

Status changes and assignments are `Update` steps filtered on their columns (reference/dataverse.md,
"Webhooks"); every step gets a pre image holding the columns the workflows read, so the engine
rarely has to read the record back. Schedules need no step (a timer runs them), nor do inbound
keywords (the provider's callback does).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workflows.catalog import ActiveWorkflow
from workflows.records import needed_columns

ALL_COLUMNS: tuple[str, ...] = ()        # an Update step without filtering columns fires on any change


@dataclass(frozen=True)
class StepRegistration:
    table: str
    message: str                          # Create | Update | Delete
    filtering_columns: tuple[str, ...]    # empty: every update
    pre_image_columns: tuple[str, ...]    # empty: no pre image


def _step(workflow: ActiveWorkflow) -> tuple[str, tuple[str, ...] | None, set[str]] | None:
    """(message, filtering columns or None for all, pre image columns) of one workflow."""
    definition = workflow.definition
    assert definition is not None                       # only valid workflows are given
    trigger, needed = definition.trigger, needed_columns(definition)
    if trigger.event == "create":
        return "Create", None, set()
    if trigger.event == "delete":
        return "Delete", None, needed
    if trigger.event == "status_change":
        return "Update", ("statecode", "statuscode"), needed | {"statecode", "statuscode"}
    if trigger.event == "assign":
        return "Update", ("ownerid",), needed | {"ownerid"}
    if trigger.event == "update":
        return "Update", tuple(trigger.columns) or None, needed
    return None                           # schedule, inbound


def required_steps(workflows: Iterable[ActiveWorkflow]) -> list[StepRegistration]:
    """One step per table and message, covering every valid workflow given."""
    merged: dict[tuple[str, str], tuple[set[str] | None, set[str]]] = {}
    for workflow in workflows:
        if workflow.definition is None:
            continue
        step = _step(workflow)
        if not step:
            continue
        message, filtering, pre = step
        key = (workflow.definition.entity, message)
        seen_filter, seen_pre = merged.get(key, (set(), set()))
        new_filter = None if filtering is None or seen_filter is None else seen_filter | set(filtering)
        if message != "Update":
            new_filter = set()
        merged[key] = (new_filter, seen_pre | pre)
    return [StepRegistration(table, message, tuple(sorted(filtering or ALL_COLUMNS)), tuple(sorted(pre)))
            for (table, message), (filtering, pre) in sorted(merged.items())]

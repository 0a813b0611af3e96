"""The triggering record as workflows read it: which columns a definition needs, which of them are
lookups, and the record's values through the `Records` port (connector.repositories.records).

Conditions, recipients and merge fields name columns by logical name. Which columns are lookups comes
from workflows.schema for the tables it knows; other columns are asked for by name and, when Dataverse
refuses them, the whole row is read (the adapter's business).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from connector.repositories.records import Records
from connector.text.templates import TemplateError, compile_template
from workflows.definition import IfStep, ScheduleTrigger, StatusChangeTrigger, UpdateTrigger, WorkflowDefinition
from workflows.schema import STATIC_TABLES


def condition_columns(condition: Any) -> set[str]:
    if condition is None:
        return set()
    if condition.kind in ("all", "any"):
        return set().union(*(condition_columns(c) for c in getattr(condition, condition.kind)))
    if condition.kind == "not":
        return condition_columns(condition.not_)
    other = {condition.value} if condition.operator == "equals_column" else set()
    return {condition.column} | other


def text_columns(text: str | None) -> set[str]:
    """Columns and lookups a text's merge fields read (none when it does not compile)."""
    if not text:
        return set()
    try:
        fields = compile_template(text).fields
    except TemplateError:
        return set()
    return set(fields.columns) | set(fields.lookups)


def trigger_columns(trigger: Any) -> set[str]:
    if isinstance(trigger, UpdateTrigger):
        return set(trigger.columns)
    if isinstance(trigger, StatusChangeTrigger):
        return {"statecode", "statuscode"}
    if isinstance(trigger, ScheduleTrigger):
        return condition_columns(trigger.query)
    return set()


def needed_columns(definition: WorkflowDefinition) -> set[str]:
    """Every column of the triggering record the definition reads (named templates excepted)."""
    columns = trigger_columns(definition.trigger) | condition_columns(definition.condition)
    return columns | _step_columns(definition.steps)


def _step_columns(steps: list) -> set[str]:
    columns: set[str] = set()
    for step in steps:
        if isinstance(step, IfStep):
            columns |= condition_columns(step.if_) | _step_columns(step.then) | _step_columns(step.else_)
            for branch in step.elif_:
                columns |= condition_columns(branch.if_) | _step_columns(branch.then)
        else:
            action = step.send_sms
            if action.recipient != "self":
                columns.add(action.recipient.split(".")[0])
            columns |= text_columns(action.text)
    return columns


def lookup_columns(table: str, columns: Iterable[str]) -> set[str]:
    """Which of `columns` the schema knows as lookups of `table`."""
    known = STATIC_TABLES.get(table, {})
    return {name for name in columns if getattr(known.get(name), "type", None) == "lookup"}


def read_values(records: Records, table: str, record_id: str, columns: Iterable[str]) -> dict[str, Any]:
    """The record's `columns` as plain values (the whole row when the table lacks one of them)."""
    columns = set(columns)
    return records.read(table, record_id, columns, lookup_columns(table, columns))


def complete_values(records: Records, table: str, record_id: str | None, values: Mapping[str, Any],
                    columns: Iterable[str]) -> dict[str, Any]:
    """`values` plus the `columns` they lack, read from the record (when it still exists)."""
    missing = set(columns) - set(values)
    if not missing or not record_id:
        return dict(values)
    return {**read_values(records, table, record_id, missing), **values}

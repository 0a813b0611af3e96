"""The triggering record as workflows read it: which columns a definition needs, and Web API rows
as plain values (lookups as `EntityRef`, as webhook images give them).

Conditions, recipients and merge fields name columns by logical name; the Web API reads a lookup
as `_<name>_value`. Which columns are lookups comes from workflows.schema for the tables it knows;
other columns are asked for by name and, when Dataverse refuses the `$select`, the whole row is read.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from connector.crm.port import Crm, CrmError, entity_set
from connector.crm.webhook import EntityRef
from connector.text.templates import TemplateError, compile_template
from workflows.definition import IfStep, ScheduleTrigger, StatusChangeTrigger, UpdateTrigger, WorkflowDefinition
from workflows.schema import STATIC_TABLES

LOOKUP_TABLE = "@Microsoft.Dynamics.CRM.lookuplogicalname"
FORMATTED = "@OData.Community.Display.V1.FormattedValue"
_LOOKUP_KEY = re.compile(r"_(\w+)_value")


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


def web_select(table: str, columns: Iterable[str]) -> list[str]:
    """`$select` names: lookups the schema knows become `_<name>_value`."""
    known = STATIC_TABLES.get(table, {})
    return sorted(f"_{name}_value" if getattr(known.get(name), "type", None) == "lookup" else name
                  for name in set(columns))


def plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A Web API row as plain values: `_x_value` -> `x` = EntityRef (table, id, name); no annotations."""
    values: dict[str, Any] = {}
    for key, value in row.items():
        if "@" in key:
            continue
        lookup = _LOOKUP_KEY.fullmatch(key)
        if lookup:
            values[lookup[1]] = EntityRef(row.get(key + LOOKUP_TABLE) or "", value, row.get(key + FORMATTED)) \
                if value else None
        else:
            values[key] = value
    return values


def read_record(crm: Crm, table: str, record_id: str, columns: Iterable[str]) -> dict[str, Any]:
    """The record's `columns` as plain values; the whole row when the table refuses the `$select`."""
    select = web_select(table, columns)
    try:
        row = crm.retrieve(entity_set(table), record_id, select=select or None)
    except CrmError as error:
        if error.status != 400 or not select:
            raise
        row = crm.retrieve(entity_set(table), record_id)      # a column named in the definition is unknown
    return plain_row(row)


def complete(crm: Crm, table: str, record_id: str | None, values: Mapping[str, Any],
             columns: Iterable[str]) -> dict[str, Any]:
    """`values` plus the `columns` they lack, read from the record (when it still exists)."""
    missing = set(columns) - set(values)
    if not missing or not record_id:
        return dict(values)
    return {**read_record(crm, table, record_id, missing), **values}

"""Checks a workflow definition against the CRM's tables; answers issues, never raises on user input.

`validate(definition_or_yaml, schema)` first loads the definition (YAML syntax and model errors
become issues), then checks what the model alone cannot know: the table exists, every column named
in the trigger, the conditions and the merge fields of texts exists, each operator suits its
column and value, and every recipient is a lookup path ending on a contact, account or lead.
"""
from __future__ import annotations

import difflib
from datetime import date
from typing import Any

from connector.configuration import Configuration
from connector.inbound.keywords import opt_out_keyword
from connector.text.templates import TemplateError, compile_template
from workflows.conditions import OPERATORS
from workflows.definition import (
    DefinitionError, IfStep, InboundTrigger, ScheduleTrigger, SendSms, StatusChangeTrigger, UpdateTrigger,
    WorkflowDefinition, from_data, load_definition,
)
from workflows.issues import ValidationIssue, parse_yaml
from workflows.raw_checks import raw_issues
from workflows.schema import RECIPIENT_TABLES, VALUE_TYPES, ColumnInfo, TableSchema

__all__ = ["ValidationIssue", "validate"]

LOOKUP_FIELDS = frozenset({"id", "name", "entity"})      # what a template can read of any lookup
OPT_OUT_KEYWORDS = Configuration()       # the shipped STOP / START lists (an organisation's own are read at run time)


def validate(definition_or_yaml: WorkflowDefinition | str | bytes | dict,
             schema: TableSchema) -> list[ValidationIssue]:
    """Every problem found, in document order; an empty list means the definition is valid."""
    try:
        definition = _load(definition_or_yaml)
    except DefinitionError as error:
        return list(error.issues) + raw_issues(_raw(definition_or_yaml), schema, error.issues)
    columns = schema.columns(definition.entity)
    if columns is None:
        known: list[str] = getattr(schema, "tables", lambda: [])()
        hint = _hint(definition.entity, known)
        return [ValidationIssue("entity", f"unknown table '{definition.entity}'{hint}")]
    checker = _Checker(definition.entity, columns, schema)
    checker.trigger(definition.trigger)
    if definition.condition is not None:
        checker.condition(definition.condition, "condition")
    checker.steps(definition.steps, "steps")
    return checker.issues


def _raw(source: Any) -> Any:
    """The definition as plain data, when it is at least readable YAML."""
    if isinstance(source, bytes):
        source = source.decode("utf-8", errors="replace")
    if not isinstance(source, str):
        return source
    try:
        return parse_yaml(source)
    except DefinitionError:
        return None


def _load(source: Any) -> WorkflowDefinition:
    if isinstance(source, WorkflowDefinition):
        return source
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError:
            raise DefinitionError([ValidationIssue("", "the definition is not UTF-8 text")]) from None
    return load_definition(source) if isinstance(source, str) else from_data(source)


def _hint(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Checker:
    def __init__(self, table: str, columns: dict[str, ColumnInfo], schema: TableSchema):
        self.table, self.columns, self.schema = table, columns, schema
        self.issues: list[ValidationIssue] = []

    def add(self, path: str, message: str) -> None:
        self.issues.append(ValidationIssue(path, message))

    def column(self, name: str, path: str) -> ColumnInfo | None:
        info = self.columns.get(name)
        if info is None:
            self.add(path, f"unknown column '{name}' in {self.table}" + _hint(name, self.columns))
        return info

    def trigger(self, trigger: Any) -> None:
        if isinstance(trigger, UpdateTrigger):
            for i, name in enumerate(trigger.columns):
                self.column(name, f"trigger.columns[{i}]")
        elif isinstance(trigger, StatusChangeTrigger):
            state = self.column("statecode", "trigger")
            for side, codes in (("from", trigger.from_), ("to", trigger.to)):
                if state is not None and codes is not None:
                    self.option("statecode", state, codes.statecode, f"trigger.{side}.statecode")
        elif isinstance(trigger, ScheduleTrigger):
            self.condition(trigger.query, "trigger.query")
        elif isinstance(trigger, InboundTrigger):
            for i, keyword in enumerate(trigger.keywords):
                if opt_out_keyword(keyword, OPT_OUT_KEYWORDS) is not None:
                    self.add(f"trigger.keywords[{i}]", f"'{keyword}' is an opt-out keyword (STOP / START): such "
                                                       "messages opt the number out or in and never start a workflow")

    def option(self, name: str, info: ColumnInfo, value: Any, path: str) -> None:
        if info.options is not None and isinstance(value, int) and value not in info.options:
            values = ", ".join(str(v) for v in sorted(info.options))
            self.add(path, f"{self.table}.{name} has no value {value} (its values: {values})")

    def condition(self, condition: Any, path: str) -> None:
        if condition.kind in ("all", "any"):
            for i, part in enumerate(getattr(condition, condition.kind)):
                self.condition(part, f"{path}.{condition.kind}[{i}]")
        elif condition.kind == "not":
            self.condition(condition.not_, f"{path}.not")
        else:
            self.comparison(condition, path)

    def comparison(self, comparison: Any, path: str) -> None:
        info = self.column(comparison.column, f"{path}.column")
        if info is None:
            return
        operator = OPERATORS[comparison.operator]
        if operator.column_types is not None and info.type not in operator.column_types:
            kinds = " or ".join(sorted(operator.column_types))
            self.add(f"{path}.operator", f"operator '{comparison.operator}' needs a {kinds} column; "
                                         f"{comparison.column} is a {info.type} column")
            return
        value, where = comparison.value, f"{path}.value"
        if operator.takes == "table" and value not in info.targets:
            self.add(where, f"{comparison.column} points to {' or '.join(info.targets)}, never to {value}")
        elif operator.takes == "column":
            self.column(value, where)
        elif operator.takes in ("scalar", "list", "bound"):
            for item in value if isinstance(value, list) else [value]:
                self.value(comparison.column, info, item, where)

    def value(self, name: str, info: ColumnInfo, value: Any, path: str) -> None:
        types, expected = VALUE_TYPES.get(info.type, ((object,), "a value"))
        fits = isinstance(value, types) and (bool not in types) == (not isinstance(value, bool))
        if info.type == "datetime" and isinstance(value, str):
            fits = _is_date(value)
        if not fits:
            self.add(path, f"{value!r} does not suit {name} (a {info.type} column): expected {expected}")
        else:
            self.option(name, info, value, path)

    def steps(self, steps: list, path: str) -> None:
        for i, step in enumerate(steps):
            here = f"{path}[{i}]"
            if isinstance(step, IfStep):
                self.condition(step.if_, f"{here}.if")
                self.steps(step.then, f"{here}.then")
                for j, branch in enumerate(step.elif_):
                    self.condition(branch.if_, f"{here}.elif[{j}].if")
                    self.steps(branch.then, f"{here}.elif[{j}].then")
                self.steps(step.else_, f"{here}.else")
            else:
                self.send_sms(step.send_sms, f"{here}.send_sms")

    def send_sms(self, action: SendSms, path: str) -> None:
        self.recipient(action.recipient, f"{path}.recipient")
        if action.text is not None:
            self.merge_fields(action.text, f"{path}.text")

    def recipient(self, recipient: str, path: str) -> None:
        tables = [self.table]
        if recipient != "self":
            for hop in recipient.split("."):
                infos = [info for t in tables if (info := (self.schema.columns(t) or {}).get(hop))]
                if not infos:
                    self.add(path, f"unknown column '{hop}' in {' or '.join(tables)}")
                    return
                if not any(info.type == "lookup" for info in infos):
                    self.add(path, f"'{hop}' is not a lookup: the recipient must be 'self' or a lookup "
                                   "to a contact, account or lead")
                    return
                tables = sorted({t for info in infos for t in info.targets})
        if any(t not in RECIPIENT_TABLES for t in tables):
            self.add(path, f"'{recipient}' is a {' or '.join(tables)}: "
                           "an SMS goes to a contact, account or lead")

    def merge_fields(self, text: str, path: str) -> None:
        try:
            fields = compile_template(text).fields
        except TemplateError as error:
            self.add(path, f"template error: {error}")
            return
        for name in sorted(fields.columns):
            if name not in self.columns:
                self.add(path, f"unknown column '{name}' in {self.table} (merge field {{{{ {name} }}}})"
                         + _hint(name, self.columns))
        for lookup, names in sorted(fields.lookups.items()):
            self.related_fields(lookup, names, path)

    def related_fields(self, lookup: str, names: frozenset[str], path: str) -> None:
        info = self.columns.get(lookup)
        if info is None or info.type != "lookup":
            what = "unknown column" if info is None else "not a lookup:"
            self.add(path, f"{what} '{lookup}' in {self.table} (merge field {{{{ {lookup}.{min(names)} }}}})")
            return
        related = [self.schema.columns(t) or {} for t in info.targets]
        for name in sorted(names - LOOKUP_FIELDS):
            if not any(name in columns for columns in related):
                self.add(path, f"no column '{name}' in {' or '.join(info.targets)} "
                               f"(merge field {{{{ {lookup}.{name} }}}})")


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text[:10])
        return True
    except ValueError:
        return False

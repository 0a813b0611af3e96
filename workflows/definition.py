"""Hook workflow definitions: what an admin writes (YAML stored in its workflow row, DESIGN §4).

A definition names a table, a trigger, an optional guard condition and steps::

    name: Envoi de SMS - Commande validée
    entity: salesorder                 # the triggering table (logical name)
    active: false                      # shipped as a draft; the engine runs active ones only
    trigger:
      event: status_change             # create | update | status_change | assign | delete | schedule | inbound
      from: {statecode: 1}             # optional; `to` and/or `from`
      to: {statecode: 3, statuscode: [100001, 100002]}     # statuscode optional (any)
    condition:                         # optional guard, same language as `if`
      column: totalamount
      operator: greater_than
      value: 0
    steps:
      - if: {column: customerid, operator: is_type, value: account}
        then:
          - send_sms:
              recipient: customerid.primarycontactid
              text: "Votre commande n°{{ ordernumber }} de {{ totalamount | money }} a été validée"
        elif:
          - if: {column: customerid, operator: is_type, value: contact}
            then:
              - send_sms:
                  recipient: customerid
                  text: "Votre commande n°{{ ordernumber }} a été validée"
                  sms_type: transactional      # or marketing
                  sender: MaBoutique           # optional, 3-11 letters/digits
        else: []

Triggers: `create`; `update` with optional `columns` (fires when one of them changed);
`status_change` (statecode, optionally statuscode, moving from / to the given values: an Update
carrying them or a legacy SetState); `assign`; `delete`; `schedule` with a `query` condition the
records must meet and `period_days` (each record is sent at most once per period); `inbound` with
`keywords` (an SMS received whose whole text is one of them, e.g. « OUI » confirming an appointment:
the workflow runs on the record of its table the conversation is about, or the sender's contact or
lead, found by the number; STOP and START keywords never start one).

Conditions: `{all: [...]}`, `{any: [...]}`, `{not: ...}` or `{column, operator, value}` with the
operators of `workflows.conditions.OPERATORS`: equals, not_equals, in, contains_data,
does_not_contain_data, greater_than, less_than, changed, older_than (days), is_type (the table a
lookup points to: how "the customer is an account" is written) and equals_column (another column:
`{column: modifiedon, operator: equals_column, value: createdon}` is "never modified").
Conditions read the triggering record only (its values after the event; `changed` compares with
before).

`send_sms`: `recipient` is `self` (the record, when it is a contact, account or lead) or a lookup
path from it (`customerid`, `customerid.primarycontactid`, at most two steps) ending on a contact,
account (sent to its primary contact) or lead. `text` (Jinja: `{{ column }}`, `{{ lookup.column }}`,
the filters of connector.text.templates) or `template` (the name of a published SMS template).
"""
from __future__ import annotations

import re
from pathlib import Path
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union

from pydantic import ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator, model_validator

from connector.text.sender import InvalidSender, validate_sender
from workflows.clauses import (
    TRIGGER_EVENTS, AllOf, AnyOf, AssignTrigger, Comparison, Condition, CreateTrigger, DeleteTrigger,
    InboundTrigger, Model, Not, ScheduleTrigger, StatusChangeTrigger, StatusCodes, Trigger, UpdateTrigger, tagger,
)
from workflows.issues import DefinitionError, ValidationIssue, issues_from, parse_yaml

__all__ = [  # the clauses are re-exported: a definition's whole vocabulary is importable from here
    "TRIGGER_EVENTS", "AllOf", "AnyOf", "AssignTrigger", "BUILTIN_DIR", "Comparison", "Condition",
    "CreateTrigger", "DefinitionError", "DeleteTrigger", "ElseIf", "IfStep", "InboundTrigger", "Not", "ScheduleTrigger",
    "SendSms", "SmsStep", "StatusChangeTrigger", "StatusCodes", "Step", "Trigger", "UpdateTrigger",
    "ValidationIssue", "WorkflowDefinition", "builtin_definitions", "from_data", "json_schema", "load_definition",
]

BUILTIN_DIR = Path(__file__).parent / "builtin"
_RECIPIENT = re.compile(r"self|[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?")
_RECIPIENT_HELP = ("'self' or a lookup path such as 'customerid' or 'customerid.primarycontactid' "
                   "(at most two lookups) ending on a contact, account (its primary contact) or lead")


class SendSms(Model):
    recipient: str = Field(description=f"Who receives the SMS: {_RECIPIENT_HELP}.",
                           json_schema_extra={"pattern": f"^({_RECIPIENT.pattern})$"})
    text: str | None = Field(None, min_length=1, description="The SMS text; merge fields {{ column }}, "
                             "{{ lookup.column }} of the triggering record.")
    template: str | None = Field(None, min_length=1, description="Name of a published SMS template "
                                 "(instead of text).")
    sms_type: Literal["marketing", "transactional"] = Field("transactional", description="SMS type.")
    sender: str | None = Field(None, description="Sender ID, 3 to 11 letters or digits (optional).")

    @field_validator("recipient")
    @classmethod
    def _recipient_path(cls, recipient: str) -> str:
        if not _RECIPIENT.fullmatch(recipient):
            raise ValueError(f"{recipient!r} is not a recipient: use {_RECIPIENT_HELP}")
        return recipient

    @field_validator("sender")
    @classmethod
    def _valid_sender(cls, sender: str | None) -> str | None:
        try:
            return None if sender is None else validate_sender(sender)
        except InvalidSender as error:
            raise ValueError(str(error)) from None

    @model_validator(mode="after")
    def _text_or_template(self) -> "SendSms":
        if (self.text is None) == (self.template is None):
            raise ValueError("give either 'text' or 'template'" + (", not both" if self.text else ""))
        return self


class SmsStep(Model):
    send_sms: SendSms = Field(description="Send an SMS.")


class ElseIf(Model):
    if_: Condition = Field(alias="if", description="The condition of this branch.")
    then: list["Step"] = Field(min_length=1, description="Steps run when it holds (and no branch before did).")


class IfStep(Model):
    if_: Condition = Field(alias="if", description="The condition.")
    then: list["Step"] = Field(min_length=1, description="Steps run when it holds.")
    elif_: list[ElseIf] = Field(default_factory=list, alias="elif",
                                description="Else-if branches, tried in order.")
    else_: list["Step"] = Field(default_factory=list, alias="else", description="Steps run otherwise.")


Step = Annotated[
    Union[Annotated[IfStep, Tag("IfStep")], Annotated[SmsStep, Tag("SmsStep")]],
    Discriminator(tagger({"if": "IfStep", "send_sms": "SmsStep"}), custom_error_type="step",
                  custom_error_message="a step is {if: ..., then: [...]} or {send_sms: {...}}")]


def sms_steps(steps: list, path: str = "steps") -> Iterator[tuple[str, SendSms]]:
    """Every send_sms of the steps, in every branch, with its path (`steps[0].else[1].send_sms`)."""
    for i, step in enumerate(steps):
        here = f"{path}[{i}]"
        if isinstance(step, IfStep):
            yield from sms_steps(step.then, f"{here}.then")
            for j, branch in enumerate(step.elif_):
                yield from sms_steps(branch.then, f"{here}.elif[{j}].then")
            yield from sms_steps(step.else_, f"{here}.else")
        else:
            yield f"{here}.send_sms", step.send_sms


class WorkflowDefinition(Model):
    """An SMS hook workflow (see the module documentation of workflows.definition)."""
    model_config = ConfigDict(title="SMS hook workflow")
    name: str = Field(min_length=1, description="Name shown to admins.")
    description: str | None = Field(None, description="What it is for.")
    entity: str = Field(min_length=1, description="Logical name of the triggering table, e.g. salesorder.")
    active: bool = Field(False, description="Drafts (false) never run; dry-runs work on them.")
    trigger: Trigger = Field(description="What starts it.")
    condition: Condition | None = Field(None, description="Optional guard checked before the steps.")
    steps: list[Step] = Field(min_length=1, description="What it does, in order.")


for _model in (ElseIf, IfStep, WorkflowDefinition):
    _model.model_rebuild()


def from_data(data: Any) -> WorkflowDefinition:
    if data is None:
        raise DefinitionError([ValidationIssue("", "the definition is empty")])
    if not isinstance(data, dict):
        raise DefinitionError([ValidationIssue("", "a workflow definition is a YAML mapping with "
                                                   "name, entity, trigger and steps")])
    try:
        return WorkflowDefinition.model_validate(data)
    except ValidationError as error:
        raise DefinitionError(issues_from(error)) from None


def load_definition(yaml_text: str) -> WorkflowDefinition:
    """The definition in `yaml_text`; raises DefinitionError (with `.issues`) when it is not one."""
    return from_data(parse_yaml(yaml_text))


def json_schema() -> dict:
    """JSON Schema (2020-12) of the format, for editors."""
    schema = WorkflowDefinition.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def builtin_definitions() -> dict[str, WorkflowDefinition]:
    """The shipped hooks (workflows/builtin/*.yaml) by file name without extension."""
    return {path.stem: load_definition(path.read_text(encoding="utf-8"))
            for path in sorted(BUILTIN_DIR.glob("*.yaml"))}

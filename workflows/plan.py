"""What a workflow would do on an event: the SMS to send, found by walking its steps. No I/O.

The engine then resolves each recipient path, renders the text (or the named template) with the
triggering record and its related records, and sends; a dry-run shows the plan as it is.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from workflows.conditions import RecordSnapshot, evaluate
from workflows.definition import IfStep, WorkflowDefinition
from workflows.triggers import HookEvent, fires


@dataclass(frozen=True)
class PlannedSms:
    recipient_path: str          # "self", "customerid", "customerid.primarycontactid"
    template_text: str | None    # the Jinja text; None when `template` names a stored template
    sms_type: str                # "marketing" | "transactional"
    sender: str | None
    step_path: str               # where the send_sms step is: "steps[0].elif[0].then[0]"
    template: str | None = None  # name of a published SMS template, instead of a text


def plan(definition: WorkflowDefinition, event: HookEvent | None, snapshot: RecordSnapshot) -> list[PlannedSms]:
    """The SMS `definition` sends for `event` on the record `snapshot` describes.

    Nothing when the event is not one the definition starts on (table and trigger), when a
    schedule's query or the guard condition does not hold. `event=None` skips the trigger check
    (a dry-run on a record). Whether the definition is active is the engine's business.
    """
    if event is not None and not fires(definition, event):
        return []
    query = getattr(definition.trigger, "query", None)
    if query is not None and not evaluate(query, snapshot):
        return []
    if definition.condition is not None and not evaluate(definition.condition, snapshot):
        return []
    return list(_walk(definition.steps, "steps", snapshot))


def _walk(steps: list, path: str, snapshot: RecordSnapshot) -> Iterator[PlannedSms]:
    for i, step in enumerate(steps):
        here = f"{path}[{i}]"
        if isinstance(step, IfStep):
            yield from _branch(step, here, snapshot)
        else:
            action = step.send_sms
            yield PlannedSms(action.recipient, action.text, action.sms_type, action.sender, here,
                             action.template)


def _branch(step: IfStep, path: str, snapshot: RecordSnapshot) -> Iterator[PlannedSms]:
    if evaluate(step.if_, snapshot):
        yield from _walk(step.then, f"{path}.then", snapshot)
        return
    for j, branch in enumerate(step.elif_):
        if evaluate(branch.if_, snapshot):
            yield from _walk(branch.then, f"{path}.elif[{j}].then", snapshot)
            return
    yield from _walk(step.else_, f"{path}.else", snapshot)

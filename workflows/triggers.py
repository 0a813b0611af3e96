"""When a trigger fires: one small matcher per trigger kind, chosen by the trigger's `event`.

A `HookEvent` is a Dataverse webhook call reduced to plain values (workflows.events builds it).
Status changes arrive as an `Update` carrying statecode/statuscode in its Target, or as a legacy
`SetState`/`SetStateDynamicEntity` (whose State/Status workflows.events puts in `target` under the
same names); both are compared with the pre image. Register the steps with a pre image holding
statecode and statuscode (and the filtering columns): without one the old value is unknown, and
only a trigger without `from` can match.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.inbound.keywords import is_keyword
from workflows.conditions import comparable
from workflows.definition import InboundTrigger, StatusChangeTrigger, UpdateTrigger, WorkflowDefinition

STATUS_MESSAGES = frozenset({"Update", "SetState", "SetStateDynamicEntity"})
SCHEDULE = "Schedule"          # the message of events the scheduler makes for each record it finds
INBOUND = "Inbound"            # the message of events an inbound SMS makes (workflows.inbound)


@dataclass(frozen=True)
class HookEvent:
    message: str                              # Create, Update, Delete, Assign, SetState..., Schedule
    table: str
    record_id: str | None
    target: Mapping[str, Any] = field(default_factory=dict)   # the columns the operation sent
    pre: Mapping[str, Any] | None = None      # pre image (before the operation)
    post: Mapping[str, Any] | None = None     # post image
    depth: int = 1
    operation_id: str | None = None
    text: str | None = None                   # an inbound SMS's text (INBOUND events)


def _changed(event: HookEvent, column: str) -> bool:
    """The operation sent `column` with a value other than the one in the pre image (if any)."""
    if column not in event.target:
        return False
    if event.pre is None or column not in event.pre:
        return True
    return comparable(event.pre[column]) != comparable(event.target[column])


def _update(trigger: UpdateTrigger, event: HookEvent) -> bool:
    if event.message != "Update":
        return False
    return not trigger.columns or any(_changed(event, column) for column in trigger.columns)


def _assign(trigger: Any, event: HookEvent) -> bool:
    return event.message == "Assign" or (event.message == "Update" and _changed(event, "ownerid"))


def _status_change(trigger: StatusChangeTrigger, event: HookEvent) -> bool:
    if event.message not in STATUS_MESSAGES or not {"statecode", "statuscode"} & set(event.target):
        return False
    after = {**(event.pre or {}), **(event.post or {}), **event.target}
    new = (after.get("statecode"), after.get("statuscode"))
    if trigger.to is not None and not trigger.to.holds(*new):
        return False
    if event.pre is None or "statecode" not in event.pre:     # old status unknown
        return trigger.from_ is None
    old = (event.pre.get("statecode"), event.pre.get("statuscode"))
    if trigger.from_ is not None and not trigger.from_.holds(*old):
        return False
    watches_status = any(codes is not None and codes.statuscode is not None
                         for codes in (trigger.from_, trigger.to))
    return old[0] != new[0] or (watches_status and "statuscode" in event.pre and old[1] != new[1])


def _inbound(trigger: InboundTrigger, event: HookEvent) -> bool:
    return event.message == INBOUND and event.text is not None and is_keyword(event.text, trigger.keywords)


_MATCHERS: dict[str, Callable[[Any, HookEvent], bool]] = {
    "create": lambda trigger, event: event.message == "Create",
    "update": _update,
    "status_change": _status_change,
    "assign": _assign,
    "delete": lambda trigger, event: event.message == "Delete",
    "schedule": lambda trigger, event: event.message == SCHEDULE,
    "inbound": _inbound,
}


def matches(trigger: Any, event: HookEvent) -> bool:
    """Whether `trigger` (a definition's trigger model) fires on `event`."""
    return _MATCHERS[trigger.event](trigger, event)


def fires(definition: WorkflowDefinition, event: HookEvent) -> bool:
    """Whether `definition` starts on `event`: its table and its trigger (active or not)."""
    return event.table == definition.entity and matches(definition.trigger, event)

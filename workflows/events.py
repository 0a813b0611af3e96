"""Webhook calls as hook events: a `RemoteExecutionContext` reduced to what triggers and conditions read.

Create / Update / Delete carry the record in `InputParameters.Target` (an Entity, or an
EntityReference for Delete); legacy SetState / SetStateDynamicEntity carry `EntityMoniker`, `State`
and `Status` (-1: the state's default status) instead, which become `statecode` / `statuscode` in
the event's target; a legacy Assign carries `Assignee`, which becomes `ownerid`. Images are read
whatever alias they were registered with.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from connector.crm.webhook import EntityRef, RemoteExecutionContext, plain_value
from workflows.conditions import RecordSnapshot
from workflows.triggers import HookEvent

SET_STATE = frozenset({"SetState", "SetStateDynamicEntity"})


def hook_event(context: RemoteExecutionContext) -> HookEvent:
    parameters = {pair.key: pair.value for pair in context.input_parameters}
    record_id = context.primary_entity_id
    if context.message_name in SET_STATE:
        target = _state_target(parameters)
        moniker = plain_value(parameters.get("EntityMoniker"))
        if isinstance(moniker, EntityRef) and moniker.id:
            record_id = record_id or moniker.id
    elif context.message_name == "Assign" and "Assignee" in parameters:
        target = {"ownerid": plain_value(parameters["Assignee"])}
    else:
        entity = context.target
        target = entity.attributes if entity is not None else {}
    pre, post = context.image(pre=True), context.image(pre=False)
    return HookEvent(
        message=context.message_name, table=context.primary_entity_name, record_id=record_id,
        target=target, pre=pre.attributes if pre is not None else None,
        post=post.attributes if post is not None else None,
        depth=context.depth, operation_id=context.operation_id)


def _state_target(parameters: dict[str, Any]) -> dict[str, Any]:
    target = {"statecode": plain_value(parameters.get("State"))}
    status = plain_value(parameters.get("Status"))
    if isinstance(status, int) and status != -1:
        target["statuscode"] = status
    return target


def snapshot(event: HookEvent, now: datetime) -> RecordSnapshot:
    """The record as conditions see it: before = the pre image; after = pre image, then post image,
    then the columns the operation sent."""
    after = {**(event.pre or {}), **(event.post or {}), **event.target}
    return RecordSnapshot(before=event.pre, after=after, now=now)

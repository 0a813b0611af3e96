"""The body Dataverse posts to a webhook: a `RemoteExecutionContext` (see reference/dataverse.md).

Collections arrive as `[{"key": ..., "value": ...}]` arrays and typed values carry a `__type`
(`OptionSetValue`, `EntityReference`, `Money`); dates look like `/Date(1722582039000+0000)/`.
`Entity.attributes` turns them into plain Python values the rules can compare.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


@dataclass(frozen=True)
class EntityRef:
    logical_name: str
    id: str
    name: str | None = None


def plain_value(value: Any) -> Any:
    """A webhook attribute value as a plain Python value."""
    if isinstance(value, str):
        match = _DATE.match(value)
        if match:
            return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc)
        return value
    if not isinstance(value, dict):
        return value
    kind = str(value.get("__type", "")).split(":", 1)[0]
    if kind == "EntityReference":
        return EntityRef(value.get("LogicalName", ""), str(value.get("Id", "")).lower(), value.get("Name"))
    if kind in ("OptionSetValue", "Money", "BooleanManagedProperty"):
        return value.get("Value")
    return value


class KeyValue(BaseModel):
    model_config = ConfigDict(extra="allow")
    key: str
    value: Any = None


def _as_dict(pairs: list[KeyValue]) -> dict[str, Any]:
    return {pair.key: pair.value for pair in pairs}


class Entity(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    logical_name: str | None = Field(default=None, alias="LogicalName")
    id: str | None = Field(default=None, alias="Id")
    row_version: str | None = Field(default=None, alias="RowVersion")
    attribute_pairs: list[KeyValue] = Field(default_factory=list, alias="Attributes")
    formatted_pairs: list[KeyValue] = Field(default_factory=list, alias="FormattedValues")

    @property
    def attributes(self) -> dict[str, Any]:
        return {pair.key: plain_value(pair.value) for pair in self.attribute_pairs}

    @property
    def formatted_values(self) -> dict[str, Any]:
        return _as_dict(self.formatted_pairs)


def _guid(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    return str(uuid.UUID(str(value)))      # raises ValueError naming nothing secret


class RemoteExecutionContext(BaseModel):
    """The fields the connector reads; everything else is kept but ignored."""
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    message_name: str = Field(alias="MessageName", min_length=1)
    primary_entity_name: str = Field(alias="PrimaryEntityName", min_length=1)
    primary_entity_id: str | None = Field(default=None, alias="PrimaryEntityId")
    stage: int | None = Field(default=None, alias="Stage")
    mode: int | None = Field(default=None, alias="Mode")
    depth: int = Field(default=1, alias="Depth")
    operation_id: str | None = Field(default=None, alias="OperationId")
    correlation_id: str | None = Field(default=None, alias="CorrelationId")
    user_id: str | None = Field(default=None, alias="UserId")
    initiating_user_id: str | None = Field(default=None, alias="InitiatingUserId")
    operation_created_on: str | None = Field(default=None, alias="OperationCreatedOn")
    input_parameters: list[KeyValue] = Field(default_factory=list, alias="InputParameters")
    pre_images: list[KeyValue] = Field(default_factory=list, alias="PreEntityImages")
    post_images: list[KeyValue] = Field(default_factory=list, alias="PostEntityImages")

    _ids = field_validator("primary_entity_id", "user_id", "initiating_user_id", "operation_id")(_guid)

    @model_validator(mode="after")
    def _entities_are_entities(self) -> "RemoteExecutionContext":
        """Target and images are read later, when routing: a wrong one is refused here, named."""
        places = [("InputParameters", [p for p in self.input_parameters if p.key == "Target"]),
                  ("PreEntityImages", self.pre_images), ("PostEntityImages", self.post_images)]
        for collection, pairs in places:
            for pair in pairs:
                if not isinstance(pair.value, dict):
                    continue
                try:
                    Entity.model_validate(pair.value)
                except ValidationError as error:
                    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
                    raise ValueError(f"{collection}.{pair.key}: {problems}") from None
        return self

    @property
    def target(self) -> Entity | None:
        value = _as_dict(self.input_parameters).get("Target")
        return Entity.model_validate(value) if isinstance(value, dict) else None

    def image(self, pre: bool, alias: str | None = None) -> Entity | None:
        images = _as_dict(self.pre_images if pre else self.post_images)
        value = images.get(alias) if alias else next(iter(images.values()), None)
        return Entity.model_validate(value) if isinstance(value, dict) else None

    @property
    def acting_user_id(self) -> str | None:
        """Who did it: the initiating user when a plug-in ran as someone else."""
        return self.initiating_user_id or self.user_id


# What the connector's own requests look like in an event (DESIGN §3: a button sets a column and saves).
SMS_ACTIVITY_TABLE = "smsc_textmessage"
PRE_IMAGE = "PreImage"      # the alias the solution registers its step images under (solution.deploy)


def is_sms_activity_write(context: RemoteExecutionContext) -> bool:
    """A Create or Update of an SMS activity."""
    return context.primary_entity_name == SMS_ACTIVITY_TABLE and context.message_name in ("Create", "Update")


def requested_sms_status(context: RemoteExecutionContext) -> Any:
    """The `smsc_status` the event's Target sets on an SMS activity (None when it sets none)."""
    return context.target.attributes.get("smsc_status") if context.target is not None else None


def sms_status_before(context: RemoteExecutionContext) -> Any:
    """The `smsc_status` an Update replaced, from the step's pre-image (None without one)."""
    image = context.image(pre=True, alias=PRE_IMAGE) or context.image(pre=True)
    return image.attributes.get("smsc_status") if image is not None else None


def requested_campaign_action(context: RemoteExecutionContext) -> Any:
    """The `smsc_action` a campaign button set (None when the event is not a campaign write setting it)."""
    if context.primary_entity_name != "campaign" or context.message_name not in ("Create", "Update"):
        return None
    return context.target.attributes.get("smsc_action") if context.target is not None else None

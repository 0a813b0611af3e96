"""The condition and trigger clauses of a workflow definition (pydantic models).

Unions are tagged by a key (`all`, `any`, `not`, `column` for conditions; `event` for triggers);
the tags are the class names, which `workflows.issues.path_of` leaves out of error paths.
"""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StrictInt, Tag, field_validator, model_validator

from workflows.conditions import OPERATORS, check_value


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def tagger(tags: dict[str, str], key: str | None = None):
    """Discriminator: the tag of the first of `tags` present as a key (or as the value of `key`)."""
    def tag(value: Any) -> str | None:
        if isinstance(value, BaseModel):
            return type(value).__name__
        if not isinstance(value, dict):
            return None
        if key is not None:
            tag_value = value.get(key)
            return tags.get(tag_value) if isinstance(tag_value, str) else None
        return next((tags[name] for name in tags if name in value), None)
    return tag


class Comparison(Model):
    kind: ClassVar[str] = "comparison"
    column: str = Field(min_length=1, description="A column of the triggering record (logical name).")
    operator: str = Field(description="; ".join(f"{n}: {o.help}" for n, o in OPERATORS.items()),
                          json_schema_extra={"enum": list(OPERATORS)})
    value: Any = Field(None, validate_default=True, description=(
        "What the operator compares with: nothing for contains_data, does_not_contain_data and "
        "changed; a list for in; days for older_than; a table for is_type; a column for equals_column."))

    @field_validator("operator")
    @classmethod
    def _known_operator(cls, operator: str) -> str:
        if operator not in OPERATORS:
            raise ValueError(f"unknown operator '{operator}'; use one of: {', '.join(OPERATORS)}")
        return operator

    @field_validator("value")
    @classmethod
    def _value_fits(cls, value: Any, info) -> Any:
        operator = info.data.get("operator")
        problem = check_value(operator, value) if operator else None
        if problem:
            raise ValueError(problem)
        return value


class AllOf(Model):
    kind: ClassVar[str] = "all"
    all: list["Condition"] = Field(min_length=1, description="True when every condition is true.")


class AnyOf(Model):
    kind: ClassVar[str] = "any"
    any: list["Condition"] = Field(min_length=1, description="True when at least one condition is true.")


class Not(Model):
    kind: ClassVar[str] = "not"
    not_: "Condition" = Field(alias="not", description="True when the condition is false.")


Condition = Annotated[
    Union[Annotated[AllOf, Tag("AllOf")], Annotated[AnyOf, Tag("AnyOf")], Annotated[Not, Tag("Not")],
          Annotated[Comparison, Tag("Comparison")]],
    Discriminator(tagger({"all": "AllOf", "any": "AnyOf", "not": "Not", "column": "Comparison",
                           "operator": "Comparison"}), custom_error_type="condition",
                  custom_error_message="a condition is {all: [...]}, {any: [...]}, {not: ...} "
                                       "or {column, operator, value}")]


class StatusCodes(Model):
    statecode: int = Field(strict=True, description="The state (statecode) value, e.g. 3 for a fulfilled order.")
    statuscode: list[StrictInt] | None = Field(None, description="Status reason values (one or a list); "
                                                                 "omitted: any status of that state.")

    @field_validator("statuscode", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, int) and not isinstance(value, bool) else value

    def holds(self, state: Any, status: Any) -> bool:
        return state == self.statecode and (self.statuscode is None or status in self.statuscode)


class CreateTrigger(Model):
    event: Literal["create"] = Field(description="A record of the table is created.")


class UpdateTrigger(Model):
    event: Literal["update"] = Field(description="A record of the table is updated.")
    columns: list[str] = Field(default_factory=list,
                               description="Filtering columns: fire only when one of them changed.")


class StatusChangeTrigger(Model):
    event: Literal["status_change"] = Field(description="The record's status (statecode) changes.")
    from_: StatusCodes | None = Field(None, alias="from", description="The status it leaves (optional).")
    to: StatusCodes | None = Field(None, description="The status it enters.")

    @model_validator(mode="after")
    def _from_or_to(self) -> "StatusChangeTrigger":
        if self.from_ is None and self.to is None:
            raise ValueError("a status_change trigger needs 'to' and/or 'from'")
        return self


class AssignTrigger(Model):
    event: Literal["assign"] = Field(description="The record is assigned to another owner.")


class DeleteTrigger(Model):
    event: Literal["delete"] = Field(description="The record is deleted.")


class ScheduleTrigger(Model):
    event: Literal["schedule"] = Field(description="Runs on a timer over the records the query finds.")
    query: Condition = Field(description="The records concerned, e.g. created 90 days ago or more.")
    period_days: int = Field(ge=1, description="A record is sent at most once per this many days.")


class InboundTrigger(Model):
    event: Literal["inbound"] = Field(description="An SMS is received whose whole text is one of the keywords "
                                                  "(case, accents, spaces and final punctuation ignored), from "
                                                  "a number the CRM knows as a record of the table.")
    keywords: list[str] = Field(description="The words that start it, e.g. [OUI, YES]. STOP and START "
                                            "keywords never start a workflow: they opt the number out and in.")

    @field_validator("keywords")
    @classmethod
    def _some_keywords(cls, keywords: list[str]) -> list[str]:
        kept = [keyword.strip() for keyword in keywords if keyword.strip()]
        if not kept:
            raise ValueError("an inbound trigger needs at least one keyword, e.g. keywords: [OUI]")
        if len(kept) < len(keywords):
            raise ValueError("a keyword cannot be empty")
        return kept


TRIGGER_EVENTS = {"create": "CreateTrigger", "update": "UpdateTrigger", "status_change": "StatusChangeTrigger",
                  "assign": "AssignTrigger", "delete": "DeleteTrigger", "schedule": "ScheduleTrigger",
                  "inbound": "InboundTrigger"}
Trigger = Annotated[
    Union[Annotated[CreateTrigger, Tag("CreateTrigger")], Annotated[UpdateTrigger, Tag("UpdateTrigger")],
          Annotated[StatusChangeTrigger, Tag("StatusChangeTrigger")], Annotated[AssignTrigger, Tag("AssignTrigger")],
          Annotated[DeleteTrigger, Tag("DeleteTrigger")], Annotated[ScheduleTrigger, Tag("ScheduleTrigger")],
          Annotated[InboundTrigger, Tag("InboundTrigger")]],
    Discriminator(tagger(TRIGGER_EVENTS, key="event"), custom_error_type="trigger",
                  custom_error_message=f"a trigger needs 'event': one of {', '.join(TRIGGER_EVENTS)}")]


for _model in (AllOf, AnyOf, Not, ScheduleTrigger):
    _model.model_rebuild()

"""Dataverse Web API rows as template context: what `{{ field }}` sees."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

FORMATTED_VALUE = "@OData.Community.Display.V1.FormattedValue"
LOOKUP_LOGICAL_NAME = "@Microsoft.Dynamics.CRM.lookuplogicalname"

_LOOKUP_COLUMN = re.compile(r"_(\w+)_value")
_MULTI_SELECT = re.compile(r"-?\d+(,-?\d+)*")
_FORMATTED_NUMBER = re.compile(r"[-+]?[\d\s.,'\u00a0\u202f]+")


def record_context(
    record: Mapping[str, Any], lookups: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """Template context for one row (fetched with odata.include-annotations="*").

    Choices and yes/no columns show their label; `_parentcustomerid_value` becomes
    `parentcustomerid` = {"id", "name", "entity", + the columns of the related row found
    in `lookups["parentcustomerid"]`}; annotations and @odata keys are dropped.
    """
    lookups = lookups or {}
    context: dict[str, Any] = {}
    for key, value in record.items():
        if "@" in key:  # annotations, @odata.etag, @odata.context
            continue
        lookup = _LOOKUP_COLUMN.fullmatch(key) if key[:1] == "_" else None     # most columns are not lookups
        if lookup:
            name = lookup.group(1)
            context[name] = _lookup_value(record, key, lookups.get(name))
        else:
            label = record.get(key + FORMATTED_VALUE) if value is not None else None
            context[key] = label if label is not None and _is_choice(value, label) else value
    return context


def _lookup_value(
    record: Mapping[str, Any], key: str, related: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    lookup_id = record[key]
    if lookup_id is None:
        return None
    value = record_context(related) if related else {}
    value["id"] = lookup_id
    label = record.get(key + FORMATTED_VALUE)
    if label is not None or "name" not in value:
        value["name"] = label
    entity = record.get(key + LOOKUP_LOGICAL_NAME)
    if entity is not None:
        value["entity"] = entity
    return value


def _is_choice(value: Any, label: Any) -> bool:
    """True when `label` names a choice (or yes/no) value rather than formatting a number.

    Whole-number columns also carry a formatted value ("1,234"); they stay numbers so that
    the number and money filters still work on them.
    """
    if not isinstance(label, str):
        return False
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        looks_numeric = _FORMATTED_NUMBER.fullmatch(label) is not None
        return not (looks_numeric and re.sub(r"[^\d-]", "", label) == str(value))
    # Multi-select choices come as "100000000,100000001".
    return isinstance(value, str) and _MULTI_SELECT.fullmatch(value) is not None

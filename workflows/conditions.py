"""Conditions of hook workflows: the operators, as data, and a small evaluator.

In the style of venmo/business-rules: a condition is `{all: [...]}`, `{any: [...]}`,
`{not: ...}` or a comparison `{column, operator, value}`; every operator is one row of
`OPERATORS` saying what value it takes, which column types it applies to and how it tests.
The definition model checks the value's shape, validation checks it against the table's
columns, and `evaluate` runs it on a `RecordSnapshot`. Adding an operator is adding a row.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from operator import gt, lt
from typing import Any

NUMBERS = frozenset({"int", "decimal", "money"})
_NUMBER = (int, float, Decimal)


@dataclass(frozen=True)
class RecordSnapshot:
    """The triggering record before the event (None on Create and schedules) and after it."""
    before: Mapping[str, Any] | None
    after: Mapping[str, Any]
    now: datetime


@dataclass(frozen=True)
class Operator:
    takes: str                           # see VALUE_KINDS
    test: Callable[[RecordSnapshot, str, Any], bool]
    help: str
    column_types: frozenset[str] | None = None    # None: any column


_SCALAR = (str, int, float, bool, date)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and value.isidentifier()


VALUE_KINDS: dict[str, tuple[str, Callable[[Any], bool]]] = {   # what an operator takes: wording, test
    "nothing": ("no value", lambda v: v is None),
    "scalar": ("a single value (text, number, true/false or date)", lambda v: isinstance(v, _SCALAR)),
    "list": ("a non-empty list of values",
             lambda v: isinstance(v, list) and bool(v) and all(isinstance(x, _SCALAR) for x in v)),
    "bound": ("a number or a date", lambda v: _is_number(v) or _moment(v) is not None),
    "days": ("a whole number of days (1 or more)", lambda v: _is_number(v) and v == int(v) >= 1),
    "table": ("a table logical name such as account", _is_name),
    "column": ("another column of the same table", _is_name),
}


def comparable(value: Any) -> Any:
    """A value as compared: lookups by id, text case-insensitively (as Dataverse does)."""
    if isinstance(value, Mapping):
        value = value.get("id")
    elif hasattr(value, "logical_name") and hasattr(value, "id"):    # connector.crm.webhook.EntityRef
        value = value.id
    return value.casefold() if isinstance(value, str) else value


def _moment(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    return None


def has_data(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _same(actual: Any, expected: Any) -> bool:
    if not has_data(actual):
        return False
    moments = _moment(actual), _moment(expected)
    dated = isinstance(actual, date) or isinstance(expected, date) or "T" in str(actual)
    if dated and None not in moments:
        return moments[0] == moments[1]      # dates, or two ISO date-times ("Z" or "+00:00")
    return comparable(actual) == comparable(expected)


def _order(actual: Any, bound: Any) -> tuple[Any, Any] | None:
    """Both sides as comparable numbers or moments, or None when they are not comparable."""
    if not has_data(actual):
        return None
    if isinstance(bound, (int, float)) and isinstance(actual, _NUMBER) and not isinstance(actual, bool):
        return float(actual), bound
    left, right = _moment(actual), _moment(bound)
    return (left, right) if left is not None and right is not None else None


def _ordered(relation: Callable[[Any, Any], bool]) -> Callable[[RecordSnapshot, str, Any], bool]:
    def test(s: RecordSnapshot, column: str, bound: Any) -> bool:
        pair = _order(s.after.get(column), bound)
        return pair is not None and relation(*pair)
    return test


def _changed(s: RecordSnapshot, column: str, _: Any) -> bool:
    if s.before is None:                 # a new record: "changed" from nothing
        return has_data(s.after.get(column))
    return comparable(s.before.get(column)) != comparable(s.after.get(column))


def _older_than(s: RecordSnapshot, column: str, days: Any) -> bool:
    moment = _moment(s.after.get(column))
    return moment is not None and s.now - moment >= timedelta(days=days)


def _is_type(s: RecordSnapshot, column: str, table: Any) -> bool:
    value = s.after.get(column)
    kind = value.get("entity") if isinstance(value, Mapping) else getattr(value, "logical_name", None)
    return kind == table


def _same_as_column(s: RecordSnapshot, column: str, other: Any) -> bool:
    return has_data(s.after.get(other)) and _same(s.after.get(column), s.after.get(other))


OPERATORS: dict[str, Operator] = {
    "equals": Operator("scalar", lambda s, c, v: _same(s.after.get(c), v), "the column holds this value"),
    "not_equals": Operator("scalar", lambda s, c, v: not _same(s.after.get(c), v),
                           "the column does not hold this value (an empty column counts as different)"),
    "in": Operator("list", lambda s, c, v: any(_same(s.after.get(c), x) for x in v),
                   "the column holds one of these values"),
    "contains_data": Operator("nothing", lambda s, c, v: has_data(s.after.get(c)), "the column is not empty"),
    "does_not_contain_data": Operator("nothing", lambda s, c, v: not has_data(s.after.get(c)),
                                      "the column is empty"),
    "greater_than": Operator("bound", _ordered(gt), "the column is above this number or after this date",
                             NUMBERS | {"datetime"}),
    "less_than": Operator("bound", _ordered(lt), "the column is below this number or before this date",
                          NUMBERS | {"datetime"}),
    "changed": Operator("nothing", _changed,
                        "the event changed the column (on a new record: the column has data)"),
    "older_than": Operator("days", _older_than, "the date in the column is at least this many days ago",
                           frozenset({"datetime"})),
    "is_type": Operator("table", _is_type, "the lookup points to a record of this table",
                        frozenset({"lookup"})),
    "equals_column": Operator("column", _same_as_column,
                              "the column holds the same value as this other column"),
}


def check_value(operator: str, value: Any) -> str | None:
    """Why `value` (None: not given) does not suit `operator` (shape only, no table needed), or None."""
    takes = OPERATORS[operator].takes
    wording, fits = VALUE_KINDS[takes]
    if fits(value):
        return None
    if takes == "nothing":
        return f"operator '{operator}' takes no value"
    return f"operator '{operator}' needs {wording}" + ("" if value is None else f", not {value!r}")


def evaluate(condition: Any, snapshot: RecordSnapshot) -> bool:
    """True when `condition` (a definition model: All / AnyOf / Not / Comparison) holds."""
    kind = condition.kind
    if kind == "all":
        return all(evaluate(part, snapshot) for part in condition.all)
    if kind == "any":
        return any(evaluate(part, snapshot) for part in condition.any)
    if kind == "not":
        return not evaluate(condition.not_, snapshot)
    return OPERATORS[condition.operator].test(snapshot, condition.column, condition.value)

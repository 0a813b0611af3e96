"""The condition evaluator: every operator on true and false cases, and all / any / not."""
from datetime import date, datetime, timedelta, timezone

import pytest

from connector.crm.webhook import EntityRef
from workflows.clauses import AllOf, AnyOf, Comparison, Not
from workflows.conditions import OPERATORS, RecordSnapshot, check_value, evaluate

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
ACCOUNT = EntityRef("account", "aaaa", "Contoso")
CONTACT = EntityRef("contact", "cccc", "Ada")

AFTER = {
    "statecode": 3, "name": "Commande Contoso", "blank": "  ", "empty": None, "totalamount": 120.5,
    "customerid": ACCOUNT, "createdon": NOW - timedelta(days=90), "modifiedon": NOW - timedelta(days=90),
    "textdate": "2025-12-01T12:00:00Z", "recent": NOW - timedelta(days=89, hours=23),
    "parentcustomerid": {"id": "CCCC", "name": "Ada", "entity": "contact"},
}
BEFORE = {**AFTER, "statecode": 1, "customerid": EntityRef("account", "aaaa", "renamed")}


def holds(column, operator, value=None, before=BEFORE, after=AFTER) -> bool:
    comparison = Comparison(column=column, operator=operator, value=value)
    return evaluate(comparison, RecordSnapshot(before=before, after=after, now=NOW))


CASES = [  # (column, operator, value, expected)
    ("statecode", "equals", 3, True), ("statecode", "equals", 1, False),
    ("name", "equals", "COMMANDE contoso", True),            # text compares case-insensitively
    ("customerid", "equals", "AAAA", True),                   # a lookup compares by id
    ("parentcustomerid", "equals", "cccc", True),
    ("createdon", "equals", (NOW - timedelta(days=90)).isoformat(), True),
    ("textdate", "equals", date(2025, 12, 1), False), ("textdate", "equals", "2025-12-01T12:00:00+00:00", True),
    ("empty", "equals", "x", False),
    ("statecode", "not_equals", 1, True), ("statecode", "not_equals", 3, False), ("empty", "not_equals", 3, True),
    ("statecode", "in", [2, 3], True), ("statecode", "in", [0, 1], False),
    ("name", "contains_data", None, True), ("blank", "contains_data", None, False),
    ("empty", "contains_data", None, False), ("missing", "contains_data", None, False),
    ("blank", "does_not_contain_data", None, True), ("name", "does_not_contain_data", None, False),
    ("totalamount", "greater_than", 100, True), ("totalamount", "greater_than", 120.5, False),
    ("totalamount", "less_than", 121, True), ("totalamount", "less_than", 120.5, False),
    ("createdon", "less_than", "2026-01-01", True), ("createdon", "greater_than", date(2026, 1, 1), False),
    ("empty", "greater_than", 0, False), ("name", "greater_than", 0, False),
    ("statecode", "changed", None, True), ("name", "changed", None, False),
    ("customerid", "changed", None, False),                   # same record, other display name
    ("createdon", "older_than", 90, True), ("recent", "older_than", 90, False),
    ("textdate", "older_than", 90, True), ("empty", "older_than", 1, False), ("name", "older_than", 1, False),
    ("customerid", "is_type", "account", True), ("customerid", "is_type", "contact", False),
    ("parentcustomerid", "is_type", "contact", True), ("empty", "is_type", "account", False),
    ("modifiedon", "equals_column", "createdon", True), ("recent", "equals_column", "createdon", False),
    ("empty", "equals_column", "missing", False),
]


@pytest.mark.parametrize("column, operator, value, expected", CASES)
def test_operator(column, operator, value, expected):
    assert holds(column, operator, value) is expected


def test_every_operator_has_true_and_false_cases():
    for name in OPERATORS:
        outcomes = {expected for _, operator, _, expected in CASES if operator == name}
        assert outcomes == {True, False}, name


def test_changed_on_a_new_record_means_it_has_data():
    assert holds("name", "changed", before=None)
    assert not holds("empty", "changed", before=None)


@pytest.mark.parametrize("condition, expected", [
    (AllOf(all=[Comparison(column="statecode", operator="equals", value=3),
                Comparison(column="name", operator="contains_data")]), True),
    (AllOf(all=[Comparison(column="statecode", operator="equals", value=3),
                Comparison(column="empty", operator="contains_data")]), False),
    (AnyOf(any=[Comparison(column="statecode", operator="equals", value=0),
                Comparison(column="empty", operator="does_not_contain_data")]), True),
    (AnyOf(any=[Comparison(column="statecode", operator="equals", value=0),
                Comparison(column="name", operator="does_not_contain_data")]), False),
    (Not(**{"not": Comparison(column="statecode", operator="equals", value=3)}), False),
    (Not(**{"not": AnyOf(any=[Comparison(column="statecode", operator="in", value=[0, 1])])}), True),
])
def test_all_any_not(condition, expected):
    assert evaluate(condition, RecordSnapshot(before=BEFORE, after=AFTER, now=NOW)) is expected


@pytest.mark.parametrize("operator, value, problem", [
    ("equals", None, "operator 'equals' needs a single value (text, number, true/false or date)"),
    ("equals", [1], "operator 'equals' needs a single value (text, number, true/false or date), not [1]"),
    ("in", 3, "operator 'in' needs a non-empty list of values, not 3"),
    ("in", [], "operator 'in' needs a non-empty list of values, not []"),
    ("contains_data", "x", "operator 'contains_data' takes no value"),
    ("older_than", 0, "operator 'older_than' needs a whole number of days (1 or more), not 0"),
    ("older_than", True, "operator 'older_than' needs a whole number of days (1 or more), not True"),
    ("older_than", 1.5, "operator 'older_than' needs a whole number of days (1 or more), not 1.5"),
    ("greater_than", "abc", "operator 'greater_than' needs a number or a date, not 'abc'"),
    ("is_type", "a b", "operator 'is_type' needs a table logical name such as account, not 'a b'"),
])
def test_value_shapes_are_checked(operator, value, problem):
    assert check_value(operator, value) == problem


@pytest.mark.parametrize("operator, value", [
    ("equals", 3), ("in", [1, "a"]), ("contains_data", None), ("older_than", 90),
    ("greater_than", 1.5), ("greater_than", "2026-01-01"), ("is_type", "account"), ("equals_column", "createdon"),
])
def test_good_values_pass(operator, value):
    assert check_value(operator, value) is None

"""Validation: every bad definition gets issues with exact paths and messages, never an exception."""
import pytest

from workflows.schema import ColumnInfo, StaticTableSchema
from workflows.validation import ValidationIssue, validate

SCHEMA = StaticTableSchema()

VALID = """\
name: Commande validée
entity: salesorder
trigger: {event: status_change, from: {statecode: 1}, to: {statecode: 3, statuscode: 100001}}
condition: {column: totalamount, operator: greater_than, value: 0}
steps:
  - if: {column: customerid, operator: is_type, value: account}
    then:
      - send_sms: {recipient: customerid.primarycontactid, text: "n°{{ ordernumber }} {{ totalamount | money }}"}
    else:
      - send_sms: {recipient: customerid, text: "Bonjour {{ customerid.firstname }}, n°{{ ordernumber }}"}
"""


def issues(text: str, schema=SCHEMA) -> list[tuple[str, str]]:
    return [(issue.path, issue.message) for issue in validate(text, schema)]


def variant(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


def test_the_valid_definition_has_no_issues():
    assert validate(VALID, SCHEMA) == []


INVALID = [  # (what, definition, [(path, message)])
    ("unknown table", variant("entity: salesorder", "entity: salesorders"),
     [("entity", "unknown table 'salesorders' (did you mean 'salesorder'?)")]),
    ("unknown column in a merge field", variant("n°{{ ordernumber }} {{", "n°{{ ordernumbr }} {{"),
     [("steps[0].then[0].send_sms.text",
       "unknown column 'ordernumbr' in salesorder (merge field {{ ordernumbr }}) (did you mean 'ordernumber'?)")]),
    ("unknown column in a condition", variant("column: totalamount", "column: total"),
     [("condition.column", "unknown column 'total' in salesorder (did you mean 'totalamount'?)")]),
    ("unknown column of a related record", variant("customerid.firstname", "customerid.nickname"),
     [("steps[0].else[0].send_sms.text", "no column 'nickname' in account or contact "
                                         "(merge field {{ customerid.nickname }})")]),
    ("bad operator", variant("operator: greater_than", "operator: greater"),
     [("condition.operator", "unknown operator 'greater'; use one of: equals, not_equals, in, contains_data, "
                             "does_not_contain_data, greater_than, less_than, changed, older_than, is_type, "
                             "equals_column")]),
    ("operator on the wrong column type", variant("column: totalamount, operator: greater_than, value: 0",
                                                  "column: ordernumber, operator: older_than, value: 90"),
     [("condition.operator", "operator 'older_than' needs a datetime column; ordernumber is a string column")]),
    ("operator value of the wrong shape", variant("operator: greater_than, value: 0", "operator: in, value: 0"),
     [("condition.value", "operator 'in' needs a non-empty list of values, not 0")]),
    ("value of the wrong type", variant("column: totalamount, operator: greater_than, value: 0",
                                       "column: statecode, operator: equals, value: Exécuté"),
     [("condition.value", "'Exécuté' does not suit statecode (a choice column): "
                          "expected a whole number (the choice value)")]),
    ("is_type on a table the lookup never points to", variant("value: account}", "value: lead}"),
     [("steps[0].if.value", "customerid points to account or contact, never to lead")]),
    ("unknown state", variant("to: {statecode: 3,", "to: {statecode: 7,"),
     [("trigger.to.statecode", "salesorder.statecode has no value 7 (its values: 0, 1, 2, 3, 4)")]),
    ("missing recipient", variant("- send_sms: {recipient: customerid, text:", "- send_sms: {text:"),
     [("steps[0].else[0].send_sms.recipient", "required")]),
    ("recipient is not a lookup", variant("recipient: customerid,", "recipient: ordernumber,"),
     [("steps[0].else[0].send_sms.recipient",
       "'ordernumber' is not a lookup: the recipient must be 'self' or a lookup to a contact, account or lead")]),
    ("recipient of the wrong table", variant("recipient: customerid,", "recipient: ownerid,"),
     [("steps[0].else[0].send_sms.recipient",
       "'ownerid' is a systemuser or team: an SMS goes to a contact, account or lead")]),
    ("recipient 'self' on an order", variant("recipient: customerid,", "recipient: self,"),
     [("steps[0].else[0].send_sms.recipient", "'self' is a salesorder: an SMS goes to a contact, account or lead")]),
    ("recipient through an unknown lookup", variant("customerid.primarycontactid", "customerid.managerid"),
     [("steps[0].then[0].send_sms.recipient", "unknown column 'managerid' in account or contact")]),
    ("template syntax error", variant("n°{{ ordernumber }} {{", "n°{{ ordernumber } {{"),
     [("steps[0].then[0].send_sms.text", "template error: line 1: unexpected '}'")]),
    ("template construct refused", variant("n°{{ ordernumber }} {{", "n°{{ ordernumber() }} {{"),
     [("steps[0].then[0].send_sms.text",
       "template error: line 1: not allowed in SMS templates: calls such as x() or x.y()")]),
    ("YAML syntax error", variant("name: Commande validée", "name: Commande: validée"),
     [("", "YAML syntax error at line 1, column 15: mapping values are not allowed here")]),
    ("YAML braces of an unquoted text", variant('text: "n°{{ ordernumber }}', 'text: n°{{ ordernumber }}'),
     [("", "YAML syntax error at line 8, column 68: expected ',' or '}', but got '{'")]),
    ("YAML duplicate key", variant("entity: salesorder\n", "entity: salesorder\nentity: quote\n"),
     [("", "YAML syntax error at line 3, column 1: duplicate key 'entity'")]),
    ("unknown field", variant("condition:", "conditions:"),
     [("conditions", "unknown field")]),
    ("unknown trigger event", variant("event: status_change", "event: statuschange"),
     [("trigger.event", "a trigger needs 'event': one of create, update, status_change, assign, delete, schedule, inbound")]),
    ("step that is neither", variant("  - if:", "  - when:"),
     [("steps[0]", "a step is {if: ..., then: [...]} or {send_sms: {...}}")]),
]


@pytest.mark.parametrize("what, text, expected", INVALID, ids=[case[0] for case in INVALID])
def test_invalid_definitions(what, text, expected):
    assert issues(text) == expected


def test_several_issues_are_all_reported_in_document_order():
    text = variant("column: totalamount", "column: total").replace("recipient: customerid,", "recipient: ownerid,")
    assert [path for path, _ in issues(text)] == ["condition.column", "steps[0].else[0].send_sms.recipient"]


@pytest.mark.parametrize("source, message", [
    ("", "the definition is empty"),
    ("- a list", "a workflow definition is a YAML mapping with name, entity, trigger and steps"),
    (b"\xff\xfe", "the definition is not UTF-8 text"),
    (42, "a workflow definition is a YAML mapping with name, entity, trigger and steps"),
])
def test_never_raises_on_any_input(source, message):
    assert validate(source, SCHEMA) == [ValidationIssue("", message)]


def test_accepts_parsed_json_and_models():
    import yaml

    from workflows.definition import load_definition
    assert validate(yaml.safe_load(VALID), SCHEMA) == []
    assert validate(load_definition(VALID), SCHEMA) == []


def test_trigger_columns_and_schedule_queries_are_checked():
    text = """\
name: t
entity: contact
trigger: {event: schedule, period_days: 7, query: {all: [{column: createdon, operator: older_than, value: 9},
                                                          {column: modifiedon, operator: equals_column, value: created}]}}
steps: [{send_sms: {recipient: self, text: "Bonjour {{ firstname }} {{ parentcustomerid.name }}"}}]
"""
    assert issues(text) == [("trigger.query.all[1].value", "unknown column 'created' in contact (did you mean 'createdon'?)")]
    update = "name: t\nentity: contact\ntrigger: {event: update, columns: [mobilephone, phone]}\n" \
             "steps: [{send_sms: {recipient: self, text: Bonjour}}]"
    assert issues(update) == [("trigger.columns[1]", "unknown column 'phone' in contact (did you mean 'mobilephone'?)")]


def test_status_change_needs_a_statecode_column_and_uses_the_schema_given():
    schema = StaticTableSchema({"new_booking": {"new_name": ColumnInfo("string"),
                                                "new_customer": ColumnInfo("lookup", ("contact",))}})
    text = """\
name: t
entity: new_booking
trigger: {event: status_change, to: {statecode: 1}}
steps: [{send_sms: {recipient: new_customer, text: "{{ new_name }} {{ new_customer.fullname }}"}}]
"""
    assert issues(text, schema) == [("trigger", "unknown column 'statecode' in new_booking"),
                                    ("steps[0].send_sms.text", "no column 'fullname' in contact "
                                                               "(merge field {{ new_customer.fullname }})")]
    assert issues(text.replace("status_change, to: {statecode: 1}", "create"), schema)[0][0] == "steps[0].send_sms.text"


def test_merge_fields_of_lookups():
    ok = variant("Bonjour {{ customerid.firstname }}", "Bonjour {{ customerid.name }} {{ customerid.primarycontactid }}")
    assert issues(ok) == []
    not_lookup = variant("Bonjour {{ customerid.firstname }}", "Bonjour {{ name.first }}")
    assert issues(not_lookup) == [("steps[0].else[0].send_sms.text",
                                   "not a lookup: 'name' in salesorder (merge field {{ name.first }})")]


def test_a_definition_that_does_not_load_still_reports_its_unknown_names():
    from workflows.schema import StaticTableSchema
    from workflows.validation import validate

    text = """
name: Bad hook
entity: salesorder
trigger: {event: update, columns: [statuscode, nosuchcolumn]}
steps:
  - if: {column: totalamout, operator: bigger_than, value: 10}
    then:
      - send_sms: {text: "Commande {{ ordernumber }}"}
"""
    issues = {(i.path, i.message.split(";")[0]) for i in validate(text, StaticTableSchema())}
    assert ("steps[0].then[0].send_sms.recipient", "required") in issues
    assert ("steps[0].if.operator", "unknown operator 'bigger_than'") in issues
    assert ("trigger.columns[1]", "unknown column 'nosuchcolumn' in salesorder") in issues
    assert ("steps[0].if.column", "unknown column 'totalamout' in salesorder (did you mean 'totalamount'?)") in issues

"""plan(): the SMS a definition sends, walking if / elif / else with the record's values."""
from datetime import datetime, timezone

import pytest

from workflows.conditions import RecordSnapshot
from workflows.definition import load_definition
from workflows.plan import PlannedSms, plan
from workflows.triggers import HookEvent

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
WORKFLOW = load_definition("""\
name: Rappel
entity: contact
trigger: {event: update, columns: [firstname, mobilephone]}
condition: {not: {column: statecode, operator: equals, value: 1}}
steps:
  - send_sms: {recipient: self, text: "Bonjour {{ firstname }}", sender: Boutique}
  - if: {column: firstname, operator: equals, value: Ada}
    then:
      - if: {column: mobilephone, operator: contains_data}
        then:
          - send_sms: {recipient: self, template: Bienvenue Ada, sms_type: marketing}
    elif:
      - if: {column: firstname, operator: in, value: [Alan, Grace]}
        then: [{send_sms: {recipient: parentcustomerid, text: "A"}}]
      - if: {column: firstname, operator: contains_data}
        then: [{send_sms: {recipient: parentcustomerid, text: "B"}}]
    else:
      - send_sms: {recipient: parentcustomerid.primarycontactid, text: "C"}
""")


def paths(after: dict, event: HookEvent | None = None) -> list[str]:
    return [sms.step_path for sms in plan(WORKFLOW, event, RecordSnapshot(None, after, NOW))][1:]


@pytest.mark.parametrize("after, expected", [
    ({"firstname": "Ada", "mobilephone": "+33600000000"}, ["steps[1].then[0].then[0]"]),
    ({"firstname": "Ada"}, []),                                      # nested if without else
    ({"firstname": "Grace"}, ["steps[1].elif[0].then[0]"]),
    ({"firstname": "Linus"}, ["steps[1].elif[1].then[0]"]),          # first matching branch only
    ({"firstname": None}, ["steps[1].else[0]"]),
])
def test_branches(after, expected):
    assert paths(after) == expected


def test_actions_are_planned_in_order_with_their_settings():
    first, second = plan(WORKFLOW, None, RecordSnapshot(None, {"firstname": "Ada", "mobilephone": "+336"}, NOW))
    assert first == PlannedSms("self", "Bonjour {{ firstname }}", "transactional", "Boutique", "steps[0]")
    assert second == PlannedSms("self", None, "marketing", None, "steps[1].then[0].then[0]", "Bienvenue Ada")


def test_the_guard_and_the_trigger_come_first():
    record = {"firstname": "Ada", "statecode": 1}
    assert plan(WORKFLOW, None, RecordSnapshot(None, record, NOW)) == []
    changed = HookEvent("Update", "contact", "id", target={"firstname": "Ada"}, pre={"firstname": "Bob"})
    unchanged = HookEvent("Update", "contact", "id", target={"lastname": "L"}, pre={"firstname": "Ada"})
    other_table = HookEvent("Update", "lead", "id", target={"firstname": "Ada"}, pre={"firstname": "Bob"})
    snap = RecordSnapshot({"firstname": "Bob"}, {"firstname": "Ada"}, NOW)
    assert len(plan(WORKFLOW, changed, snap)) == 1
    assert plan(WORKFLOW, unchanged, snap) == [] and plan(WORKFLOW, other_table, snap) == []

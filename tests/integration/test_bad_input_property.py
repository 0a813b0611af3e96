"""Bad input never answers 5xx (property-based): the four keyed routes get generated bad bodies (deep
nesting, huge numbers, lone surrogates, wrong types in every field of a RemoteExecutionContext, YAML
bombs, template bombs). Whatever the body: no 5xx, no write at the Dataverse emulator, no SMS at the
Octopush emulator, no secret in the answer.

One emulator stack serves every example (hence the suppressed fixture health check); bounded so that
the whole module runs in seconds, with no real sleeping and no example database on disk.
"""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulators import dataverse_seed as seed
from emulators.stack import DATAVERSE_TOKEN, OCTOPUSH_KEY
from emulators.webhook_bodies import option, reference, remote_execution_context
from functions.local_host import invoke
from workflows.definition import BUILTIN_DIR

ROUTES = ("dataverse/events", "textmessages/preview", "workflows/validate", "workflows/dry-run")
ORDER_FULFILLED = (BUILTIN_DIR / "order_fulfilled.yaml").read_text(encoding="utf-8")
GONE = "a0000000-0000-4000-8000-0000000000ff"      # no such row: a valid event about it writes nothing

BOUNDED = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                          HealthCheck.data_too_large])


# --- generated values ------------------------------------------------------------------------------

lone_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
texts = st.one_of(st.text(max_size=20), st.text(st.one_of(lone_surrogates, st.characters()), min_size=1, max_size=5))
# Python itself cannot print an int of more than 4,300 digits: a marker the encoder writes as digits.
huge_integers = st.integers(min_value=65, max_value=5000).map(lambda digits: f"<<{digits} digits>>")
_HUGE = re.compile(r'"<<(\d+) digits>>"')
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts, huge_integers)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)


def encoded(value: Any) -> bytes:
    """JSON text as a client would send it; lone surrogates become `\\udxxx` escapes."""
    text = json.dumps(value, ensure_ascii=True)
    return _HUGE.sub(lambda marker: "7" * int(marker.group(1)), text).encode()


def _nesting(depth: int, kind: str) -> bytes:
    if kind == "list":
        return b"[" * depth + b"]" * depth
    if kind == "object":
        return b'{"a":' * depth + b"1" + b"}" * depth
    return b'{"definition": ' + b'{"a": [' * depth + b"1" + b"]}" * depth + b"}"


deep_json = st.builds(_nesting, st.integers(min_value=65, max_value=3000), st.sampled_from(["list", "object", "mixed"]))
huge_number_bodies = st.builds(lambda n, key: f'{{"{key}": {"1" * n}}}'.encode(), st.integers(4300, 6000),
                               st.sampled_from(["a", "text", "definition", "Depth", "smstype"]))
surrogate_bodies = st.builds(lambda key, char: ('{"%s": "\\u%04x"}' % (key, ord(char))).encode(),
                             st.sampled_from(["text", "message", "MessageName", "definition", "sender"]),
                             lone_surrogates)
garbage = st.one_of(st.binary(max_size=60), deep_json, huge_number_bodies, surrogate_bodies, json_values.map(encoded))


# --- RemoteExecutionContext with one field of the wrong type ---------------------------------------

def _contexts() -> list[dict]:
    user = seed.CLAIRE_MARTIN_ID
    return [
        remote_execution_context("Create", "smsc_textmessage", GONE, user_id=user,
                                 attributes={"smsc_status": option(2)}),
        remote_execution_context("Update", "campaign", GONE, user_id=user, attributes={"smsc_action": option(1)}),
        remote_execution_context("Update", "salesorder", GONE, user_id=user, attributes={
            "statecode": option(3), "customerid": reference("contact", seed.DAVID_SMITH_ID)},
            pre_image={"statecode": option(1)}),
        remote_execution_context("Create", "msdyn_agentstatus", GONE, user_id=user, attributes={}),
    ]


PLACES = ["MessageName", "PrimaryEntityName", "PrimaryEntityId", "Stage", "Mode", "Depth", "UserId",
          "InitiatingUserId", "OperationId", "OperationCreatedOn", "InputParameters", "PreEntityImages",
          "PostEntityImages", "ParentContext", "InputParameters.0", "InputParameters.0.key",
          "InputParameters.0.value", "InputParameters.0.value.LogicalName", "InputParameters.0.value.Id",
          "InputParameters.0.value.Attributes", "InputParameters.0.value.Attributes.0",
          "InputParameters.0.value.Attributes.0.key", "InputParameters.0.value.Attributes.0.value",
          "InputParameters.0.value.FormattedValues", "InputParameters.0.value.RowVersion"]


def with_value_at(context: dict, place: str, value: Any) -> dict:
    """A copy of `context` with `value` at `place` (dotted path, digits index lists), where it exists."""
    copy = json.loads(json.dumps(context))
    *parents, last = place.split(".")
    node: Any = copy
    for part in parents:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return copy
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    return copy


wrong_events = st.builds(with_value_at, st.sampled_from(_contexts()), st.sampled_from(PLACES), json_values)


# --- workflow definitions and previews ---------------------------------------------------------------

yaml_bombs = st.one_of(
    st.integers(41, 1500).map(lambda n: "[" * n + "]" * n),
    st.integers(41, 400).map(lambda n: "extra: " + "[" * n + "]" * n),
    st.integers(41, 200).map(lambda n: "".join(f"{'  ' * i}k{i}:\n" for i in range(n)) + "  " * n + "v"),
    st.integers(65, 5000).map(lambda n: "name: x\npriority: " + "9" * n),
    st.sampled_from(["{{ 7*7 }}", "a: &a [1, 2]\nb: [*a, *a, *a]", "!!python/object/apply:os.system ['true']",
                     "a: 1\na: 2", "? [1, 2]\n: x", "when: 2001-13-45", "name: \"\\ud800\""]),
    st.builds(lambda extra: ORDER_FULFILLED + extra, st.sampled_from(
        ["extra: " + "[" * 316 + "]" * 316, "extra: {{ 7*7 }}", "\nsteps: 1", "\n  - 1"])),
)
template_bombs = st.one_of(
    st.integers(1, 12).map(lambda n: "{{ firstname" + "|replace('', 'xxxxxxxxxx')" * n + " }}"),
    st.integers(20, 3000).map(lambda n: "{{ firstname" + "|trim" * n + " }}"),
    st.integers(11, 300).map(lambda n: "{% if firstname %}" * n + "x" + "{% endif %}" * n),
    st.integers(20, 500).map(lambda n: "{{ " + "(" * n + "firstname" + ")" * n + " }}"),
    st.integers(1, 40).map(lambda n: "{{ firstname }}" * (n * 40)),
    st.sampled_from(["{{ parentcustomerid.nosuchfield }}", "{{ nosuch }}", "{{ firstname | number(100000) }}",
                     "{{ firstname | round(99999999999) }}", "{{ ''.__class__ }}", "{{ firstname",
                     "x" * 300_000, "{% for x in y %}{% endfor %}", "{{ firstname | truncate(-5) }}"]),
)
previews = st.one_of(
    st.builds(lambda text: {"text": text, "regarding": {"entity": "contact", "id": seed.DAVID_SMITH_ID}},
              template_bombs),
    st.builds(lambda field, value: with_value_at(
        {"text": "Bonjour {{ firstname }}", "templateid": seed.TEMPLATE_ORDER_ID, "smstype": 1, "sender": "Shop",
         "userid": seed.CLAIRE_MARTIN_ID, "regarding": {"entity": "contact", "id": seed.DAVID_SMITH_ID}},
        field, value),
        st.sampled_from(["text", "templateid", "smstype", "sender", "userid", "regarding", "regarding.entity",
                         "regarding.id"]), json_values),
    st.builds(lambda record: {"templateid": seed.TEMPLATE_ORDER_ID, "regarding": {"entity": "contact", "id": record}},
              st.sampled_from([GONE, seed.DAVID_SMITH_ID.upper()])),
)
dry_runs = st.builds(lambda field, value: with_value_at(
    {"definition": ORDER_FULFILLED, "entity": "salesorder", "id": seed.ORDER_SMITH_ID, "message": "Update",
     "userid": seed.CLAIRE_MARTIN_ID}, field, value),
    st.sampled_from(["definition", "entity", "id", "message", "userid", "extra"]),
    st.one_of(json_values, yaml_bombs))


# --- the property --------------------------------------------------------------------------------------

class Checked:
    def __init__(self, stack):
        self.stack = stack
        self.secrets = [stack.webhook_key, OCTOPUSH_KEY, DATAVERSE_TOKEN]

    def post(self, route: str, body: bytes | dict, content_type: str = "application/json") -> None:
        if isinstance(body, dict):
            body = encoded(body)
        headers = {"x-smsc-webhook-key": self.stack.webhook_key, "content-type": content_type}
        response = invoke("POST", route, body=body, headers=headers)
        shown = f"{route} {body[:300]!r} -> {response.status} {response.body[:300]!r}"
        assert response.status < 500, shown
        answer = response.body.decode("utf-8")
        assert isinstance(response.json(), dict), shown
        assert not any(secret in answer for secret in self.secrets), shown
        writes = [r for r in self.stack.dataverse.requests if r.method in ("POST", "PATCH", "DELETE", "PUT")]
        assert writes == [], shown
        assert self.stack.octopush.sends == [], shown


@pytest.fixture
def checked(stack):
    return Checked(stack)


@BOUNDED
@given(route=st.sampled_from(ROUTES), body=garbage)
def test_garbage_on_any_keyed_route_is_never_a_5xx(checked, route, body):
    checked.post(route, body)


@BOUNDED
@given(body=wrong_events)
def test_webhook_bodies_with_a_wrong_field_are_never_a_5xx(checked, body):
    checked.post("dataverse/events", body)


@settings(BOUNDED, max_examples=40)
@given(body=previews)
def test_previews_with_bad_fields_or_template_bombs_are_never_a_5xx(checked, body):
    checked.post("textmessages/preview", body)


@settings(BOUNDED, max_examples=40)
@given(definition=yaml_bombs, as_json=st.booleans())
def test_yaml_bombs_on_validate_are_never_a_5xx(checked, definition, as_json):
    if as_json:
        checked.post("workflows/validate", {"definition": definition})
    else:
        checked.post("workflows/validate", definition.encode(), "text/yaml")


@settings(BOUNDED, max_examples=40)
@given(body=dry_runs)
def test_dry_runs_with_bad_fields_are_never_a_5xx(checked, body):
    checked.post("workflows/dry-run", body)

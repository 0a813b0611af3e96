"""Fuzzing the public handlers with hypothesis (issue 17), through functions.local_host.invoke with the
right keys, against the emulators: the Dataverse webhook (random JSON, and Microsoft's real
RemoteExecutionContext samples from ../shared/reference/samples/webhooks with fields mutated or removed),
the provider callbacks (random bodies and query strings), template previews (random template texts) and
workflow validation (random YAML-ish text, and the builtin definitions mutated).

Whatever the input: never a 5xx, never a traceback or a secret in the answer, and when the answer is a 4xx
nothing was written — no POST/PATCH/PUT/DELETE in the Dataverse emulator's request log, no SMS at the
Octopush emulator. Previews and validations never write at all. Bounded: each property runs a fixed,
derandomized set of examples against one stack per test, with no example database on disk.
"""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulators import dataverse_seed as seed
from emulators.stack import DATAVERSE_TOKEN, OCTOPUSH_KEY
from emulators.webhook_bodies import option, reference, remote_execution_context, webhook_headers
from functions.local_host import invoke
from workflows.definition import BUILTIN_DIR

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "samples" / "webhooks"
WRITES = ("POST", "PATCH", "PUT", "DELETE")

# SMSC_FUZZ_EXAMPLES=500 explores at random, that many examples per property (a longer hunt, by hand).
EXPLORE = int(os.environ.get("SMSC_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=EXPLORE or 60, deadline=None, database=None, derandomize=not EXPLORE,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])


def examples(count: int) -> settings:
    return settings(FUZZ, max_examples=EXPLORE or count)


# --- generated values ---------------------------------------------------------------------------------------

texts = st.text(max_size=30)
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
                    st.floats(allow_nan=False, allow_infinity=False), texts)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)), max_leaves=10)


def _samples() -> list[tuple[str, dict]]:
    found = []
    for path in sorted(SAMPLES.rglob("*.json")):
        try:
            body = json.loads(path.read_text(encoding="utf-8-sig"))
        except ValueError:
            continue
        if isinstance(body, dict):
            found.append((path.name, body))
    return found


SAMPLE_BODIES = _samples()


def _containers(node: Any, trail: tuple = ()) -> list[tuple]:
    """Every path (keys and indexes) to a dict or list in `node`."""
    found = [trail]
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                found += _containers(value, (*trail, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, (dict, list)):
                found += _containers(value, (*trail, index))
    return found


def _at(node: Any, trail: tuple) -> Any:
    for step in trail:
        node = node[step]
    return node


@st.composite
def mutated(draw, documents: list[Any]) -> Any:
    """One of `documents` with one to four fields removed, replaced by a random JSON value, or renamed."""
    document = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(1, 4))):
        places = _containers(document)
        container = _at(document, draw(st.sampled_from(places)))
        members = list(container) if isinstance(container, dict) else list(range(len(container)))
        if not members:
            continue
        member = draw(st.sampled_from(members))
        action = draw(st.sampled_from(["remove", "replace", "rename", "swap type"]))
        if action == "remove":
            del container[member]
        elif action == "replace":
            container[member] = draw(json_values)
        elif action == "rename" and isinstance(container, dict):
            container[draw(texts)] = container.pop(member)
        else:
            value = container[member]
            container[member] = str(value) if not isinstance(value, str) else draw(st.sampled_from([[value], {"": value}, 0]))
    return document


# --- the check ------------------------------------------------------------------------------------------------

class Fuzzed:
    """Posts one example and checks the answer and what reached the emulators."""

    def __init__(self, stack):
        self.stack = stack
        self.secrets = [stack.webhook_key, stack.form_key, OCTOPUSH_KEY, DATAVERSE_TOKEN]

    def post(self, route: str, body: bytes, *, headers: dict | None = None, params: dict | None = None,
             may_write: bool = True) -> int:
        self.stack.dataverse.requests.clear()
        sends = len(self.stack.octopush.sends)
        response = invoke("POST", route, body=body, headers=headers or {}, params=params)
        shown = f"{route} {body[:300]!r} {params} -> {response.status} {response.body[:400]!r}"
        assert response.status < 500, shown
        answer = response.body.decode("utf-8", "replace")
        assert "Traceback" not in answer and 'File "' not in answer, shown
        assert not any(secret in answer for secret in self.secrets), shown
        writes = [(r.method, r.path) for r in self.stack.dataverse.requests if r.method in WRITES]
        if response.status >= 400 or not may_write:
            assert writes == [], shown
            assert len(self.stack.octopush.sends) == sends, shown
        return response.status

    def webhook(self, body: bytes, entity: str = "smsc_textmessage", message: str = "Create") -> int:
        headers = {**webhook_headers(message, entity, None), "x-smsc-webhook-key": self.stack.webhook_key,
                   "content-type": "application/json"}
        return self.post("dataverse/events", body, headers=headers)

    def keyed(self, route: str, body: bytes, content_type: str = "application/json", may_write: bool = False) -> int:
        headers = {"x-smsc-webhook-key": self.stack.webhook_key, "content-type": content_type}
        return self.post(route, body, headers=headers, may_write=may_write)


@pytest.fixture
def fuzzed(stack):
    return Fuzzed(stack)


def _encoded(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


# --- the Dataverse webhook --------------------------------------------------------------------------------------

def test_the_samples_are_there():
    assert len(SAMPLE_BODIES) >= 8, SAMPLES


@FUZZ
@given(body=json_values)
def test_random_json_on_the_webhook_is_never_a_5xx_nor_a_write(fuzzed, body):
    assert fuzzed.webhook(_encoded(body)) < 500


@examples(60)
@given(body=mutated([body for _, body in SAMPLE_BODIES]), message=st.sampled_from(["Create", "Update", "Delete"]))
def test_real_remote_execution_contexts_mutated_are_never_a_5xx_nor_a_write_when_refused(fuzzed, body, message):
    entity = body.get("PrimaryEntityName") if isinstance(body.get("PrimaryEntityName"), str) else "contact"
    fuzzed.webhook(_encoded(body), entity=entity[:60] or "contact", message=message)


@examples(30)
@given(body=st.sampled_from([body for _, body in SAMPLE_BODIES]))
def test_the_real_samples_themselves_are_answered_without_a_5xx(fuzzed, body):
    fuzzed.webhook(_encoded(body), entity=str(body.get("PrimaryEntityName") or "contact"),
                   message=str(body.get("MessageName") or "Update"))


LIVE_SMS_ID = "5a000000-0000-4000-8000-0000000000f1"     # created by the test: events about it reach deep
LIVE = [
    remote_execution_context("Create", "smsc_textmessage", LIVE_SMS_ID, user_id=seed.CLAIRE_MARTIN_ID,
                             attributes={"smsc_status": option(2)}),
    remote_execution_context("Update", "smsc_textmessage", LIVE_SMS_ID, user_id=seed.CLAIRE_MARTIN_ID,
                             attributes={"smsc_status": option(2)}, pre_image={"smsc_status": option(1)}),
    *[remote_execution_context("Update", "campaign", seed.CAMPAIGN_ORDERS_ID, user_id=seed.CLAIRE_MARTIN_ID,
                               attributes={"smsc_action": option(action)}) for action in (1, 2, 3, 4, 5)],
    remote_execution_context("Update", "salesorder", seed.ORDER_SMITH_ID, user_id=seed.CLAIRE_MARTIN_ID, attributes={
        "statecode": option(3), "customerid": reference("contact", seed.DAVID_SMITH_ID)},
        pre_image={"statecode": option(1)}),
    remote_execution_context("Create", "contact", seed.DAVID_SMITH_ID, user_id=seed.JOHN_BAKER_ID,
                             attributes={"mobilephone": "+33612345678"}),
]


@examples(60)
@given(body=mutated(LIVE))
def test_mutated_events_about_existing_rows_are_never_a_5xx_nor_a_write_when_refused(fuzzed, crm, body):
    if not fuzzed.stack.dataverse.rows("smsc_textmessages", f"activityid eq {LIVE_SMS_ID}"):
        crm.new_sms(("contact", seed.DAVID_SMITH_ID), text="Bonjour David", activityid=LIVE_SMS_ID)
    entity = body.get("PrimaryEntityName") if isinstance(body.get("PrimaryEntityName"), str) else "contact"
    message = body.get("MessageName") if isinstance(body.get("MessageName"), str) else "Update"
    fuzzed.webhook(_encoded(body), entity=entity[:60] or "contact", message=message[:20] or "Update")


ODD_VALUES = st.one_of(st.sampled_from([
    "", " ", "x", LIVE_SMS_ID.upper(), "{" + LIVE_SMS_ID + "}", "00000000-0000-0000-0000-000000000000",
    LIVE_SMS_ID + ")/x", "a'b", "contact'", "campaign?x=1", "smsc_textmessage/../contacts", "\u0000", "A" * 300,
    "systemuser", "campaign", "smsc_textmessage", "salesorder", "activitypointer"]), texts)
TOP_FIELDS = ["PrimaryEntityId", "PrimaryEntityName", "UserId", "InitiatingUserId", "MessageName", "Stage", "Mode",
              "Depth", "OperationId", "CorrelationId", "OperationCreatedOn"]


@examples(60)
@given(base=st.sampled_from(LIVE), changes=st.lists(st.tuples(st.sampled_from([*TOP_FIELDS, "Id", "LogicalName"]),
                                                             ODD_VALUES), min_size=1, max_size=3),
       too_big=st.booleans(), entity_header=st.one_of(st.none(), ODD_VALUES), message_header=st.one_of(st.none(), ODD_VALUES))
def test_events_with_odd_identifiers_and_headers_are_never_a_5xx_nor_a_write_when_refused(
        fuzzed, crm, base, changes, too_big, entity_header, message_header):
    if not fuzzed.stack.dataverse.rows("smsc_textmessages", f"activityid eq {LIVE_SMS_ID}"):
        crm.new_sms(("contact", seed.DAVID_SMITH_ID), text="Bonjour David", activityid=LIVE_SMS_ID)
    body = copy.deepcopy(base)
    for field, value in changes:
        (body["InputParameters"][0]["value"] if field in ("Id", "LogicalName") else body)[field] = value
    headers = {**webhook_headers("Update", "contact", None), "x-smsc-webhook-key": fuzzed.stack.webhook_key}
    if too_big:            # Dataverse dropped the Target and images: the handler re-reads the row
        headers["x-ms-dynamics-msg-size-exceeded"] = "true"
    if entity_header is not None:
        headers["x-ms-dynamics-entity-name"] = entity_header
    if message_header is not None:
        headers["x-ms-dynamics-request-name"] = message_header
    fuzzed.post("dataverse/events", _encoded(body), headers=headers)


# --- the provider callbacks ---------------------------------------------------------------------------------------

FIELDS = ["number", "message_id", "status", "delivery_date", "reception_date", "stop_date", "text", "sim_card_number",
          "mcc_mnc", "operator_code", "network", "sms_ticket", "ticket", "sender"]
plausible = st.one_of(
    st.sampled_from(["+33612345678", "0612345678", "+33 6 12 34 56 78", "+", "DELIVERED", "NOT_DELIVERED",
                     "STOP", "sms_5f3a0c1d2e4b6", "2026-12-02 15:30:00", "2026-13-45 99:99:99", "", " "]),
    scalars, st.lists(scalars, max_size=2))
callback_bodies = st.dictionaries(st.one_of(st.sampled_from(FIELDS), texts), plausible, max_size=8)
queries = st.dictionaries(st.sampled_from(["key", "code", "provider", "x", "number"]), texts, max_size=3)


def _callback_body(body: dict, as_form: bool) -> tuple[bytes, str]:
    if as_form:
        from urllib.parse import urlencode
        return urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}).encode(), \
            "application/x-www-form-urlencoded"
    return _encoded(body), "application/json"


@examples(60)
@given(kind=st.sampled_from(["delivery", "inbound"]), body=callback_bodies, as_form=st.booleans(), query=queries,
       right_key=st.booleans(), provider=st.sampled_from(["octopush", "octopush", "nosuch", "OCTOPUSH"]))
def test_provider_callbacks_with_random_bodies_and_queries_are_never_a_5xx(fuzzed, kind, body, as_form, query,
                                                                           right_key, provider):
    data, content_type = _callback_body(body, as_form)
    params = {**query, "key": fuzzed.stack.webhook_key} if right_key else query
    status = fuzzed.post(f"providers/{provider}/{kind}", data, headers={"content-type": content_type}, params=params)
    if not right_key:
        assert status in (401, 403, 404)


@examples(30)
@given(kind=st.sampled_from(["delivery", "inbound"]), raw=st.binary(max_size=80))
def test_provider_callbacks_with_random_bytes_are_refused_without_a_write(fuzzed, kind, raw):
    fuzzed.post(f"providers/octopush/{kind}", raw, headers={"content-type": "application/json"},
                params={"key": fuzzed.stack.webhook_key})


# --- template previews ---------------------------------------------------------------------------------------------

TEMPLATE_TOKENS = ["{{", "}}", "{%", "%}", "{#", "#}", " ", "firstname", "lastname", "parentcustomerid", ".", "|",
                   "upper", "money", "number", "date", "truncate", "(", ")", "[", "]", "'", '"', ",", "0", "-1",
                   "99999999", "1e308", "__class__", "__globals__", "range", "for x in", "endfor", "if", "else",
                   "endif", "set", "=", "loop", "cycler", "joiner", "namespace", "self", "lipsum", "~", "*", "**",
                   "é", "€", "\n", "\\", "raw", "endraw", "macro", "endmacro", "call", "include", "import", "None"]
templates = st.one_of(st.lists(st.sampled_from(TEMPLATE_TOKENS), max_size=25).map("".join), texts)


@examples(60)
@given(text=templates, regarding=st.sampled_from([("contact", seed.DAVID_SMITH_ID), ("account", seed.CONTOSO_ID),
                                                   ("contact", "a0000000-0000-4000-8000-0000000000ff")]))
def test_random_template_texts_in_a_preview_are_refused_or_shown_never_a_5xx_nor_a_write(fuzzed, text, regarding):
    body = {"text": text, "regarding": {"entity": regarding[0], "id": regarding[1]}}
    fuzzed.keyed("textmessages/preview", _encoded(body))


# --- workflow definitions --------------------------------------------------------------------------------------------

BUILTINS = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(BUILTIN_DIR.glob("*.yaml"))]
YAML_TOKENS = ["name: ", "entity: ", "trigger:", "steps:", "event: ", "to: ", "- ", "  ", "\n", "send_sms:",
               "recipient: ", "text: ", "if: ", "then:", "elif:", "else:", "column: ", "operator: ", "value: ",
               "{", "}", "[", "]", ":", "&a ", "*a", "!!str ", "? ", "|", ">-", "'", '"', "#", "---", "...",
               "create", "update", "status_change", "contact", "salesorder", "statecode", "3", "-1", "true", "null",
               "{{ firstname }}", "customerid.primarycontactid", "wait:", "days: ", "1e400", "é"]
yamlish = st.lists(st.sampled_from(YAML_TOKENS), max_size=30).map("".join)


@examples(60)
@given(text=st.one_of(yamlish, texts), as_json=st.booleans())
def test_random_yamlish_definitions_on_validate_are_never_a_5xx_nor_a_write(fuzzed, text, as_json):
    if as_json:
        fuzzed.keyed("workflows/validate", _encoded({"definition": text}))
    else:
        fuzzed.keyed("workflows/validate", text.encode("utf-8", "surrogatepass"), "text/yaml")


@examples(60)
@given(definition=mutated(BUILTINS), as_json=st.booleans())
def test_mutated_builtin_definitions_on_validate_are_never_a_5xx_nor_a_write(fuzzed, definition, as_json):
    if as_json:
        fuzzed.keyed("workflows/validate", _encoded({"definition": definition}))
    else:
        text = yaml.safe_dump(definition, allow_unicode=True)
        fuzzed.keyed("workflows/validate", text.encode("utf-8", "surrogatepass"), "text/yaml")


def _leaves(node: Any, trail: tuple = ()) -> list[tuple[tuple, Any]]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in _leaves(value, (*trail, key))]
    if isinstance(node, list):
        return [leaf for index, value in enumerate(node) for leaf in _leaves(value, (*trail, index))]
    return [(trail, node)]


# The builtins' own leaf values, swapped between places, and a few that name columns, paths and operators:
# definitions that often stay valid, so the dry run goes on to read the CRM with them.
LEAF_VALUES = sorted({json.dumps(value) for builtin in BUILTINS for _, value in _leaves(builtin)}) + [json.dumps(v) for v in (
    "", "x'y", "a/b", "contactid", "parentcustomerid.fullname", "ownerid", "createdon", "mobilephone", "regardingobjectid",
    "customerid.primarycontactid.parentcustomerid", "equals_column", "older_than_days", "is_null", "in", -1, 10 ** 20,
    0.5, None, True, "{{ x", "name eq 'x'")]
DRY_RUN_TARGETS = {"salesorder": seed.ORDER_SMITH_ID, "contact": seed.DAVID_SMITH_ID, "account": seed.CONTOSO_ID,
                   "incident": seed.CASE_SMITH_ID, "invoice": seed.INVOICE_CONTOSO_ID, "quote": seed.QUOTE_SMITH_ID}


@st.composite
def leaf_mutated(draw) -> dict:
    definition = copy.deepcopy(draw(st.sampled_from(BUILTINS)))
    places = _leaves(definition)
    for _ in range(draw(st.integers(1, 2))):
        trail, _ = draw(st.sampled_from(places))
        node = _at(definition, trail[:-1])
        node[trail[-1]] = json.loads(draw(st.sampled_from(LEAF_VALUES)))
    return definition


@examples(60)
@given(definition=leaf_mutated(), route=st.sampled_from(["workflows/dry-run", "workflows/validate"]),
       message=st.sampled_from(["Create", "Update"]))
def test_builtins_with_values_swapped_are_validated_or_dry_run_never_a_5xx_nor_a_write(fuzzed, definition, route,
                                                                                      message):
    entity = definition["entity"] if isinstance(definition.get("entity"), str) else "contact"
    body = {"definition": yaml.safe_dump(definition, allow_unicode=True), "entity": entity,
            "id": DRY_RUN_TARGETS.get(entity, seed.DAVID_SMITH_ID), "message": message, "userid": seed.CLAIRE_MARTIN_ID}
    fuzzed.keyed(route, _encoded(body))

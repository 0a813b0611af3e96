"""The emulators' switches take any body (hypothesis): a rule or a setting is made (201/200) or refused with
a 400 naming the problem, never a 5xx, and a refused switch changes nothing."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from emulators.dataverse import DataverseEmulator
from emulators.octopush import OctopushEmulator
from emulators.server import FAULT_FIELDS

BOUNDED = settings(max_examples=80, deadline=None, database=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow])
DATAVERSE = DataverseEmulator(seed=False)
OCTOPUSH = OctopushEmulator()

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=10))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=2),
                                                       st.dictionaries(st.text(max_size=5), inner, max_size=2)),
                      max_leaves=4)
fault_bodies = st.one_of(values, st.dictionaries(st.sampled_from(sorted(FAULT_FIELDS) + ["other"]), values, max_size=5),
                         st.fixed_dictionaries({"status": st.integers(100, 700)},
                                               optional={"rate": scalars, "seed": scalars, "times": scalars}))
limit_bodies = st.one_of(values, st.dictionaries(st.sampled_from(["requests", "window", "concurrent", "enabled", "x"]),
                                                 scalars, max_size=4))


@BOUNDED
@given(body=fault_bodies, emulator=st.sampled_from([DATAVERSE, OCTOPUSH]))
def test_any_fault_switch_body_is_made_or_refused_naming_the_problem(body, emulator):
    emulator.faults.clear()
    answer = Client(emulator).post("/_emulator/faults", data=json.dumps(body), content_type="application/json")
    assert answer.status_code in (201, 400), (body, answer.status_code, answer.get_data())
    if answer.status_code == 400:
        assert answer.json["error"] and emulator.faults.rules == []
    else:
        assert len(emulator.faults.rules) == 1 and answer.json["status"] == body.get("status")
    emulator.faults.clear()


@BOUNDED
@given(body=limit_bodies)
def test_any_limits_body_is_set_or_refused_naming_the_problem(body):
    DATAVERSE.limits.reset()
    answer = Client(DATAVERSE).post("/_emulator/limits", data=json.dumps(body), content_type="application/json")
    assert answer.status_code in (200, 400), (body, answer.status_code, answer.get_data())
    if answer.status_code == 400:
        assert answer.json["error"] and DATAVERSE.limits.shown()["requests"] == 6000
    else:
        assert all(answer.json[name] == value for name, value in body.items())
    DATAVERSE.limits.reset()


@BOUNDED
@given(route=st.sampled_from(["/_emulator/outcomes", "/_emulator/inbound"]),
       body=st.one_of(values, st.dictionaries(st.sampled_from(["number", "text", "message_id", "delivered_share",
                                                               "failure_status", "failed_numbers", "delay", "replies",
                                                               "out_of_order", "duplicates", "hold"]),
                                             values, max_size=4)))
def test_any_octopush_control_body_is_taken_or_refused_never_a_5xx(route, body):
    answer = Client(OCTOPUSH).post(route, data=json.dumps(body), content_type="application/json")
    assert answer.status_code < 500, (route, body, answer.status_code, answer.get_data())
    OCTOPUSH.set_outcomes()

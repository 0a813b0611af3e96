"""connector/telemetry.py: off costs nothing, masking, what an attribute may hold."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from connector import telemetry
from connector.health import NotChecked, check_health, safe_error, storage_queue_probe

ROOT = Path(__file__).resolve().parents[2]
NO_TELEMETRY = {k: v for k, v in os.environ.items() if not k.startswith("APPLICATIONINSIGHTS_")}


def run_python(code: str, env: dict) -> str:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True, timeout=120).stdout


def test_telemetry_off_imports_no_opentelemetry_module():
    code = ("import sys, function_app\n"
            "from connector import telemetry\n"
            "with telemetry.span('x', phone='+33649819006') as s: s.set(a=1)\n"
            "telemetry.annotate(b=2)\n"
            "print(telemetry.enabled(), sorted(m for m in sys.modules if m.startswith(('opentelemetry', "
            "'azure.monitor', 'azure.identity', 'azure.core'))))")
    assert run_python(code, NO_TELEMETRY).split() == ["False", "[]"]


def test_telemetry_on_configures_azure_monitor_with_our_options():
    """The options given to configure_azure_monitor are those this version knows (no network: the
    ingestion endpoint is a closed local port, statsbeat is off, no span is exported)."""
    env = {**NO_TELEMETRY, "APPLICATIONINSIGHTS_CONNECTION_STRING":
           "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/",
           "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true"}
    code = ("import json, sys\n"
            "from connector import telemetry\n"
            "on = telemetry.configure()\n"
            "from opentelemetry import trace\n"
            "import logging\n"
            "print(json.dumps({'on': on, 'requests_instrumented': 'opentelemetry.instrumentation.requests' in "
            "sys.modules and __import__('opentelemetry.instrumentation.requests', fromlist=['x'])"
            ".RequestsInstrumentor().is_instrumented_by_opentelemetry, "
            "'provider': type(trace.get_tracer_provider()).__name__}))")
    result = json.loads(run_python(code, env).strip().splitlines()[-1])
    assert result == {"on": True, "requests_instrumented": False, "provider": "TracerProvider"}


@pytest.mark.parametrize("text, masked", [
    ("+33649819006", "+33 6•• •• •• 06"),
    ("to +33 6 49 81 90 06.", "to +33 6•• •• •• 06."),
    ("0033649819006", "+33 6•• •• •• 06"),
    ("eq%20'%2B33649819006'", "eq%20'+33 6•• •• •• 06'"),
    ("+262692123456", "+262 6•• •• •• 56"),
    ("+14155552671", "+1 4• •• •• •• 71"),
    ("06 49 81 90 06", "06•• •• •• 06"),
    ("activity 4e246e71-1113-4ad6-9ba3-499390012345 at 2026-12-02 13:04:43", None),
    ("ticket sms_12e7384bf55c1, 3 recipients, 0.045 €", None),
])
def test_phone_numbers_are_masked_keeping_country_first_digit_and_last_two(text, masked):
    assert telemetry.mask_phone_numbers(text) == (masked or text)


def test_attributes_lose_secret_names_and_phone_numbers():
    cleaned = telemetry.clean_attributes({
        "api-key": "abc", "x-smsc-webhook-key": "k", "Authorization": "Bearer t", "access_token": "t",
        "client_secret": "s", "password": "p", "smsc.phone": "+33649819006", "smsc.segments": 2,
        "smsc.sent": True, "empty": None, "url.path": "/v1/public/sms-campaign/send"})
    assert cleaned == {"smsc.phone": "+33 6•• •• •• 06", "smsc.segments": 2, "smsc.sent": True,
                       "url.path": "/v1/public/sms-campaign/send"}


def test_the_span_wrapper_keeps_the_triggers_signature():
    import inspect

    from functions.campaign_queue import run_campaign_action

    function = run_campaign_action.build().get_user_function()
    assert list(inspect.signature(function).parameters) == ["msg"]
    assert function.__name__ == "run_campaign_action"


def test_queue_message_attributes_name_the_campaign_only():
    from azure.functions.queue import QueueMessage

    message = QueueMessage(id="m1", body=b'{"campaignid": "c1", "action": 3, "user": "u1"}', dequeue_count=2)
    assert telemetry.queue_message_attributes(msg=message) == {
        "messaging.message.id": "m1", "messaging.delivery_count": 2, "smsc.campaign_id": "c1"}


def test_health_reports_timings_details_and_not_checked_without_degrading():
    def down():
        raise ConnectionError("https://org.crm4.dynamics.com/api/data/v9.2/x?code=abcdef for +33649819006 "
                              "with eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9eyJ0eXAiOiJKV1QiLCJhbGciOi")

    report = check_health({"crm": lambda: None, "provider": lambda: {"credit": 12.5, "unit": "euros"},
                           "queue": lambda: NotChecked("why")})
    assert report["status"] == "ok" and report["checks"]["provider"]["credit"] == 12.5
    assert report["checks"]["queue"]["status"] == "not checked" and report["checks"]["crm"]["ms"] >= 0
    failed = check_health({"crm": down})
    assert failed["status"] == "degraded"
    error = failed["checks"]["crm"]["error"]
    assert "code=" not in error and "649819006" not in error and "eyJ0eX" not in error
    assert error.startswith("ConnectionError: https://org.crm4.dynamics.com/api/data/v9.2/x?…")


def test_the_queue_probe_contacts_nothing_in_a_local_run():
    detail = storage_queue_probe({})().detail
    assert "AzureWebJobsStorage is not set" in detail and "in-process" in detail
    assert safe_error(ValueError("x")) == "ValueError: x"


def test_a_queue_service_that_does_not_answer_degrades_health_without_the_account_key():
    from tests.azurite import free_port

    key = "c2VjcmV0a2V5IG9mIHRoZSBzdG9yYWdlIGFjY291bnQ="
    environ = {"AzureWebJobsStorage": f"DefaultEndpointsProtocol=http;AccountName=stsmsc;AccountKey={key};"
                                      f"QueueEndpoint=http://127.0.0.1:{free_port()}/stsmsc"}
    report = check_health({"queue": storage_queue_probe(environ)})
    queue = report["checks"]["queue"]
    assert report["status"] == "degraded" and queue["status"] == "error" and "Connection refused" in queue["error"]
    assert key not in json.dumps(report) and "AccountKey" not in json.dumps(report)


def test_every_timer_and_queue_trigger_runs_in_a_span():
    from functions.local_host import registered_functions

    triggers = {f.get_function_name(): f.get_user_function() for f in registered_functions()
                if type(f.get_trigger()).__name__ in ("TimerTrigger", "QueueTrigger")}
    untraced = {name for name, function in triggers.items() if not hasattr(function, "__wrapped__")}
    assert untraced == set() and len(triggers) >= 6

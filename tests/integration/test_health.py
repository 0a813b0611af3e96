"""GET /api/health on the emulators: each dependency with its time, 503 when one is down, no secret."""
import json

from emulators.stack import DATAVERSE_TOKEN, OCTOPUSH_KEY
from functions.local_host import invoke


def test_health_reports_each_dependency_with_its_time_and_the_credit(stack):
    stack.octopush.credit = 42.5
    answer = invoke("GET", "health")
    report = answer.json()
    assert answer.status == 200 and report["status"] == "ok"
    checks = report["checks"]
    assert set(checks) == {"dataverse", "octopush", "queue"}
    assert checks["dataverse"]["status"] == "ok" and checks["octopush"] == {
        "status": "ok", "credit": 42.5, "unit": "euros", "ms": checks["octopush"]["ms"]}
    assert checks["queue"]["status"] == "not checked" and "AzureWebJobsStorage" in checks["queue"]["detail"]
    assert all(isinstance(c["ms"], float) and c["ms"] >= 0 for c in checks.values()) and report["ms"] >= 0
    reads = [r for r in stack.dataverse.requests if "smsc_configurations" in r.path]
    assert reads and reads[-1].headers["authorization"] == f"Bearer {DATAVERSE_TOKEN}"   # with the app's token


def test_health_answers_503_naming_the_dependency_down_without_secrets(stack, monkeypatch):
    monkeypatch.setenv("AzureWebJobsStorage__accountName", "stsmsc")
    stack.dataverse.faults.add(401, times=20)
    answer = invoke("GET", "health")
    report = answer.json()
    assert answer.status == 503 and report["status"] == "degraded"
    assert report["checks"]["dataverse"]["status"] == "error" and report["checks"]["octopush"]["status"] == "ok"
    assert "identity-based" in report["checks"]["queue"]["detail"]
    body = json.dumps(report)
    for secret in (stack.webhook_key, OCTOPUSH_KEY, DATAVERSE_TOKEN):
        assert secret not in body

"""GET /api/health on the emulators: each dependency with its time, 503 when one is down, no secret."""
import json
import logging

from azure.storage.queue import QueueClient

from emulators.stack import DATAVERSE_TOKEN, OCTOPUSH_KEY
from functions.local_host import invoke
from tests.azurite import ACCOUNT_KEY, Azurite, free_port


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


def test_health_answers_503_naming_the_dependency_down_without_secrets(stack, monkeypatch, azurite):
    monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
    stack.dataverse.faults.add(401, times=20)
    answer = invoke("GET", "health")
    report = answer.json()
    assert answer.status == 503 and report["status"] == "degraded"
    assert report["checks"]["dataverse"]["status"] == "error" and report["checks"]["octopush"]["status"] == "ok"
    assert report["checks"]["queue"]["status"] == "ok"
    body = json.dumps(report)
    for secret in (stack.webhook_key, OCTOPUSH_KEY, DATAVERSE_TOKEN, ACCOUNT_KEY):
        assert secret not in body


def test_health_asks_the_queue_service_of_the_configured_storage(stack, monkeypatch, azurite):
    from connector.bootstrap import work_queue

    monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
    answer = invoke("GET", "health")
    queue = answer.json()["checks"]["queue"]
    assert answer.status == 200 and queue["status"] == "ok" and queue["ms"] >= 0
    assert queue["storage"] == "a connection string (AzureWebJobsStorage)" and queue["queue"] == "smsc-campaign-actions"
    work_queue("smsc-campaign-actions").put({"campaignid": "c1", "action": 1})
    assert invoke("GET", "health").json()["checks"]["queue"]["messages"] >= 1
    host_reader = QueueClient.from_connection_string(azurite.connection_string, "smsc-campaign-actions")
    host_reader.clear_messages()


def test_a_queue_service_that_does_not_answer_makes_health_503_without_the_account_key(stack, monkeypatch,
                                                                                         caplog):
    dead = Azurite(free_port())                     # nothing listens there
    monkeypatch.setenv("AzureWebJobsStorage", dead.connection_string)
    with caplog.at_level(logging.DEBUG):
        answer = invoke("GET", "health")
    report = answer.json()
    assert answer.status == 503 and report["status"] == "degraded"
    assert report["checks"]["queue"]["status"] == "error" and "Connection refused" in report["checks"]["queue"]["error"]
    assert report["checks"]["dataverse"]["status"] == "ok" and report["checks"]["octopush"]["status"] == "ok"
    assert ACCOUNT_KEY not in json.dumps(report) and ACCOUNT_KEY not in caplog.text
    assert "AccountKey" not in json.dumps(report) and "AccountKey" not in caplog.text

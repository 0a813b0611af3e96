"""`smsc serve`: the function app's routes over real HTTP on 127.0.0.1, queue outputs run in-process; and the
console's server (the web resources, the proxy to the emulator's Web API, the webhook after a save)."""
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests

from connector.queues.local import LocalQueue
from emulators import dataverse_seed as seed
from emulators.webhook_bodies import option, remote_execution_context, webhook_headers
from smsc.serve import BackgroundServer, FunctionHost, QueueTicker, run_due_messages


def test_the_routes_answer_over_http_with_the_key_checks_unchanged(stack):
    with BackgroundServer(FunctionHost()) as server:
        key = {"x-smsc-webhook-key": stack.webhook_key}
        credit = requests.get(f"{server.url}/api/credit", headers=key, timeout=30)
        assert credit.status_code == 200 and credit.json()["provider"] == "octopush"
        refused = requests.get(f"{server.url}/api/credit", timeout=30)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
        preview = requests.post(f"{server.url}/api/textmessages/preview", json={"text": "Bonjour"}, headers=key,
                                timeout=30)
        assert preview.json()["encoding"] == "GSM-7" and preview.headers["content-type"].startswith("application/json")
        assert requests.get(f"{server.url}/api/nothing", timeout=30).status_code == 404


def test_a_campaign_button_is_answered_202_and_its_queue_message_runs_before_the_next_request(stack):
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_action": 1})
    body = remote_execution_context("Update", "campaign", seed.CAMPAIGN_ORDERS_ID, user_id=seed.JOHN_BAKER_ID,
                                    attributes={"smsc_action": option(1)})
    with BackgroundServer(FunctionHost()) as server:
        answer = requests.post(f"{server.url}/api/dataverse/events", json=body,
                               headers=webhook_headers("Update", "campaign", stack.webhook_key), timeout=60)
    assert answer.status_code == 202 and answer.json()["handled"] == "campaign:simulate"
    row = stack.dataverse.get("campaigns", seed.CAMPAIGN_ORDERS_ID)
    assert row["smsc_lastresult"] == "3 recipients. 3 errors." and row["smsc_action"] is None


def test_a_queue_message_that_keeps_failing_is_tried_as_often_as_the_host_would(stack, in_process_queues):
    from smsc.serve import drain_queue

    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_action": 1})
    stack.dataverse.faults.add(400, times=100, path_contains="campaignlist_association")
    outcomes = drain_queue("smsc-campaign-actions", '{"campaignid": "%s", "action": 1, "userid": null}'
                           % seed.CAMPAIGN_ORDERS_ID)
    assert [o.split(":")[1].strip() for o in outcomes] == ["attempt 1 failed", "attempt 2 failed", "attempt 3 failed",
                                                           "moved to smsc-campaign-actions-poison"]
    assert stack.dataverse.get("campaigns", seed.CAMPAIGN_ORDERS_ID)["smsc_lastresult"].startswith("Failed after 3")
    poison = in_process_queues["smsc-campaign-actions-poison"]            # no function reads it: it stays there
    assert json.loads(poison.take_due()[0])["campaignid"] == seed.CAMPAIGN_ORDERS_ID


@pytest.fixture
def in_process_queues():
    """bootstrap.local_queues(), as it was again after the test."""
    from connector.bootstrap import local_queues

    before = dict(local_queues())
    yield local_queues()
    local_queues().clear()
    local_queues().update(before)


class Clock:
    def __init__(self):
        self.now = datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def test_a_held_message_runs_once_due_after_a_request_to_smsc_serve(stack, in_process_queues):
    clock = Clock()
    queue = in_process_queues["smsc-campaign-actions"] = LocalQueue("smsc-campaign-actions", clock)
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_action": 1})
    queue.put({"campaignid": seed.CAMPAIGN_ORDERS_ID, "action": 1, "userid": seed.JOHN_BAKER_ID},
              delay=timedelta(minutes=5))
    ticker = QueueTicker(interval=3600)                 # not started: each request runs what is due
    with BackgroundServer(FunctionHost(after_request=ticker.after_request)) as server:
        clock.now += timedelta(minutes=4, seconds=59)
        assert requests.get(f"{server.url}/api/health", timeout=30).status_code == 200
        assert len(queue) == 1 and stack.dataverse.get("campaigns", seed.CAMPAIGN_ORDERS_ID)["smsc_lastresult"] is None
        clock.now += timedelta(seconds=1)
        assert requests.get(f"{server.url}/api/health", timeout=30).status_code == 200
    assert len(queue) == 0
    assert stack.dataverse.get("campaigns", seed.CAMPAIGN_ORDERS_ID)["smsc_lastresult"] == "3 recipients. 3 errors."


def test_a_message_that_fails_every_attempt_ends_on_the_poison_queue_whose_function_runs_it(in_process_queues):
    clock, received = Clock(), []

    def parts(msg):
        raise RuntimeError("Dataverse answered 503")

    def parts_poison(msg):
        received.append((json.loads(msg.get_body()), msg.dequeue_count))

    functions = {"smsc-test-parts": parts, "smsc-test-parts-poison": parts_poison}

    def function_for(name):
        if name not in functions:
            raise LookupError(name)
        return functions[name]

    queue = in_process_queues["smsc-test-parts"] = LocalQueue("smsc-test-parts", clock)
    in_process_queues["smsc-test-nobody-reads"] = LocalQueue("smsc-test-nobody-reads", clock)
    in_process_queues["smsc-test-nobody-reads"].put({"kept": True})
    queue.put({"campaignid": "c1", "part": 2}, delay=timedelta(seconds=30))
    assert run_due_messages(function_for=function_for) == [] and received == []
    clock.now += timedelta(seconds=30)
    assert run_due_messages(function_for=function_for) == [
        "smsc-test-parts: attempt 1 failed: Dataverse answered 503", "smsc-test-parts: attempt 2 failed: Dataverse answered 503",
        "smsc-test-parts: attempt 3 failed: Dataverse answered 503", "smsc-test-parts: moved to smsc-test-parts-poison",
        "smsc-test-parts-poison: done (attempt 1)"]
    assert received == [({"campaignid": "c1", "part": 2}, 1)]
    assert len(in_process_queues["smsc-test-parts-poison"]) == 0 and len(in_process_queues["smsc-test-nobody-reads"]) == 1


def test_the_ticker_runs_due_messages_without_a_request_and_stops():
    ran = threading.Event()

    def run():
        ran.set()
        return ["smsc-test: done (attempt 1)"]

    with QueueTicker(run, interval=0.01) as ticker:
        assert ran.wait(timeout=10)
        thread = ticker._thread
    assert thread is not None and not thread.is_alive() and ticker._thread is None


def test_a_request_does_not_wait_for_a_run_under_way():
    started, release = threading.Event(), threading.Event()

    def slow_run():
        started.set()
        release.wait(timeout=10)
        return []

    ticker = QueueTicker(slow_run)
    worker = threading.Thread(target=ticker.tick)
    worker.start()
    assert started.wait(timeout=10)
    assert ticker.after_request() == []                 # at once: the run under way has the queues
    release.set()
    worker.join(timeout=10)
    assert not worker.is_alive()


def test_the_console_serves_the_web_resources_proxies_the_web_api_and_runs_the_webhook_after_a_save(stack):
    from smsc.console import Console

    app = Console(stack)
    with BackgroundServer(app) as server:
        script = requests.get(f"{server.url}/WebResources/smsc_/js/encoding.js", timeout=30)
        assert script.status_code == 200 and "Smsc.Encoding" in script.text
        assert requests.get(f"{server.url}/WebResources/smsc_/%2e%2e/%2e%2e/pyproject.toml", timeout=30).status_code == 404
        assert requests.get(f"{server.url}/WebResources/other_/x.js", timeout=30).status_code == 404
        config = requests.get(f"{server.url}/console/config.js?lang=en", timeout=30).text
        assert '"languageId": 1033' in config and stack.form_key in config      # local only, never committed
        assert stack.webhook_key not in config          # the pages hold the form key, as smsc_ApiKey does

        contacts = requests.get(f"{server.url}/api/data/v9.2/contacts?$select=fullname", timeout=30)   # no token:
        assert contacts.status_code == 200 and len(contacts.json()["value"]) > 3                    # the proxy adds it
        saved = requests.patch(f"{server.url}/api/data/v9.2/campaigns({seed.CAMPAIGN_ORDERS_ID})",
                               json={"smsc_action": 1}, timeout=60)
        assert saved.status_code == 204
    assert [(d["table"], d["status"], d["answer"]["handled"]) for d in app.dispatched] == [
        ("campaign", 202, "campaign:simulate")]
    assert stack.dataverse.get("campaigns", seed.CAMPAIGN_ORDERS_ID)["smsc_lastresult"] == "3 destinataires. 3 erreurs."

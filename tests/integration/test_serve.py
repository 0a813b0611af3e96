"""`smsc serve`: the function app's routes over real HTTP on 127.0.0.1, queue outputs run in-process; and the
console's server (the web resources, the proxy to the emulator's Web API, the webhook after a save)."""
import requests

from emulators import dataverse_seed as seed
from emulators.webhook_bodies import option, remote_execution_context, webhook_headers
from smsc.serve import BackgroundServer, FunctionHost


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


def test_a_queue_message_that_keeps_failing_is_tried_as_often_as_the_host_would(stack):
    from smsc.serve import drain_queue

    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_action": 1})
    stack.dataverse.faults.add(400, times=100, path_contains="campaignlist_association")
    outcomes = drain_queue("smsc-campaign-actions", '{"campaignid": "%s", "action": 1, "userid": null}'
                           % seed.CAMPAIGN_ORDERS_ID)
    assert [o.split(":")[1].strip() for o in outcomes] == ["attempt 1 failed", "attempt 2 failed", "attempt 3 failed"]
    assert stack.dataverse.get("campaigns", seed.CAMPAIGN_ORDERS_ID)["smsc_lastresult"].startswith("Failed after 3")


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

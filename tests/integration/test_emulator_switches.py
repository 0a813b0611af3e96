"""The emulators' switches over HTTP, as a script in another process drives them (issue 17): faults at a
seeded rate, the request log (bodies with secrets masked, answer status and headers, filter, clear,
bounded), and the Dataverse emulator's service-protection limits (429 + Retry-After + Dataverse's codes)."""
from __future__ import annotations

import threading

import pytest
import requests as http

from emulators import dataverse_seed as seed
from emulators.dataverse import DataverseEmulator
from emulators.dataverse_limits import ServiceLimits
from emulators.octopush import OctopushEmulator
from emulators.server import EmulatorServer, RecordedRequest, RequestLog

TOKEN = "emulator-token"
API = "/api/data/v9.2/"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def dataverse(clock):
    emulator = DataverseEmulator(token=TOKEN, limits=ServiceLimits(clock=clock))
    with EmulatorServer(emulator) as server:
        yield server
    emulator.close()


@pytest.fixture
def octopush():
    emulator = OctopushEmulator(api_login="me@example.org", api_key="octo-secret-key")
    with EmulatorServer(emulator) as server:
        yield server
    emulator.close()


def _statuses(server, path: str, count: int) -> list[int]:
    return [http.get(f"{server.url}{API}{path}", headers=HEADERS).status_code for _ in range(count)]


# --- faults at a rate ------------------------------------------------------------------------------------

def test_a_seeded_rate_hits_the_same_requests_on_every_run(dataverse):
    runs = []
    for _ in range(2):
        made = http.post(f"{dataverse.url}/_emulator/faults",
                         json={"status": 503, "rate": 0.3, "seed": 42, "path_contains": "WhoAmI"})
        assert made.status_code == 201 and made.json()["rate"] == 0.3 and made.json()["times"] is None
        runs.append(_statuses(dataverse, "WhoAmI", 40))
        [rule] = http.get(f"{dataverse.url}/_emulator/faults").json()
        assert rule["hits"] == runs[-1].count(503)
        assert http.delete(f"{dataverse.url}/_emulator/faults").status_code == 204
    assert runs[0] == runs[1]                                   # reproducible
    assert set(runs[0]) == {200, 503} and 4 <= runs[0].count(503) <= 20   # about 30 %
    assert _statuses(dataverse, "WhoAmI", 5) == [200] * 5       # cleared


def test_a_rate_with_times_stops_after_that_many_hits(dataverse):
    http.post(f"{dataverse.url}/_emulator/faults", json={"status": 429, "retry_after": 3, "rate": 1, "times": 2})
    assert _statuses(dataverse, "WhoAmI", 4) == [429, 429, 200, 200]


@pytest.mark.parametrize("body, field", [
    ({"status": 503, "rate": 0}, "rate"), ({"status": 503, "rate": 1.5}, "rate"), ({"status": 503, "rate": "x"}, "rate"),
    ({"status": 503, "rate": True}, "rate"), ({"status": 503, "rate": 0.5, "seed": 1.5}, "seed"),
    ({"status": 503, "seed": 3}, "seed"), ({"status": 503, "chance": 0.5}, "chance"),
])
def test_a_bad_switch_is_a_400_naming_the_field_and_adds_nothing(octopush, body, field):
    answer = http.post(f"{octopush.url}/_emulator/faults", json=body)
    assert answer.status_code == 400 and field in answer.json()["error"]
    assert http.get(f"{octopush.url}/_emulator/faults").json() == []


# --- the request log -------------------------------------------------------------------------------------

def test_the_log_shows_bodies_with_secrets_masked_and_each_answer(octopush):
    send = {"text": "Bonjour STOP au 30101", "recipients": [{"phone_number": "+33612345678"}], "sender": "Shop",
            "purpose": "alert", "api_key": "leaked-in-a-body"}
    headers = {"api-login": "me@example.org", "api-key": "octo-secret-key"}
    assert http.post(f"{octopush.url}/v1/public/sms-campaign/send", json=send, headers=headers).status_code == 200
    callbacks = {"callbacks": {"callback_url_for_delivery_reports": "https://app.example/api/providers/octopush/"
                                                                    "delivery?key=webhook-secret-1234567890"}}
    http.patch(f"{octopush.url}/v1/public/user/campaign-parameters/edit", json=callbacks, headers=headers)
    http.get(f"{octopush.url}/v1/public/wallet/check-balance?key=zzz", headers={"api-login": "x", "api-key": "y"})

    log = http.get(f"{octopush.url}/_emulator/requests").json()
    text = str(log)
    assert "octo-secret-key" not in text and "leaked-in-a-body" not in text and "webhook-secret" not in text
    sent, edited, refused = log
    assert (sent["method"], sent["path"], sent["status"]) == ("POST", "/v1/public/sms-campaign/send", 200)
    assert sent["body"]["text"] == "Bonjour STOP au 30101" and sent["body"]["api_key"] == "***"
    assert sent["headers"]["Content-Type"] == "application/json" and sent["received"]
    assert edited["body"]["callbacks"]["callback_url_for_delivery_reports"].endswith("delivery?key=***")
    assert refused["status"] == 401 and refused["query"] == {"key": "***"}


def test_the_log_filters_by_path_prefix_and_method_and_clears(dataverse):
    http.get(f"{dataverse.url}{API}WhoAmI", headers=HEADERS)
    http.post(f"{dataverse.url}{API}contacts", json={"lastname": "Durand"}, headers=HEADERS)
    http.get(f"{dataverse.url}{API}contacts?$top=1", headers=HEADERS)

    contacts = http.get(f"{dataverse.url}/_emulator/requests", params={"path": f"{API}contacts"}).json()
    assert [(r["method"], r["status"]) for r in contacts] == [("POST", 204), ("GET", 200)]
    assert contacts[0]["body"] == {"lastname": "Durand"} and "OData-EntityId" in contacts[0]["headers"]
    assert contacts[1]["query"] == {"$top": "1"}
    posts = http.get(f"{dataverse.url}/_emulator/requests", params={"method": "post"}).json()
    assert [r["path"] for r in posts] == [f"{API}contacts"]

    assert http.delete(f"{dataverse.url}/_emulator/requests").status_code == 204
    assert http.get(f"{dataverse.url}/_emulator/requests").json() == []


def test_the_log_is_bounded_in_entries_and_bytes():
    log = RequestLog(limit=3, max_bytes=100)
    for n in range(5):
        log.append(RecordedRequest("GET", f"/{n}", {}, {}, b""))
    assert [r.path for r in log] == ["/2", "/3", "/4"] and log.dropped == 2
    log.append(RecordedRequest("POST", "/big", {}, {}, b"x" * 80))
    log.append(RecordedRequest("POST", "/bigger", {}, {}, b"x" * 60))
    assert [r.path for r in log] == ["/bigger"] and log.bytes == 60
    log.clear()
    assert log == [] and log.bytes == 0


def test_a_huge_body_is_shown_cut():
    shown = RecordedRequest("POST", "/$batch", {}, {}, b"--batch\r\n" + b"y" * 100_000).shown()
    assert len(shown["body"]) < 70_000 and shown["body"].endswith("(100009 characters)")


# --- service-protection limits ---------------------------------------------------------------------------

def test_50_requests_per_5_seconds_then_429_with_retry_after_and_the_dataverse_error(dataverse, clock):
    made = http.post(f"{dataverse.url}/_emulator/limits", json={"requests": 50, "window": 5})
    assert made.status_code == 200 and (made.json()["requests"], made.json()["window"]) == (50, 5.0)

    assert _statuses(dataverse, "WhoAmI", 50) == [200] * 50
    clock.now += 2
    refused = http.get(f"{dataverse.url}{API}WhoAmI", headers=HEADERS)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3"
    assert refused.json()["error"] == {
        "code": "0x80072322", "message": "Number of requests exceeded the limit of 50 over time window of 5 seconds."}
    # Another user (impersonation) has its own budget.
    as_claire = http.get(f"{dataverse.url}{API}WhoAmI", headers={**HEADERS, "MSCRMCallerID": seed.CLAIRE_MARTIN_ID})
    assert as_claire.status_code == 200

    clock.now += 3.01                                           # the first 50 left the window
    assert _statuses(dataverse, "WhoAmI", 50) == [200] * 50
    shown = http.get(f"{dataverse.url}/_emulator/limits").json()
    assert shown["refused"] == {"requests": 1, "concurrent": 0}
    assert sorted(u["in_window"] for u in shown["users"].values()) == [1, 50]

    assert http.delete(f"{dataverse.url}/_emulator/limits").status_code == 204
    assert http.get(f"{dataverse.url}/_emulator/limits").json()["requests"] == 6000


def test_concurrent_requests_over_the_limit_are_429_0x80072326(dataverse):
    http.post(f"{dataverse.url}/_emulator/limits", json={"concurrent": 2})
    emulator = dataverse.app
    entered, release = threading.Barrier(3), threading.Event()
    answer = emulator.answer

    def slow(request):
        if request.path.endswith("WhoAmI"):
            entered.wait(5)
            release.wait(5)
        return answer(request)

    emulator.answer = slow
    results: list[int] = []
    workers = [threading.Thread(target=lambda: results.append(_statuses(dataverse, "WhoAmI", 1)[0])) for _ in range(2)]
    for worker in workers:
        worker.start()
    entered.wait(5)                                   # both are inside
    third = http.get(f"{dataverse.url}{API}contacts?$top=1", headers=HEADERS)
    release.set()
    for worker in workers:
        worker.join(5)
    assert third.status_code == 429 and third.headers["Retry-After"] == "1"
    assert third.json()["error"]["code"] == "0x80072326"
    assert results == [200, 200]
    assert http.get(f"{dataverse.url}{API}contacts?$top=1", headers=HEADERS).status_code == 200


@pytest.mark.parametrize("body, field", [({"requests": 0}, "requests"), ({"window": -1}, "window"),
                                         ({"concurrent": "52"}, "concurrent"), ({"enabled": 1}, "enabled"),
                                         ({"per": 5}, "per")])
def test_bad_limits_are_a_400_naming_the_field(dataverse, body, field):
    answer = http.post(f"{dataverse.url}/_emulator/limits", json=body)
    assert answer.status_code == 400 and field in answer.json()["error"]
    assert http.get(f"{dataverse.url}/_emulator/limits").json()["requests"] == 6000


def test_limits_switched_off_let_everything_through(dataverse):
    http.post(f"{dataverse.url}/_emulator/limits", json={"requests": 1, "enabled": False})
    assert _statuses(dataverse, "WhoAmI", 3) == [200] * 3


def test_limits_read_from_the_environment_at_start():
    limits = ServiceLimits.from_environment({"SMSC_EMULATOR_REQUESTS_PER_WINDOW": "50",
                                             "SMSC_EMULATOR_WINDOW_SECONDS": "5",
                                             "SMSC_EMULATOR_CONCURRENT_REQUESTS": "4"})
    assert (limits.requests, limits.window, limits.concurrent, limits.enabled) == (50, 5.0, 4, True)
    assert ServiceLimits.from_environment({"SMSC_EMULATOR_LIMITS": "off"}).enabled is False
    with pytest.raises(ValueError, match="SMSC_EMULATOR_WINDOW_SECONDS"):
        ServiceLimits.from_environment({"SMSC_EMULATOR_WINDOW_SECONDS": "soon"})


def test_the_webhook_key_of_a_service_endpoint_and_bearer_tokens_are_masked_in_the_log():
    body = b'{"name": "smsc", "authvalue": "webhook-key-123", "url": "https://x/api?code=abc", "note": "Bearer eyJ.x"}'
    shown = RecordedRequest("POST", f"{API}serviceendpoints", {"code": "abc"}, {}, body).shown()
    assert shown["body"] == {"name": "smsc", "authvalue": "***", "url": "https://x/api?code=***", "note": "Bearer ***"}
    assert shown["query"] == {"code": "***"}

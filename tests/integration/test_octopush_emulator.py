"""The real OctopushClient against the Octopush emulator on a loopback port."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from emulators.octopush import OctopushEmulator
from emulators.server import EmulatorServer
from connector.sms.octopush import OctopushClient
from connector.sms.port import DuplicateRequest, ProviderError, Recipient, SmsRequest, SmsType

LOGIN = "demo@example.com"
KEY = "emulator-SECRET-key-77"


@pytest.fixture(scope="module")
def _served():
    """One loopback server for the module; each test plugs in a fresh emulator."""
    current: list[OctopushEmulator] = []
    def app(environ, start_response):
        return current[0](environ, start_response)

    with EmulatorServer(app) as server:
        yield current, server.url + "/v1/public"


@pytest.fixture
def emulator(_served):
    current, _ = _served
    current[:] = [OctopushEmulator(LOGIN, KEY, credit=10.0, price_per_sms=0.05)]
    return current[0]


@pytest.fixture
def base_url(_served, emulator):
    return _served[1]


@pytest.fixture
def client(base_url):
    return OctopushClient(LOGIN, KEY, base_url=base_url, timeout=5)


def sms(request_id="rid-1", *numbers, **changes) -> SmsRequest:
    numbers = numbers or ("+33600000001", "+33600000002")
    values = dict(recipients=tuple(Recipient(n) for n in numbers),
                  text="Votre commande est expédiée.", sms_type=SmsType.TRANSACTIONAL,
                  request_id=request_id)
    values.update(changes)
    return SmsRequest(**values)


def test_send_is_recorded_with_its_cost(emulator, client):
    result = client.send(sms("rid-1", sender="MyShop"))
    assert (result.recipients, result.sms_needed, result.cost,
            result.residual_credit) == (2, 2, 0.1, 9.9)
    assert result.ticket.startswith("sms_") and len(result.ticket) == 17
    [sent] = emulator.sends
    assert sent["ticket"] == result.ticket and sent["status"] == "sent"
    assert sent["body"]["purpose"] == "alert" and sent["body"]["sender"] == "MyShop"
    assert sent["numbers"] == ["+33600000001", "+33600000002"]
    assert client.balance().amount == pytest.approx(9.9)


def test_segments_drive_the_cost(emulator, client):
    long_unicode = "Привет! " * 10                      # 80 UCS-2 characters: 2 segments
    result = client.send(sms("rid-u", "+447700900001", text=long_unicode))
    assert (result.sms_needed, result.cost) == (2, 0.1)
    assert emulator.credit == pytest.approx(9.9)


def test_stop_mention_rule(emulator, client):
    with pytest.raises(ProviderError) as info:
        client.send(sms("rid-m1", sms_type=SmsType.MARKETING, text="Soldes -30 % ce week-end"))
    assert (info.value.code, info.value.http_status, info.value.retryable) == (121, 400, False)
    assert "STOP au 30101" in str(info.value)
    assert emulator.sends == [] and emulator.credit == 10.0
    # Not French, or with the mention, or transactional: accepted.
    client.send(sms("rid-m2", "+447700900001", sms_type=SmsType.MARKETING, text="Sale -30%"))
    client.send(sms("rid-m3", sms_type=SmsType.MARKETING, text="Soldes -30 % STOP au 30101"))
    client.send(sms("rid-m4", text="Soldes -30 %"))
    assert [s["body"]["request_id"] for s in emulator.sends] == ["rid-m2", "rid-m3", "rid-m4"]


def test_emulator_checks_sender_and_numbers(emulator, client):
    with pytest.raises(ProviderError) as bad_sender:
        client.send(sms("rid-s", sender="My Shop!"))
    with pytest.raises(ProviderError) as bad_numbers:
        client.send(sms("rid-n", "0600000001"))
    assert (bad_sender.value.code, bad_numbers.value.code) == (106, 117)
    assert emulator.sends == []


def test_duplicate_request_id(emulator, client):
    client.send(sms("rid-dup"))
    with pytest.raises(DuplicateRequest) as info:
        client.send(sms("rid-dup"))
    assert info.value.code == 120
    assert len(emulator.sends) == 1 and emulator.credit == pytest.approx(9.9)


def test_not_enough_credit(emulator, client):
    emulator.credit = 0.01
    with pytest.raises(ProviderError) as info:
        client.send(sms("rid-poor"))
    assert info.value.code == 104 and "out of credit" in str(info.value)


def test_wrong_key(emulator, base_url):
    client = OctopushClient(LOGIN, "wrong-" + KEY, base_url=base_url)
    with pytest.raises(ProviderError) as info:
        client.balance()
    assert info.value.http_status == 401 and info.value.code == 101 and not info.value.retryable
    assert KEY not in str(info.value)
    assert emulator.sends == []


def test_throttled_send_is_retried_after_retry_after(emulator, client, retry_waits):
    emulator.faults.add(429, retry_after=1, path_contains="/sms-campaign/send")
    result = client.send(sms("rid-429"))
    assert retry_waits == [1.0]
    posts = [r for r in emulator.requests if r.method == "POST"]
    assert len(posts) == 2 and posts[0].json()["request_id"] == posts[1].json()["request_id"]
    assert [s["ticket"] for s in emulator.sends] == [result.ticket]


def test_schedule_then_cancel(emulator, client):
    at = datetime.now(timezone.utc).astimezone(timezone(timedelta(hours=2))) + timedelta(hours=1)
    result = client.send(sms("rid-later", send_at=at))
    send = emulator.find(result.ticket)
    assert send["status"] == "scheduled" and send["send_at"] == at.replace(microsecond=0)
    assert emulator.credit == pytest.approx(9.9)
    client.cancel(result.ticket)
    assert emulator.find(result.ticket)["status"] == "cancelled"
    assert emulator.credit == pytest.approx(10.0)
    with pytest.raises(ProviderError) as again:
        client.cancel(result.ticket)
    with pytest.raises(ProviderError) as unknown:
        client.cancel("sms_0000000000000")
    assert again.value.http_status == unknown.value.http_status == 400


def test_cannot_cancel_a_sent_campaign(emulator, client):
    result = client.send(sms("rid-now"))
    with pytest.raises(ProviderError) as info:
        client.cancel(result.ticket)
    assert info.value.http_status == 400 and "sent" in str(info.value)
    assert emulator.find(result.ticket)["status"] == "sent"


def test_balance_per_product(emulator, client):
    balance = client.balance(country_code="FR", product_name="sms_premium", with_details=True)
    assert (balance.amount, balance.unit) == (200, "sms_premium")
    assert balance.details[0]["id"] == "emulator-pack"


def test_faults_can_be_switched_over_http_for_an_emulator_in_another_process():
    import requests as http

    from emulators.octopush import OctopushEmulator
    from emulators.server import EmulatorServer

    with EmulatorServer(OctopushEmulator()) as server:
        made = http.post(f"{server.url}/_emulator/faults", json={"status": 429, "retry_after": 1, "times": 1,
                                                                "path_contains": "check-balance"})
        assert made.status_code == 201 and made.json()["status"] == 429
        first = http.get(f"{server.url}/v1/public/wallet/check-balance")
        assert first.status_code == 429 and first.headers["Retry-After"] == "1"
        assert http.post(f"{server.url}/_emulator/faults", json={"colour": "red"}).status_code == 400
        assert http.delete(f"{server.url}/_emulator/faults").status_code == 204
        log = http.get(f"{server.url}/_emulator/requests").json()
        [entry] = log
        assert {k: entry[k] for k in ("method", "path", "query", "body", "status")} == {
            "method": "GET", "path": "/v1/public/wallet/check-balance", "query": {}, "body": None, "status": 429}
        assert entry["headers"]["Retry-After"] == "1"


# --- The emulator's own counting (emulators.octopush_text), checked against the GSM alphabet -----------

from emulators import octopush_text  # noqa: E402
from emulators.octopush_text import sms_needed  # noqa: E402

NON_GSM = "ж"                    # Cyrillic: forces UCS-2
EMOJI = "\U0001F600"             # beyond U+FFFF: two UTF-16 units


def test_the_default_alphabet_has_127_characters_and_ten_extensions():
    assert len(octopush_text.DEFAULT_ALPHABET) == 128
    assert len([c for c, n in octopush_text.SEPTETS.items() if n == 1]) == 127
    assert sorted(c for c, n in octopush_text.SEPTETS.items() if n == 2) == sorted("\f^{}\\[~]|€")
    assert octopush_text.DEFAULT_ALPHABET[0x1B] == "\x00" and "\x00" not in octopush_text.SEPTETS
    # French: these accents are GSM; ç (lower case), ê, â, ô, î are not.
    assert octopush_text.is_gsm("éèàùÇÉ") and not any(octopush_text.is_gsm(c) for c in "çêâôî")


@pytest.mark.parametrize("text, parts", [
    ("", 0), ("a", 1), ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2),                           # 160 septets; then 76 per 153-septet part
    ("a" * 159 + "€", 2),                                   # 161 septets
    ("a" * 152 + "€" + "a" * 152, 3),                       # 306 septets, but the € may not be cut
    ("a" * 153 + "€" + "a" * 151, 2),                       # the same, the € starting part two
    (NON_GSM * 70, 1), (NON_GSM * 71, 2), (NON_GSM * 134, 2), (NON_GSM * 135, 3),
    ("a" * 69 + NON_GSM, 1), ("a" * 70 + NON_GSM, 2),      # one character sends the whole text as UCS-2
    (EMOJI * 35, 1), (EMOJI * 36, 2),                       # 70 units; then 33 pairs per 67-unit part
    ("a" * 66 + EMOJI + "a" * 66, 3),                       # 134 units, the pair not cut
])
def test_parts_of_a_text(text, parts):
    assert sms_needed(text) == parts


def test_cost_is_the_parts_of_every_personalised_text_times_the_price(emulator, client):
    long_name = "B" * 50
    text = "Bonjour {first_name}, " + "x" * 110
    send = SmsRequest(recipients=(Recipient("+33600000001", first_name="Al"),
                                  Recipient("+33600000002", first_name=long_name)),
                      text=text, sms_type=SmsType.TRANSACTIONAL, request_id="rid-cost")
    result = client.send(send)
    # "Bonjour Al, " + 110 = 122 characters: 1 part; with the 50-character name, 170: 2 parts.
    assert (result.sms_needed, result.cost) == (3, 0.15)
    assert emulator.credit == pytest.approx(10.0 - 0.15)
    assert octopush_text.total_cost(3, 0.045) == 0.135 and octopush_text.total_cost(7, 0.0333) == 0.2331


CROSS_CHECKS = [
    "Votre commande n°ORD-1002 d'un montant de 89,90 € a été validée",
    "Rendez-vous confirmé à 10h30. STOP au 30101",
    "Ça commence bientôt : -30 % sur tout ! STOP au 30101",          # Ç is GSM
    "Leçon de français : êtes-vous prêt ?",                          # ç, ê: UCS-2
    "{[~|^\\]}" * 20,
    "a" * 152 + "€" + "a" * 152,
    "Привет! " * 10,
    "Merci " + EMOJI * 40,
    "x" * 1224,
]


@pytest.mark.parametrize("text", CROSS_CHECKS)
def test_the_emulator_and_the_connector_agree_on_the_parts(text):
    from connector.text.encoding import analyze

    assert sms_needed(text) == analyze(text).segments


# --- Callbacks: the emulator posts delivery reports, replies and opt-outs back (emulators.octopush_callbacks) ----

import json  # noqa: E402
import re  # noqa: E402
import threading  # noqa: E402

import requests as http  # noqa: E402
from pytest_httpserver import HTTPServer  # noqa: E402

from connector.sms.port import CallbackUrls  # noqa: E402

HOOK_KEY = "hook-SECRET-key-1234567890"
DATE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


@pytest.fixture(scope="module")
def _receiver():
    srv = HTTPServer(host="127.0.0.1", port=0)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def receiver(_receiver):
    """The connector's side: answers 200 to the three callback routes, and keeps what it got."""
    _receiver.clear()
    for route in ("/delivery", "/inbound", "/optout"):
        _receiver.expect_request(route, method="POST").respond_with_data("", status=200)
    yield _receiver
    _receiver.clear()


@pytest.fixture
def registered(emulator, client, receiver):
    """The callbacks registered as the connector does it; nothing posted until a flush."""
    emulator.set_outcomes(hold=True)
    urls = {name: receiver.url_for(f"/{name}") + f"?key={HOOK_KEY}" for name in ("delivery", "inbound", "optout")}
    client.set_callbacks(urls["delivery"], urls["inbound"], urls["optout"])
    return urls


def received(receiver) -> list[tuple[str, dict]]:
    return [(request.path, json.loads(request.get_data())) for request, _ in receiver.log]


def test_callback_urls_are_registered_and_read_back(emulator, client, base_url):
    assert client.callbacks() == CallbackUrls(None, None, None)
    client.set_callbacks("http://127.0.0.1:7071/api/providers/octopush/delivery?key=k1",
                         "http://127.0.0.1:7071/api/providers/octopush/inbound?key=k1",
                         "http://localhost:7071/api/providers/octopush/inbound?key=k1")
    assert client.callbacks() == CallbackUrls("http://127.0.0.1:7071/api/providers/octopush/delivery?key=k1",
                                              "http://127.0.0.1:7071/api/providers/octopush/inbound?key=k1",
                                              "http://localhost:7071/api/providers/octopush/inbound?key=k1")
    raw = http.get(base_url + "/user/campaign-parameters", headers={"api-login": LOGIN, "api-key": KEY}).json()
    assert set(raw["callbacks"]) == {"callback_url_for_deliveries", "callback_url_for_inbounds",
                                     "callback_url_for_blacklisted_numbers", "callback_url_for_visits",
                                     "email_for_inbounds"}
    # The real API ignores what it cannot read; an empty string clears a URL.
    answer = http.patch(base_url + "/user/campaign-parameters/edit", headers={"api-login": LOGIN, "api-key": KEY},
                        json={"callbacks": {"callback_url_for_inbounds": "", "colour": "red",
                                            "callback_url_for_deliveries": 42}})
    assert answer.status_code == 200 and answer.json()["callbacks"]["callback_url_for_inbounds"] == ""
    assert client.callbacks().deliveries.endswith("/delivery?key=k1") and client.callbacks().inbounds is None


def test_a_callback_url_outside_loopback_is_refused(emulator, client):
    with pytest.raises(ProviderError) as info:
        client.set_callbacks("https://smsc.azurewebsites.net/api/providers/octopush/delivery?key=" + HOOK_KEY,
                             "http://127.0.0.1/inbound", "http://127.0.0.1/inbound")
    assert info.value.http_status == 400 and "smsc.azurewebsites.net" in str(info.value)
    assert HOOK_KEY not in str(info.value)
    assert client.callbacks() == CallbackUrls(None, None, None)


def test_each_recipient_gets_the_documented_delivery_report(emulator, client, registered, receiver):
    ticket = client.send(sms("rid-cb")).ticket
    assert receiver.log == []                     # held: nothing posted before the flush
    attempts = emulator.flush_callbacks()
    assert [a["status"] for a in attempts] == [200, 200]
    got = received(receiver)
    assert [path for path, _ in got] == ["/delivery", "/delivery"]
    for (_, body), number in zip(got, ("+33600000001", "+33600000002")):
        assert set(body) == {"channel", "message_id", "number", "status", "delivery_date", "meta_data"}
        assert (body["channel"], body["message_id"], body["number"], body["status"], body["meta_data"]) == (
            "sms", ticket, number, "DELIVERED", {})
        assert DATE.match(body["delivery_date"])
    request, _ = receiver.log[0]
    assert request.args["key"] == HOOK_KEY and request.headers["Content-Type"] == "application/json"
    assert emulator.flush_callbacks() == []       # each callback goes once


def test_the_delivered_share_is_spread_evenly_and_failed_numbers_fail(emulator, client, registered, receiver):
    emulator.set_outcomes(hold=True, delivered_share=0.5, failure_status="UNKNOWN_DELIVERY")
    numbers = ("+33600000001", "+33600000002", "+33600000003", "+33600000004")
    client.send(sms("rid-share", *numbers))
    emulator.flush_callbacks()
    assert [b["status"] for _, b in received(receiver)] == ["DELIVERED", "UNKNOWN_DELIVERY"] * 2
    receiver.log.clear()
    emulator.set_outcomes(hold=True, failed_numbers=["+33600000003"])
    client.send(sms("rid-named", *numbers))
    emulator.flush_callbacks()
    assert [(b["number"], b["status"]) for _, b in received(receiver)] == [
        ("+33600000001", "DELIVERED"), ("+33600000002", "DELIVERED"),
        ("+33600000003", "NOT_DELIVERED"), ("+33600000004", "DELIVERED")]


def test_out_of_order_and_duplicate_reports(emulator, client, registered, receiver):
    emulator.set_outcomes(hold=True, out_of_order=True, duplicates=True, failed_numbers=["+33600000001"])
    client.send(sms("rid-ooo"))
    emulator.flush_callbacks()
    sequence = [(b["number"][-1], b["status"]) for _, b in received(receiver)]
    once = [("2", "DELIVERED"), ("2", "ACK"), ("1", "NOT_DELIVERED"), ("1", "ACK")]
    assert sequence == once + once


def test_a_stop_reply_posts_the_reply_and_the_opt_out_then_the_number_is_blacklisted(emulator, client, registered,
                                                                                      receiver):
    emulator.set_outcomes(hold=True, replies=[{"number": "+33600000002", "text": "STOP"}])
    ticket = client.send(sms("rid-stop", with_replies=True)).ticket
    assert emulator.sends[0]["body"]["with_replies"] is True
    emulator.flush_callbacks()
    got = received(receiver)
    assert [path for path, _ in got] == ["/delivery", "/delivery", "/inbound", "/optout"]
    inbound, optout = got[2][1], got[3][1]
    assert set(inbound) == {"message_id", "number", "text", "sim_card_number", "reception_date"}
    assert (inbound["message_id"], inbound["number"], inbound["text"]) == (ticket, "+33600000002", "STOP")
    assert set(optout) == {"message_id", "number", "text", "stop_date"} and DATE.match(optout["stop_date"])
    assert (optout["message_id"], optout["number"], optout["text"]) == (ticket, "+33600000002", "STOP")
    # The account's blacklist: the next send to that number is reported BLACKLISTED_NUMBER, no reply.
    receiver.log.clear()
    emulator.set_outcomes(hold=True)
    client.send(sms("rid-after-stop", with_replies=True))
    emulator.flush_callbacks()
    assert [b["status"] for _, b in received(receiver)] == ["DELIVERED", "BLACKLISTED_NUMBER"]
    # START from the phone lifts it.
    receiver.log.clear()
    queued = emulator.inbound("+33600000002", "START")
    assert [q["kind"] for q in queued] == ["inbound"]
    client.send(sms("rid-after-start"))
    emulator.flush_callbacks()
    assert [b.get("status") for _, b in received(receiver)] == [None, "DELIVERED", "DELIVERED"]


def test_replies_to_a_send_without_with_replies_cannot_arrive_but_stop_still_opts_out(emulator, client,
                                                                                       registered, receiver):
    emulator.set_outcomes(hold=True, replies=[{"number": "all", "text": "Merci"},
                                              {"number": "+33600000001", "text": "stop"}])
    ticket = client.send(sms("rid-noreply", sender="MyShop")).ticket
    assert emulator.sends[0]["body"]["with_replies"] is False
    emulator.flush_callbacks()
    assert [path for path, _ in received(receiver)] == ["/delivery", "/delivery", "/optout"]
    assert [(u["number"], u["text"], u["message_id"]) for u in emulator.unanswerable] == [
        ("+33600000001", "Merci", ticket), ("+33600000002", "Merci", ticket)]


def test_a_failed_delivery_gets_no_reply(emulator, client, registered, receiver):
    emulator.set_outcomes(hold=True, delivered_share=0, replies=[{"number": "all", "text": "Oui"}])
    client.send(sms("rid-fail-noreply", with_replies=True))
    emulator.flush_callbacks()
    assert [b["status"] for _, b in received(receiver)] == ["NOT_DELIVERED", "NOT_DELIVERED"]


def test_the_worker_posts_without_a_flush(emulator, client, registered, receiver):
    emulator.set_outcomes()                      # hold off: the background worker posts when due
    posted = threading.Event()
    emulator.outbox.post = lambda url, body: (posted.set(), 204)[1]
    client.send(sms("rid-worker", "+33600000009"))
    assert posted.wait(timeout=10)
    for _ in range(200):                          # bounded: the attempt is recorded right after the post
        if emulator.outbox.attempts:
            break
        posted.wait(0.01)
    [attempt] = emulator.outbox.attempts
    assert attempt["status"] == 204 and attempt["body"]["number"] == "+33600000009"
    assert emulator.outbox.pending() == []


def test_a_delay_keeps_callbacks_pending_until_due_or_flushed(emulator, client, registered, receiver):
    emulator.set_outcomes(delay=600)             # not held: the worker would post in 10 minutes
    client.send(sms("rid-delay", "+33600000007"))
    [waiting] = emulator.outbox.pending()
    assert waiting.kind == "delivery" and receiver.log == []
    assert [a["body"]["number"] for a in emulator.flush_callbacks()] == ["+33600000007"]


def test_a_scheduled_send_reports_at_its_time_and_a_cancelled_one_never(emulator, client, registered, receiver):
    at = datetime.now(timezone.utc) + timedelta(hours=1)
    ticket = client.send(sms("rid-sched", "+33600000005", send_at=at)).ticket
    assert emulator.flush_callbacks() == [] and len(emulator.outbox.pending()) == 1
    client.cancel(ticket)
    assert emulator.outbox.pending() == [] and emulator.flush_callbacks() == []
    assert receiver.log == []


def test_a_simulated_send_posts_nothing(emulator, client, registered, base_url):
    answer = http.post(base_url + "/sms-campaign/send", headers={"api-login": LOGIN, "api-key": KEY},
                       json={"recipients": [{"phone_number": "+33600000001"}], "text": "Test",
                             "purpose": "alert", "simulation_mode": True})
    assert answer.status_code == 200 and emulator.outbox.pending() == []


def test_attempts_record_the_answer_and_mask_the_key(emulator, client, receiver, _served):
    emulator.set_outcomes(hold=True)
    receiver.clear()
    receiver.expect_request("/delivery", method="POST").respond_with_data("boom", status=500)
    url = receiver.url_for("/delivery") + f"?key={HOOK_KEY}&code=fn-SECRET"
    client.set_callbacks(url, url, url)
    client.send(sms("rid-500", "+33600000001"))
    server_url = _served[1].removesuffix("/v1/public")
    flushed = http.post(server_url + "/_emulator/callbacks/flush").json()
    assert [a["status"] for a in flushed] == [500]
    log = http.get(server_url + "/_emulator/callbacks").json()
    assert [a["status"] for a in log["attempts"]] == [500] and log["pending"] == []
    text = json.dumps(log)
    assert HOOK_KEY not in text and "fn-SECRET" not in text
    assert log["attempts"][0]["url"].endswith("/delivery?key=***&code=***")
    assert log["registered"]["callback_url_for_deliveries"].endswith("?key=***&code=***")
    # Nothing answers: the attempt says so.
    emulator.set_callback_urls(callback_url_for_deliveries="http://127.0.0.1:9/delivery")
    client.send(sms("rid-refused", "+33600000001"))
    [refused] = emulator.flush_callbacks()
    assert refused["status"] is None and "Error" in refused["error"]


def test_flush_can_post_in_process(emulator, client, registered):
    client.send(sms("rid-inproc", "+33600000001"))
    got = []
    attempts = emulator.flush_callbacks(post=lambda url, body: got.append((url, body)) or 202)
    assert [a["status"] for a in attempts] == [202] and got[0][0] == registered["delivery"]


def test_control_routes_over_http(_served, emulator):
    server_url, current = _served[1].removesuffix("/v1/public"), emulator
    made = http.post(server_url + "/_emulator/outcomes", json={"delivered_share": 0.75, "hold": True,
                                                              "replies": [{"number": "all", "text": "OUI"}]})
    assert made.status_code == 200 and made.json()["delivered_share"] == 0.75
    assert http.get(server_url + "/_emulator/outcomes").json()["replies"] == [{"number": "all", "text": "OUI"}]
    assert current.outbox.hold is True
    # An SMS from a phone needs a registered inbound URL.
    assert http.post(server_url + "/_emulator/inbound", json={"number": "+33600000001", "text": "Bonjour"}
                     ).status_code == 409
    current.set_callback_urls(callback_url_for_inbounds="http://127.0.0.1:9/inbound",
                              callback_url_for_blacklisted_numbers="http://127.0.0.1:9/optout")
    queued = http.post(server_url + "/_emulator/inbound", json={"number": "+33600000001", "text": "Stop",
                                                                "message_id": "sms_abc"})
    assert queued.status_code == 202
    assert [(q["kind"], q["body"]["message_id"]) for q in queued.json()["queued"]] == [("inbound", "sms_abc"),
                                                                                        ("opt_out", "sms_abc")]
    assert http.delete(server_url + "/_emulator/outcomes").status_code == 204
    assert http.get(server_url + "/_emulator/outcomes").json()["delivered_share"] == 1.0


@pytest.mark.parametrize("route, body, named", [
    ("/_emulator/outcomes", [1, 2], "JSON object"),
    ("/_emulator/outcomes", "not json", "JSON object"),
    ("/_emulator/outcomes", {"colour": "red"}, "colour"),
    ("/_emulator/outcomes", {"delivered_share": 1.5}, "delivered_share"),
    ("/_emulator/outcomes", {"delivered_share": True}, "delivered_share"),
    ("/_emulator/outcomes", {"failure_status": "DELIVERED"}, "failure_status"),
    ("/_emulator/outcomes", {"failed_numbers": ["0600000001"]}, "failed_numbers"),
    ("/_emulator/outcomes", {"delay": -1}, "delay"),
    ("/_emulator/outcomes", {"replies": {"number": "all"}}, "replies"),
    ("/_emulator/outcomes", {"replies": [{"number": "someone", "text": "STOP"}]}, "replies[0].number"),
    ("/_emulator/outcomes", {"replies": [{"number": "all", "text": ""}]}, "replies[0].text"),
    ("/_emulator/outcomes", {"duplicates": "yes"}, "duplicates"),
    ("/_emulator/inbound", {"number": "0600000001", "text": "STOP"}, "number"),
    ("/_emulator/inbound", {"number": "+33600000001"}, "text"),
    ("/_emulator/inbound", {"number": "+33600000001", "text": "Hi", "message_id": 7}, "message_id"),
    ("/_emulator/inbound", {"number": "+33600000001", "text": "Hi", "colour": 1}, "colour"),
])
def test_bad_control_input_is_refused_naming_the_problem(_served, emulator, route, body, named):
    server_url = _served[1].removesuffix("/v1/public")
    emulator.set_callback_urls(callback_url_for_inbounds="http://127.0.0.1:9/inbound")
    before = emulator.callbacks.outcomes
    if isinstance(body, str):
        answer = http.post(server_url + route, data=body, headers={"Content-Type": "application/json"})
    else:
        answer = http.post(server_url + route, json=body)
    assert answer.status_code == 400 and named in answer.json()["error"]
    assert emulator.callbacks.outcomes == before and emulator.outbox.pending() == []

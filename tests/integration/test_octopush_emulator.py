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
        assert log == [{"method": "GET", "path": "/v1/public/wallet/check-balance", "query": {}}]


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

"""Contract tests of the Azure Communication Services adapter (reference/azure-communication-sms.md):
the request it sends (body, repeatability per recipient, HMAC-SHA256 signature), how it reads the
per-recipient answer, and the Event Grid events it reads back."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone

import pytest

from connector.sms.acs import AcsClient, parse_connection_string, repeatability_id
from connector.sms.acs_events import parse_events
from connector.sms.callbacks import CallbackKind, MalformedCallback, callback_from_message, callback_message
from connector.sms.capabilities import MARKETING, TRANSACTIONAL
from connector.sms.port import ProviderError, Recipient, SmsProvider, SmsRequest, SmsType, Unsupported

KEY = base64.b64encode(b"acs-SECRET-access-key").decode()
FIRST = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def client(server):
    return AcsClient(server.url_for("/").rstrip("/"), access_key=KEY, sender="+18005550100", clock=lambda: FIRST)


def sms(*numbers: str, **changes) -> SmsRequest:
    values = dict(recipients=tuple(Recipient(n) for n in numbers or ("+33600000001",)), text="Votre code : 1234",
                  sms_type=SmsType.TRANSACTIONAL, request_id="req-42")
    return SmsRequest(**{**values, **changes})


def accepted(*numbers: str) -> dict:
    return {"value": [{"to": n, "messageId": f"Outgoing_{n}", "httpStatusCode": 202, "successful": True}
                      for n in numbers]}


def test_the_client_is_an_sms_provider_with_acs_s_capabilities(client):
    provider: SmsProvider = client
    caps = provider.capabilities
    assert (caps.recipients_per_request, caps.placeholders, caps.scheduling, caps.cancel, caps.balance) == \
        (100, False, False, False, False)
    assert KEY not in repr(client)
    assert pytest.raises(Unsupported, client.balance) and pytest.raises(Unsupported, client.cancel, "x")


def test_the_send_carries_our_repeatability_per_recipient_and_asks_for_reports(server, client):
    server.expect_request("/sms", method="POST", query_string="api-version=2021-03-07").respond_with_json(
        accepted("+33600000001", "+33600000002"), status=202)
    result = client.send(sms("+33600000001", "+33600000002"))
    [(request, _)] = server.log
    assert json.loads(request.get_data()) == {
        "from": "+18005550100",
        "smsRecipients": [{"to": n, "repeatabilityRequestId": repeatability_id("req-42", n),
                           "repeatabilityFirstSent": "Wed, 02 Dec 2026 10:00:00 GMT"}
                          for n in ("+33600000001", "+33600000002")],
        "message": "Votre code : 1234", "smsSendOptions": {"enableDeliveryReport": True, "tag": "req-42"}}
    assert [(r.number, r.provider_id) for r in result.results] == \
        [("+33600000001", "Outgoing_+33600000001"), ("+33600000002", "Outgoing_+33600000002")]
    assert repeatability_id("req-42", "+33600000001") == repeatability_id("req-42", "+33600000001")


def test_the_request_is_signed_with_hmac_sha256_of_the_access_key(server, client):
    server.expect_request("/sms", method="POST").respond_with_json(accepted("+33600000001"), status=202)
    client.send(sms())
    [(request, _)] = server.log
    body = request.get_data()
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert request.headers["x-ms-content-sha256"] == digest
    host = server.url_for("/").split("//")[1].rstrip("/")
    to_sign = f"POST\n/sms?api-version=2021-03-07\n{request.headers['x-ms-date']};{host};{digest}"
    signature = base64.b64encode(hmac.new(base64.b64decode(KEY), to_sign.encode(), hashlib.sha256).digest()).decode()
    assert request.headers["Authorization"] == \
        f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}"


def test_an_entra_id_token_replaces_the_signature(server):
    client = AcsClient(server.url_for("/").rstrip("/"), token=lambda: "entra-token", sender="+18005550100")
    server.expect_request("/sms", method="POST").respond_with_json(accepted("+33600000001"), status=202)
    client.send(sms())
    [(request, _)] = server.log
    assert request.headers["Authorization"] == "Bearer entra-token" and "x-ms-date" not in request.headers


def test_a_partial_failure_is_a_result_per_recipient(server, client):
    server.expect_request("/sms", method="POST").respond_with_json({"value": [
        {"to": "+33600000001", "messageId": "Outgoing_1", "httpStatusCode": 202, "successful": True},
        {"to": "+3360000000", "httpStatusCode": 400, "successful": False,
         "errorMessage": "Invalid To phone number format."}]}, status=202)
    result = client.send(sms("+33600000001", "+3360000000"))
    assert result.ticket == "Outgoing_1" and result.recipients == 1
    [refused] = result.refused
    assert refused.number == "+3360000000" and "Invalid To phone number format." in (refused.reason or "")


def test_nobody_accepted_raises_and_a_401_names_the_settings_without_the_key(server, client):
    server.expect_request("/sms", method="POST").respond_with_json({"error": {"message": f"bad {KEY}"}}, status=401)
    with pytest.raises(ProviderError) as caught:
        client.send(sms())
    assert KEY not in str(caught.value) and "ACS_CONNECTION_STRING" in (caught.value.key_refused or "")


def test_a_connection_string_is_read_and_a_bad_one_named_without_its_key():
    assert parse_connection_string(f"endpoint=https://r.communication.azure.com/;accesskey={KEY}") == \
        ("https://r.communication.azure.com", KEY)
    with pytest.raises(ValueError) as caught:
        parse_connection_string(f"accesskey={KEY}")
    assert KEY not in str(caught.value)


def test_capabilities_refuse_french_marketing_from_an_alphanumeric_sender_only(client):
    caps = client.capabilities
    refusal = caps.refusal(MARKETING, "+33612345678", "MyShop")
    assert refusal is not None and refusal.key == "provider_fr_marketing_alphanumeric"
    assert caps.refusal(TRANSACTIONAL, "+33612345678", "MyShop") is None
    assert caps.refusal(MARKETING, "+33612345678", "+18005550100") is None
    assert caps.refusal(MARKETING, "+4915112345678", "MyShop") is None
    assert caps.refusal(MARKETING, "+33612345678", None) is None       # the default sender is a number


def grid(*events: dict) -> bytes:
    return json.dumps(list(events)).encode()


def test_the_subscription_validation_handshake_gives_its_code():
    batch = parse_events(grid({"id": "1", "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
                               "data": {"validationCode": "512d38b6", "validationUrl": "https://x"}}))
    assert batch.validation_code == "512d38b6" and batch.callbacks == []


def test_delivery_reports_and_inbound_sms_become_callbacks_others_are_ignored():
    batch = parse_events(grid(
        {"id": "e1", "eventType": "Microsoft.Communication.SMSDeliveryReportReceived",
         "eventTime": "2026-12-02T10:00:05Z",
         "data": {"messageId": "Outgoing_1", "from": "15555555555", "to": "+33600000001", "deliveryStatus": "Failed",
                  "deliveryStatusDetails": "Sender blocked for given recipient.", "Tag": "req-42",
                  "receivedTimestamp": "2026-12-02T10:00:04.512Z"}},
        {"id": "e2", "eventType": "Microsoft.Communication.SMSReceived",
         "data": {"messageId": "Incoming_1", "from": "33600000001", "to": "+18005550100", "message": "STOP",
                  "receivedTimestamp": "2026-12-02T10:01:00Z"}},
        {"id": "e3", "eventType": "Microsoft.Communication.ChatMessageReceived", "data": {}}))
    report, reply = batch.callbacks
    assert (report.kind, report.number, report.ticket, report.status) == \
        (CallbackKind.DELIVERY, "+33600000001", "Outgoing_1", "FAILED")
    assert report.raw["id"] == "e1" and report.occurred_at == datetime(2026, 12, 2, 10, 0, 4, 512000, tzinfo=timezone.utc)
    assert (reply.kind, reply.number, reply.text) == (CallbackKind.INBOUND, "+33600000001", "STOP")
    assert (report.event_id, reply.event_id) == ("e1", "e2")        # what a second delivery is known by
    assert callback_from_message(callback_message(reply)) == reply  # kept through the queue when held
    assert batch.ignored == 1


@pytest.mark.parametrize("body", [b"nope", b'"x"', grid({"eventType": "x"}),
                                  grid({"eventType": "Microsoft.Communication.SMSDeliveryReportReceived",
                                        "data": {"to": "+33600000001"}})])
def test_unreadable_event_bodies_are_malformed(body):
    with pytest.raises(MalformedCallback):
        parse_events(body)

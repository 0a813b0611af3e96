"""Contract tests of the smsmode adapter (reference/smsmode.md): the exact requests it sends, how it
reads answers, and its callback bodies."""
from __future__ import annotations

import json

import pytest

from connector.sms.port import (CallbackUrls, ProviderError, Recipient, SmsProvider, SmsRequest, SmsType,
                                Unsupported)
from connector.sms.smsmode import SmsmodeClient
from connector.sms.smsmode_callbacks import parse_delivery, parse_inbound
from connector.sms.callbacks import CallbackKind, MalformedCallback

KEY = "smsmode-SECRET-key-42"
SEND = "/sms/v1/messages"


def created(message_id: str, to: str = "33600000001") -> dict:
    return {"messageId": message_id, "acceptedAt": "2026-12-02T10:00:00", "type": "SMS", "direction": "MT",
            "recipient": {"to": to}, "body": {"text": "x", "encoding": "GSM7", "messagePartCount": 1},
            "status": {"value": "ENROUTE"}}


@pytest.fixture
def client(server):
    return SmsmodeClient(KEY, base_url=server.url_for("/"), timeout=5)


def sms(**changes) -> SmsRequest:
    values = dict(recipients=(Recipient("+33600000001", "Léa"),), text="Votre RDV est confirmé.",
                  sms_type=SmsType.TRANSACTIONAL, request_id="appt-4711-v1")
    return SmsRequest(**{**values, **changes})


def bodies(server) -> list[dict]:
    return [json.loads(request.get_data()) for request, _ in server.log]


def test_client_is_an_sms_provider_with_smsmode_s_capabilities(client):
    provider: SmsProvider = client
    caps = provider.capabilities
    assert (provider.name, caps.recipients_per_request, caps.placeholders, caps.idempotent_requests) == \
        ("smsmode", 1, False, False)
    assert not caps.balance and not caps.cancel and caps.replies and caps.alphanumeric_sender
    assert KEY not in repr(client)


def test_one_send_is_one_post_with_the_key_our_reference_and_digits_without_plus(server, client):
    server.expect_request(SEND, method="POST").respond_with_json(created("m-1"), status=201)
    result = client.send(sms(sender="MyShop"))
    request, _ = server.log[0]
    assert request.headers["X-Api-Key"] == KEY and request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"] == "application/json"
    assert bodies(server) == [{"recipient": {"to": "33600000001"}, "body": {"text": "Votre RDV est confirmé."},
                               "refClient": "appt-4711-v1", "from": "MyShop"}]
    assert (result.ticket, result.recipients) == ("m-1", 1)
    assert result.result_of("+33600000001").provider_id == "m-1"


def test_the_callback_urls_and_the_stop_option_go_with_a_marketing_message(server):
    urls = CallbackUrls("https://app.example.org/api/providers/smsmode/delivery?key=k",
                        "https://app.example.org/api/providers/smsmode/inbound?key=k")
    client = SmsmodeClient(KEY, base_url=server.url_for("/"), stop_mention=True, callback_urls=urls)
    server.expect_request(SEND, method="POST").respond_with_json(created("m-1"), status=201)
    client.send(sms(sms_type=SmsType.MARKETING))
    body = bodies(server)[0]
    assert body["body"] == {"text": "Votre RDV est confirmé.", "stop": True}
    assert (body["callbackUrlStatus"], body["callbackUrlMo"]) == (urls.deliveries, urls.inbounds)
    assert client.capabilities.stop_mention


def test_a_transactional_message_never_asks_for_the_stop_mention(server):
    client = SmsmodeClient(KEY, base_url=server.url_for("/"), stop_mention=True)
    server.expect_request(SEND, method="POST").respond_with_json(created("m-1"), status=201)
    client.send(sms())
    assert "stop" not in bodies(server)[0]["body"]


def test_several_recipients_are_one_request_each_with_their_own_reference_and_result(server, client):
    server.expect_request(SEND, method="POST", json={"recipient": {"to": "33600000001"},
                                                      "body": {"text": "Hi"}, "refClient": "r-0"}
                          ).respond_with_json(created("m-1"), status=201)
    server.expect_request(SEND, method="POST", json={"recipient": {"to": "33600000002"},
                                                      "body": {"text": "Hi"}, "refClient": "r-1"}
                          ).respond_with_json({"title": "Bad Request", "message": "Invalid number"}, status=400)
    result = client.send(sms(recipients=(Recipient("+33600000001"), Recipient("+33600000002")), text="Hi",
                             request_id="r"))
    assert len(server.log) == 2
    assert [(r.number, r.accepted, r.provider_id) for r in result.results] == \
        [("+33600000001", True, "m-1"), ("+33600000002", False, None)]
    assert "Invalid number" in (result.refused[0].reason or "")


@pytest.mark.parametrize("status, retryable", [(401, False), (403, False), (429, True), (503, True)])
def test_refusals_of_the_whole_send_raise_without_the_key(server, client, status, retryable):
    server.expect_request(SEND, method="POST").respond_with_json({"message": f"no {KEY}"}, status=status)
    with pytest.raises(ProviderError) as caught:
        client.send(sms())
    assert caught.value.retryable is retryable and KEY not in str(caught.value)
    if status in (401, 403):
        assert "SMSMODE_API_KEY" in str(caught.value)


def test_a_refused_single_recipient_raises_with_smsmode_s_message(server, client):
    server.expect_request(SEND, method="POST").respond_with_json(
        {"title": "Bad Request", "message": "recipient.to is invalid", "errorCode": 400}, status=400)
    with pytest.raises(ProviderError, match="recipient.to is invalid") as caught:
        client.send(sms())
    assert not caught.value.retryable


def test_a_post_is_never_retried_by_the_adapter(server):
    """smsmode has no idempotency key: a 503 may have sent; only the ledger decides a new try."""
    from connector.http import build_session
    from connector.sms.smsmode import RETRY_METHODS

    client = SmsmodeClient(KEY, base_url=server.url_for("/"), session=build_session(retries=3, methods=RETRY_METHODS))
    server.expect_request(SEND, method="POST").respond_with_json({}, status=503)
    with pytest.raises(ProviderError):
        client.send(sms())
    assert len(server.log) == 1


def test_no_balance_no_cancel(client):
    assert pytest.raises(Unsupported, client.balance)
    assert pytest.raises(Unsupported, client.cancel, "m-1")


def test_a_delivery_report_is_read_from_the_message_resource():
    body = {"messageId": "m-1", "direction": "MT", "recipient": {"to": "33600000001"}, "from": "MyShop",
            "refClient": "appt-4711-v1", "status": {"value": "DELIVERED", "deliveryDate": "2026-12-02T10:00:05"}}
    report = parse_delivery(json.dumps(body).encode(), "application/json")
    assert (report.kind, report.number, report.ticket, report.status) == \
        (CallbackKind.DELIVERY, "+33600000001", "m-1", "DELIVERED")
    assert report.occurred_at is not None and report.occurred_at.utcoffset().total_seconds() == 0


def test_an_opted_out_number_s_failure_is_reported_as_blacklisted():
    body = {"messageId": "m-1", "recipient": {"to": "33600000001"},
            "status": {"value": "UNDELIVERABLE", "detail": "BLACKLISTED"}}
    assert parse_delivery(json.dumps(body).encode(), "application/json").status == "BLACKLISTED"


def test_a_reply_takes_the_number_from_whichever_field_holds_one():
    body = {"messageId": "i-1", "direction": "MO", "from": "33600000001", "recipient": {"to": "36111"},
            "body": {"text": "STOP"}, "originMessageId": "m-1"}
    reply = parse_inbound(json.dumps(body).encode(), "application/json")
    assert (reply.kind, reply.number, reply.text, reply.ticket) == (CallbackKind.INBOUND, "+33600000001", "STOP", "m-1")
    swapped = {**body, "from": "Agent", "recipient": {"to": "33600000002"}}
    assert parse_inbound(json.dumps(swapped).encode(), "application/json").number == "+33600000002"


@pytest.mark.parametrize("body", [b"not json", b"[]", json.dumps({"recipient": {"to": "336"}}).encode(),
                                  json.dumps({"messageId": "m", "recipient": {"to": "x"},
                                              "status": {"value": "DELIVERED"}}).encode()])
def test_unreadable_reports_are_malformed(body):
    with pytest.raises(MalformedCallback):
        parse_delivery(body, "application/json")

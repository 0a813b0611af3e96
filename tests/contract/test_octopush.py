"""Contract tests of the Octopush adapter: the exact requests it sends, how it reads answers."""
from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.wrappers import Response

from connector.http import build_session
from connector.sms.octopush import ERROR_MESSAGES, OctopushClient
from connector.sms.port import (DuplicateRequest, ProviderError, Recipient, SmsProvider, SmsRequest,
                                SmsType)

LOGIN = "ops@example.com"
KEY = "k3y-SECRET-5f9a0c"
SEND = "/v1/public/sms-campaign/send"
SUCCESS = {"sms_ticket": "sms_5fec89fe97109", "number_of_contacts": 2, "total_cost": 0.0666,
           "number_of_sms_needed": 2, "residual_credit": 99.5}




@pytest.fixture
def client(server):
    return OctopushClient(LOGIN, KEY, base_url=server.url_for("/v1/public"), timeout=5)


def sms(**changes) -> SmsRequest:
    values = dict(recipients=(Recipient("+33600000001", "Léa", "Martin"),
                              Recipient("+33600000002")),
                  text="Votre RDV est confirmé.", sms_type=SmsType.TRANSACTIONAL,
                  request_id="appt-4711-v1")
    values.update(changes)
    return SmsRequest(**values)


def fails(call, kind=ProviderError) -> ProviderError:
    with pytest.raises(kind) as info:
        call()
    assert KEY not in str(info.value) and KEY not in repr(info.value.args)
    return info.value


def bodies(server) -> list[dict]:
    return [json.loads(request.get_data()) for request, _ in server.log]


def test_client_is_an_sms_provider(client):
    provider: SmsProvider = client
    assert provider.name == "octopush" and callable(provider.send) and callable(provider.balance)
    assert KEY not in repr(client)


def test_send_request_and_result(server, client):
    server.expect_request(SEND, method="POST").respond_with_json(SUCCESS)
    result = client.send(sms(sender="MyShop"))
    request, _ = server.log[0]
    assert request.headers["api-login"] == LOGIN and request.headers["api-key"] == KEY
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["cache-control"] == "no-cache"
    assert json.loads(request.get_data()) == {
        "recipients": [{"phone_number": "+33600000001", "first_name": "Léa",
                        "last_name": "Martin"},
                       {"phone_number": "+33600000002"}],
        "text": "Votre RDV est confirmé.", "type": "sms_premium", "purpose": "alert",
        "request_id": "appt-4711-v1", "with_replies": False, "auto_optimize_text": False,
        "sender": "MyShop"}
    assert (result.ticket, result.recipients, result.cost, result.sms_needed,
            result.residual_credit) == ("sms_5fec89fe97109", 2, 0.0666, 2, 99.5)


def test_marketing_is_wholesale_and_send_at_has_an_offset(server):
    server.expect_request(SEND, method="POST").respond_with_json(
        {"sms_ticket": "sms_5f6c4ba715694", "number_of_contacts": 1, "total_cost": 0.062})
    client = OctopushClient(LOGIN, KEY, base_url=server.url_for("/v1/public"),
                            sms_quality="sms_low_cost")
    at = datetime(2030, 10, 3, 7, 42, 39, 123456, tzinfo=timezone(timedelta(hours=-7)))
    result = client.send(sms(sms_type=SmsType.MARKETING, send_at=at, text="Promo! STOP au 30101"))
    body = bodies(server)[0]
    assert body["purpose"] == "wholesale" and body["type"] == "sms_low_cost"
    assert body["send_at"] == "2030-10-03T07:42:39-07:00"
    assert "sender" not in body
    assert (result.ticket, result.cost, result.sms_needed, result.residual_credit) == \
        ("sms_5f6c4ba715694", 0.062, None, None)


def test_send_refuses_bad_input_before_calling(server, client):
    with pytest.raises(ValueError):
        client.send(sms(recipients=tuple(Recipient(f"+3360000{i:04d}") for i in range(501))))
    with pytest.raises(ValueError):
        client.send(sms(recipients=()))
    with pytest.raises(ValueError):
        client.send(sms(send_at=datetime(2030, 1, 1, 9, 0)))     # naive
    assert server.log == []


@pytest.mark.parametrize("code, expected", [
    (121, "STOP mention (STOP au 30101) is missing from a marketing SMS to French numbers"),
    (106, "sender is invalid"),
    (104, "out of credit"),
    (105, "not have enough credit"),
    (117, "international format"),
])
def test_documented_error_codes(server, client, code, expected):
    server.expect_request(SEND).respond_with_json({"code": code, "message": "Octopush says no"},
                                                  status=400)
    error = fails(lambda: client.send(sms()))
    assert expected in str(error) and str(code) in str(error)
    assert (error.code, error.http_status, error.retryable) == (code, 400, False)
    assert not isinstance(error, DuplicateRequest)


def test_every_documented_code_has_a_message():
    assert set(range(100, 123)) <= set(ERROR_MESSAGES)


def test_duplicate_request_id(server, client):
    server.expect_request(SEND).respond_with_json({"code": 120, "message": "Same request_id"},
                                                  status=400)
    error = fails(lambda: client.send(sms()), DuplicateRequest)
    assert error.code == 120 and not error.retryable


def test_unknown_code_keeps_octopush_message(server, client):
    server.expect_request(SEND).respond_with_json({"code": 187, "message": "Quiet hours in force"},
                                                  status=400)
    error = fails(lambda: client.send(sms()))
    assert "Quiet hours in force" in str(error) and error.code == 187


def test_provider_message_echoing_the_key_is_scrubbed(server, client, caplog):
    server.expect_request(SEND).respond_with_json({"code": 188, "message": f"key {KEY} suspended"},
                                                  status=403)
    with caplog.at_level("DEBUG", logger="connector.sms.octopush"):
        error = fails(lambda: client.send(sms()))
    assert "key *** suspended" in str(error) and error.http_status == 403
    assert "suspended" in caplog.text and KEY not in caplog.text


def test_code_in_a_2xx_body_is_an_error(server, client):
    server.expect_request(SEND).respond_with_json({"code": 113, "message": "not validated"},
                                                  status=200)
    assert fails(lambda: client.send(sms())).code == 113


def test_success_body_with_code_zero(server, client):
    server.expect_request(SEND).respond_with_json({**SUCCESS, "code": 0, "message": ""}, status=201)
    assert client.send(sms()).ticket == "sms_5fec89fe97109"


def test_unauthorized(server, client):
    server.expect_request(SEND).respond_with_json({"code": 101, "message": f"bad key {KEY}"},
                                                  status=401)
    error = fails(lambda: client.send(sms()))
    assert error.http_status == 401 and not error.retryable and "API key" in str(error)


def test_429_with_retry_after_then_success(server, client, retry_waits):
    server.expect_ordered_request(SEND, method="POST").respond_with_json(
        {"message": "slow down"}, status=429, headers={"Retry-After": "1"})
    server.expect_ordered_request(SEND, method="POST").respond_with_json(SUCCESS)
    assert client.send(sms()).ticket == "sms_5fec89fe97109"
    assert retry_waits == [1.0]                                   # Retry-After honoured
    sent = bodies(server)
    assert len(sent) == 2 and sent[0]["request_id"] == sent[1]["request_id"] == "appt-4711-v1"


def test_retry_answered_with_duplicate_is_already_sent(server, client):
    server.expect_ordered_request(SEND).respond_with_json({}, status=429,
                                                          headers={"Retry-After": "0"})
    server.expect_ordered_request(SEND).respond_with_json({"code": 120, "message": "dup"},
                                                          status=400)
    fails(lambda: client.send(sms()), DuplicateRequest)
    assert len(server.log) == 2


def test_throttled_until_retries_run_out(server):
    server.expect_request(SEND).respond_with_json({}, status=429, headers={"Retry-After": "0"})
    client = OctopushClient(LOGIN, KEY, base_url=server.url_for("/v1/public"),
                            session=build_session(retries=2, backoff=0,
                                                  methods=frozenset({"POST"})))
    error = fails(lambda: client.send(sms()))
    assert error.http_status == 429 and error.retryable and len(server.log) == 3


def test_server_error_is_retryable(server, client):
    server.expect_request(SEND).respond_with_data("<html>Internal error</html>", status=500)
    error = fails(lambda: client.send(sms()))
    assert error.http_status == 500 and error.retryable and "500" in str(error)


def test_one_internal_error_is_tried_again_with_the_same_request_id(server, client, retry_waits):
    # request_id makes a repeat harmless: one failing answer must not fail a unit SMS for good.
    server.expect_ordered_request(SEND, method="POST").respond_with_data("<html>Internal error</html>", status=500)
    server.expect_ordered_request(SEND, method="POST").respond_with_json(SUCCESS)
    assert client.send(sms()).ticket == "sms_5fec89fe97109"
    sent = bodies(server)
    assert len(sent) == 2 and sent[0]["request_id"] == sent[1]["request_id"] == "appt-4711-v1"


def test_the_errors_read_in_the_users_language_and_in_english_in_logs(server, client):
    server.expect_request(SEND).respond_with_json({"code": 104, "message": "Not enough credit."}, status=400)
    error = fails(lambda: client.send(sms()))
    assert error.say("fr") == "Le compte Octopush n'a plus de crédit (code Octopush 104)"
    assert error.say("en") == str(error) == "The Octopush account is out of credit (Octopush code 104)"


def test_an_unknown_refusal_quotes_octopush_after_the_users_words(server, client):
    server.expect_request(SEND).respond_with_json({"message": f"weird, key {KEY}"}, status=418)
    error = fails(lambda: client.send(sms()))
    assert error.say("fr") == "Octopush a répondu HTTP 418 : weird, key ***"
    assert str(error) == "Octopush answered HTTP 418: weird, key ***"
    assert KEY not in error.say("fr")


def test_slow_server_times_out(server):
    release = threading.Event()

    def slow(request):
        release.wait(5)
        return Response(json.dumps(SUCCESS), content_type="application/json")

    server.expect_request(SEND).respond_with_handler(slow)
    client = OctopushClient(LOGIN, KEY, base_url=server.url_for("/v1/public"), timeout=0.3)
    try:
        error = fails(lambda: client.send(sms()))
    finally:
        release.set()
    assert "did not answer within 0.3 s" in str(error) and error.retryable
    assert error.say("fr") == "Octopush n'a pas répondu dans les 0,3 s"
    for _ in range(100):                       # let the server finish both attempts before teardown
        if len(server.log) >= 2:
            break
        time.sleep(0.02)
    assert len(server.log) == 2                # one retry after a read time-out (same request_id)


def test_connection_refused():
    with socket.socket() as sock:              # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = OctopushClient(LOGIN, KEY, base_url=f"http://127.0.0.1:{port}/v1/public",
                            session=build_session(retries=0))
    error = fails(lambda: client.send(sms()))
    assert "Could not reach Octopush" in str(error) and error.retryable


def test_balance_in_euros(server, client):
    server.expect_request("/v1/public/wallet/check-balance", method="GET", query_string="") \
        .respond_with_json({"amount": 12.54, "unit": "euros"})
    balance = client.balance()
    assert (balance.amount, balance.unit, balance.details) == (12.54, "euros", [])
    assert server.log[0][0].headers["api-key"] == KEY


@pytest.mark.parametrize("pack_key", ["wallet_pack_id", "id"])
def test_balance_per_product_with_details(server, client, pack_key):
    server.expect_request("/v1/public/wallet/check-balance", method="GET",
                          query_string={"country_code": "FR", "product_name": "sms_premium",
                                        "with_details": "true"}) \
        .respond_with_json({"amount": 204, "unit": "sms_premium", "wallet_packs": [
            {pack_key: "bacf-01", "credit": 12.54,
             "expiration_date": "2030-10-23T13:41:46+02:00"}]})
    balance = client.balance(country_code="FR", product_name="sms_premium", with_details=True)
    assert (balance.amount, balance.unit) == (204.0, "sms_premium")
    assert balance.details[0]["id"] == "bacf-01" and balance.details[0]["credit"] == 12.54


def test_balance_needs_country_and_product_together(client):
    with pytest.raises(ValueError):
        client.balance(country_code="FR")


def test_cancel(server, client):
    server.expect_request("/v1/public/sms-campaign/cancel", method="DELETE",
                          json={"ticket_number": "sms_5fec89fe97109"}) \
        .respond_with_data("", status=204)
    assert client.cancel("sms_5fec89fe97109") is None
    assert server.log[0][1].status_code == 204


def test_cancel_refused(server, client):
    server.expect_request("/v1/public/sms-campaign/cancel", method="DELETE") \
        .respond_with_json({"message": "Campaign already sent"}, status=400)
    error = fails(lambda: client.cancel("sms_5fec89fe97109"))
    assert "Campaign already sent" in str(error) and error.http_status == 400


def test_personalised_send_carries_each_recipients_placeholder_values(server, client):
    """The documented publipostage: `{first_name}`, `{param1}`.. in the text, values per recipient."""
    server.expect_request(SEND, method="POST").respond_with_json(SUCCESS)
    client.send(sms(text="Bonjour {first_name}, RDV à {param1}.", recipients=(
        Recipient.merged("+33600000001", {"first_name": "Léa", "param1": "10h30"}),
        Recipient.merged("+33600000002", {"first_name": "Marc", "param2": "B"}))))
    assert bodies(server)[0]["recipients"] == [
        {"phone_number": "+33600000001", "first_name": "Léa", "param1": "10h30"},
        {"phone_number": "+33600000002", "first_name": "Marc", "param1": "", "param2": "B"}]
    assert bodies(server)[0]["text"] == "Bonjour {first_name}, RDV à {param1}."


def test_unit_price_divides_the_euro_balance_by_the_same_credit_counted_in_sms(server, client):
    server.expect_ordered_request("/v1/public/wallet/check-balance", method="GET", query_string="") \
        .respond_with_json({"amount": 12.54, "unit": "euros"})
    server.expect_ordered_request("/v1/public/wallet/check-balance", method="GET",
                                  query_string={"country_code": "FR", "product_name": "sms_premium"}) \
        .respond_with_json({"amount": 209, "unit": "sms_premium"})
    assert client.unit_price("FR") == pytest.approx(0.06)
    assert len(server.log) == 2


def test_unit_price_is_unknown_on_an_empty_account(server, client):
    server.expect_request("/v1/public/wallet/check-balance", method="GET").respond_with_json(
        {"amount": 0, "unit": "euros"})
    assert client.unit_price("FR") is None


# -- replies and callback URLs ---------------------------------------------------------------------

PARAMETERS = "/v1/public/user/campaign-parameters"
HOOK = "https://smsc.azurewebsites.net/api/providers/octopush/{}?key=hook-SECRET-77&code=fn-SECRET-88"


@pytest.mark.parametrize("with_replies", [True, False])
def test_send_asks_for_replies_only_when_the_request_does(server, client, with_replies):
    server.expect_request(SEND, method="POST").respond_with_json(SUCCESS)
    client.send(sms(with_replies=with_replies))
    assert bodies(server)[0]["with_replies"] is with_replies


def test_replies_are_off_unless_asked():
    assert sms().with_replies is False


def test_set_callbacks_patches_the_campaign_parameters(server, client):
    server.expect_ordered_request(PARAMETERS + "/edit", method="PATCH").respond_with_json({"callbacks": {}})
    client.set_callbacks(HOOK.format("delivery"), HOOK.format("inbound"), HOOK.format("inbound"))
    request, _ = server.log[0]
    assert request.headers["api-login"] == LOGIN and request.headers["api-key"] == KEY
    assert json.loads(request.get_data()) == {"callbacks": {
        "callback_url_for_deliveries": HOOK.format("delivery"),
        "callback_url_for_inbounds": HOOK.format("inbound"),
        "callback_url_for_blacklisted_numbers": HOOK.format("inbound")}}


def test_callbacks_reads_them_back(server, client):
    server.expect_ordered_request(PARAMETERS, method="GET").respond_with_json({"callbacks": {
        "callback_url_for_deliveries": HOOK.format("delivery"), "callback_url_for_inbounds": "",
        "callback_url_for_blacklisted_numbers": HOOK.format("inbound"), "email_for_inbounds": None},
        "sender_for_sms_premium": "MyShop"})
    urls = client.callbacks()
    assert (urls.deliveries, urls.inbounds, urls.opt_outs) == (HOOK.format("delivery"), None, HOOK.format("inbound"))


def test_callbacks_read_the_older_name_and_a_flat_answer(server, client):
    server.expect_ordered_request(PARAMETERS, method="GET").respond_with_json(
        {"callback_url_for_sms_deliveries": HOOK.format("delivery")})
    urls = client.callbacks()
    assert (urls.deliveries, urls.inbounds, urls.opt_outs) == (HOOK.format("delivery"), None, None)


def test_a_refused_registration_names_no_secret(server, client, caplog):
    server.expect_ordered_request(PARAMETERS + "/edit", method="PATCH").respond_with_json(
        {"code": 190, "message": f"invalid url {HOOK.format('delivery')}"}, status=400)
    with caplog.at_level("DEBUG", logger="connector.sms.octopush"):
        error = fails(lambda: client.set_callbacks(HOOK.format("delivery"), HOOK.format("inbound"),
                                                   HOOK.format("inbound")))
    assert error.http_status == 400 and "key=***&code=***" in str(error)
    assert "hook-SECRET-77" not in str(error) + caplog.text and "fn-SECRET-88" not in str(error) + caplog.text

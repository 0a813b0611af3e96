"""Octopush's callback bodies (reference/octopush.md « Callbacks ») as the core reads them."""
import json
from datetime import datetime, timezone

import pytest

from connector.sms.callbacks import CallbackKind, MalformedCallback
from connector.sms.octopush_callbacks import parse_delivery, parse_inbound

JSON = "application/json"


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


def test_the_documented_delivery_report_is_read_with_its_date_in_paris_time():
    report = parse_delivery(body(channel="sms", message_id="sms_5fa275dbf21dc", number="+33600000000",
                                 status="DELIVERED", delivery_date="2020-11-04 11:11:45", meta_data={}), JSON)
    assert (report.kind, report.ticket, report.number, report.status) == (
        CallbackKind.DELIVERY, "sms_5fa275dbf21dc", "+33600000000", "DELIVERED")
    assert report.occurred_at == datetime(2020, 11, 4, 10, 11, 45, tzinfo=timezone.utc)
    assert report.raw["channel"] == "sms"


def test_a_form_encoded_report_is_read_too():
    report = parse_delivery(b"message_id=sms_1&number=%2B33600000001&status=not_delivered",
                            "application/x-www-form-urlencoded")
    assert (report.ticket, report.number, report.status) == ("sms_1", "+33600000001", "NOT_DELIVERED")


def test_inbound_and_stop_bodies_are_told_apart_by_their_date():
    reply = parse_inbound(body(message_id="sms_1", number="+33600000001", text="Oui merci",
                               sim_card_number="+33700000000", reception_date="2026-12-01 09:00:00"), JSON)
    stop = parse_inbound(body(message_id="sms_1", number="+33600000001", text="stop",
                              stop_date="2026-12-01 09:00:00"), JSON)
    anonymous = parse_inbound(body(number="+33600000001", text="Bonjour"), JSON)
    assert (reply.kind, reply.text) == (CallbackKind.INBOUND, "Oui merci")
    assert (stop.kind, stop.text) == (CallbackKind.OPT_OUT, "stop")
    assert (anonymous.kind, anonymous.ticket) == (CallbackKind.INBOUND, None)


@pytest.mark.parametrize("raw, problem", [
    (b"", "not JSON"), (b"[1]", "JSON object"), (b"\xff", "UTF-8"),
    (body(number="+33600000001", status="DELIVERED"), "message_id"),
    (body(message_id="t", status="DELIVERED"), "number"),
    (body(message_id="t", number="0600000001", status="DELIVERED"), "E.164"),
    (body(message_id="t", number="+33600000001"), "status"),
    (body(message_id="t", number="+33600000001", status="DELIVERED", delivery_date="yesterday"), "delivery_date"),
    (body(message_id={"a": 1}, number="+33600000001", status="DELIVERED"), "message_id"),
])
def test_a_malformed_report_is_refused_naming_the_problem(raw, problem):
    with pytest.raises(MalformedCallback, match=problem) as refused:
        parse_delivery(raw, JSON)
    assert refused.value.answer_status == 400


def test_an_inbound_sms_without_text_is_refused():
    with pytest.raises(MalformedCallback, match="text"):
        parse_inbound(body(number="+33600000001"), JSON)

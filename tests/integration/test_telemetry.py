"""The trace of one unit SMS, recorded by an in-memory OpenTelemetry exporter (not Azure Monitor):
webhook → CRM reads → take → provider send → write back, findable by the correlation id, the activity id
and the provider ticket, with no secret and no full phone number in any attribute or log line."""
import json
import logging
import re
import uuid
from urllib.parse import urlsplit

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from connector import telemetry
from emulators import dataverse_seed as seed
from emulators.stack import DATAVERSE_TOKEN, OCTOPUSH_KEY
from emulators.webhook_bodies import option, remote_execution_context

SMITH = ("contact", seed.DAVID_SMITH_ID)
NUMBER = "+33649819006"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.use_tracer_provider(provider)
    yield exporter
    telemetry.reset()
    provider.shutdown()


def port(url: str) -> int:
    return urlsplit(url).port


def test_the_trace_of_a_unit_send(crm, stack, spans, caplog):
    caplog.set_level(logging.DEBUG)
    activity_id = crm.new_sms(SMITH, text="Votre colis arrive demain.")
    spans.clear()                                   # the set-up's own requests are not the story
    correlation = str(uuid.uuid4())
    body = remote_execution_context("Create", "smsc_textmessage", activity_id, user_id=seed.CLAIRE_MARTIN_ID,
                                    attributes={"smsc_status": option(2)})
    response = crm.post_event(body, headers={"x-ms-correlation-request-id": correlation})
    assert response.json()["outcome"] == "sent"

    finished = spans.get_finished_spans()
    [webhook] = [s for s in finished if s.parent is None]
    assert webhook.name == "POST /api/dataverse/events"
    ticket = crm.activity(activity_id)["smsc_providermessageid"]
    assert ticket and dict(webhook.attributes).items() >= {
        "http.request.header.x-ms-correlation-request-id": correlation, "smsc.activity_id": activity_id,
        "smsc.provider.ticket": ticket, "http.response.status_code": 200, "smsc.sms.status": "sent"}.items()

    calls = sorted((s for s in finished if s.parent is not None), key=lambda s: s.start_time)
    assert all(s.parent.span_id == webhook.context.span_id and s.context.trace_id == webhook.context.trace_id
               for s in calls)
    crm_port, sms_port = port(stack.dataverse_url), port(stack.octopush_url)
    story = [("crm" if s.attributes["server.port"] == crm_port else "provider", s.attributes["http.request.method"])
             for s in calls]
    take = story.index(("crm", "PATCH"))
    assert take > 0 and set(story[:take]) == {("crm", "GET")}               # reads, then the take
    assert story[take + 1:] == [("provider", "POST"), ("crm", "PATCH")]     # the send, then the write back
    assert calls[take + 1].attributes["server.port"] == sms_port
    assert calls[take + 1].attributes["url.path"] == "/v1/public/sms-campaign/send"
    assert calls[take].attributes["url.path"] == f"/api/data/v9.2/smsc_textmessages({activity_id})"
    crm_calls = [s for s, (who, _) in zip(calls, story) if who == "crm"]
    correlation_ids = [s.attributes["http.response.header.x-ms-correlation-request-id"] for s in crm_calls]
    assert all(UUID.match(c) for c in correlation_ids) and len(set(correlation_ids)) == len(crm_calls)
    assert all(s.attributes["http.response.status_code"] < 300 for s in calls)

    recorded = [f"{name}={value}" for s in finished for name, value in s.attributes.items()]
    recorded += [s.name for s in finished] + [r.getMessage() for r in caplog.records]
    for secret in filter(None, (stack.webhook_key, stack.form_key, OCTOPUSH_KEY, DATAVERSE_TOKEN)):
        assert not [line for line in recorded if secret in line]
    assert not [line for line in recorded if "649819006" in line]
    assert not [s for s in calls if "?" in s.attributes["url.path"]]


def test_log_lines_mask_phone_numbers(spans, caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("smsc.test").info("sent to %s and to 06 49 81 90 07", NUMBER)
    assert caplog.records[-1].getMessage() == "sent to +33 6•• •• •• 06 and to 06•• •• •• 07"


def test_a_failing_send_is_in_the_trace_with_its_status(crm, stack, spans):
    activity_id = crm.new_sms(SMITH, text="Bonjour")
    stack.octopush.faults.add(500, times=5)
    assert crm.webhook(activity_id).json()["outcome"] == "failed"
    provider = [s for s in spans.get_finished_spans() if s.attributes.get("server.port") == port(stack.octopush_url)]
    assert provider and provider[-1].attributes["http.response.status_code"] == 500


def test_a_timer_run_is_a_trace_of_its_own(stack, spans):
    from azure.functions.timer import TimerRequest
    from functions.local_host import registered_functions

    [timer] = [f for f in registered_functions() if f.get_function_name() == "resume_interrupted_sends"]
    timer.get_user_function()(TimerRequest(past_due=False))
    finished = spans.get_finished_spans()
    [run] = [s for s in finished if s.parent is None]
    assert run.name == "timer resume_interrupted_sends"
    assert [s for s in finished if s.parent is not None]         # its Dataverse query, a child span


def test_a_queued_campaign_action_is_a_trace_carrying_the_campaign_id(stack, spans):
    from azure.functions.queue import QueueMessage

    from functions.campaign_queue import run_campaign_action

    message = {"campaignid": seed.CAMPAIGN_ORDERS_ID, "action": 1, "userid": seed.CLAIRE_MARTIN_ID, "operationid": "op"}
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_action": 1})
    run_campaign_action.build().get_user_function()(QueueMessage(id="m-1", body=json.dumps(message).encode(),
                                                                 dequeue_count=1))
    finished = spans.get_finished_spans()
    [run] = [s for s in finished if s.parent is None]
    assert run.name == "queue smsc-campaign-actions"
    assert dict(run.attributes) == {"messaging.message.id": "m-1", "messaging.delivery_count": 1,
                                    "smsc.campaign_id": seed.CAMPAIGN_ORDERS_ID}
    children = [s for s in finished if s.parent is not None]
    assert children and all(s.context.trace_id == run.context.trace_id for s in children)
    assert not [s for s in children if "649819006" in json.dumps(dict(s.attributes), ensure_ascii=False)]


def test_a_route_span_keeps_the_path_never_the_query_with_its_keys(stack, spans):
    import azure.functions as func

    from functions.http import guarded, json_response

    url = f"https://func-smsc.azurewebsites.net/api/providers/octopush/delivery?code=fnkey123&key={stack.webhook_key}"
    request = func.HttpRequest("POST", url, body=b"{}", headers={"x-ms-correlation-request-id": "c-1",
                                                                   "x-smsc-webhook-key": stack.webhook_key})
    assert guarded(request, lambda req, services: json_response({"ok": True}), need_key=False).status_code == 200
    [span] = spans.get_finished_spans()
    assert span.name == "POST /api/providers/octopush/delivery"
    assert dict(span.attributes) == {"http.request.method": "POST", "url.path": "/api/providers/octopush/delivery",
                                     "http.request.header.x-ms-correlation-request-id": "c-1",
                                     "http.response.status_code": 200}

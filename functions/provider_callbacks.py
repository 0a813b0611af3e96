"""POST /api/providers/{provider}/delivery and /inbound — the SMS provider's callbacks (DESIGN §6),
and the queue trigger that applies them.

The provider waits about a second and cannot send custom headers: the route checks SMSC_WEBHOOK_KEY
in the `key` query parameter (Keys.PROVIDER; hence no function key, anonymous at the host), parses
the body (400, nothing written, when it cannot), records it as received (the raw body, never the
key), queues its id and answers 200. The queue trigger applies it (connector.loopback). When
Dataverse cannot take the record (down, throttled), the callback itself goes on the queue and the
answer is 202: the queue step records it once Dataverse is back (the provider is never told 5xx
for a callback we hold, and does not retry anyway).
"""
import json
import logging
from functools import partial

import azure.functions as func

from connector.telemetry import queue_message_attributes, traced
from connector.crm.port import CrmError
from connector.sms.callbacks import callback_message
from functions.http import CRM_TRANSIENT, Keys, guarded, json_response

bp = func.Blueprint()
log = logging.getLogger(__name__)
PROVIDER_EVENTS_QUEUE = "smsc-provider-events"


@bp.route(route="providers/{provider}/delivery", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.queue_output(arg_name="provider_events", queue_name=PROVIDER_EVENTS_QUEUE, connection="AzureWebJobsStorage")
def provider_delivery(req: func.HttpRequest, provider_events: func.Out[str]) -> func.HttpResponse:
    return guarded(req, partial(_record, kind="delivery", queue=provider_events), keys=Keys.PROVIDER)


@bp.route(route="providers/{provider}/inbound", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.queue_output(arg_name="provider_events", queue_name=PROVIDER_EVENTS_QUEUE, connection="AzureWebJobsStorage")
def provider_inbound(req: func.HttpRequest, provider_events: func.Out[str]) -> func.HttpResponse:
    return guarded(req, partial(_record, kind="inbound", queue=provider_events), keys=Keys.PROVIDER)


def _record(req: func.HttpRequest, services, *, kind: str, queue: func.Out[str]) -> func.HttpResponse:
    from connector.bootstrap import callback_parser, provider_events
    from connector.clock import utcnow

    parser = callback_parser(req.route_params.get("provider", ""))       # NotFound: 404 naming it
    parse = parser.delivery if kind == "delivery" else parser.inbound
    callback = parse(req.get_body(), req.headers.get("content-type") or "")   # MalformedCallback: 400
    received_on = utcnow()
    try:
        event_id = provider_events(services.crm).record(callback, received_on)
    except CrmError as error:
        if error.status not in CRM_TRANSIENT:
            raise
        queue.set(json.dumps({"callbacks": [{**callback_message(callback), "received_on": received_on.isoformat()}]}))
        return json_response({"received": "queued"}, 202)
    queue.set(json.dumps({"events": [event_id]}))
    return json_response({"received": event_id})


@bp.route(route="providers/acs/events", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.queue_output(arg_name="provider_events", queue_name=PROVIDER_EVENTS_QUEUE, connection="AzureWebJobsStorage")
def acs_events(req: func.HttpRequest, provider_events: func.Out[str]) -> func.HttpResponse:
    """Azure Communication Services' Event Grid subscription (key in the URL as above): the validation
    handshake answered with its code; delivery reports and inbound SMS recorded and queued."""
    return guarded(req, partial(_record_events, queue=provider_events), keys=Keys.PROVIDER)


def _record_events(req: func.HttpRequest, services, *, queue: func.Out[str]) -> func.HttpResponse:
    from connector.bootstrap import provider_events
    from connector.clock import utcnow
    from connector.sms.acs_events import parse_events

    batch = parse_events(req.get_body())                  # MalformedCallback: 400 (Event Grid drops it)
    if batch.validation_code is not None:
        return json_response({"validationResponse": batch.validation_code})
    received_on, events = utcnow(), provider_events(services.crm)
    try:
        # An event delivered again (at least once) is recorded once and answers its first id: queued once.
        event_ids = list(dict.fromkeys(events.record(callback, received_on) for callback in batch.callbacks))
    except CrmError as error:
        if error.status not in CRM_TRANSIENT:
            raise
        queue.set(json.dumps({"callbacks": [{**callback_message(c), "received_on": received_on.isoformat()}
                                            for c in batch.callbacks]}))
        return json_response({"received": "queued"}, 202)
    if event_ids:
        queue.set(json.dumps({"events": event_ids}))
    return json_response({"received": event_ids, "ignored": batch.ignored})


@bp.queue_trigger(arg_name="msg", queue_name=PROVIDER_EVENTS_QUEUE, connection="AzureWebJobsStorage")
@traced(f"queue {PROVIDER_EVENTS_QUEUE}", queue_message_attributes)
def apply_provider_events(msg: func.QueueMessage) -> None:
    from connector.bootstrap import get_background_services, provider_events
    from connector.loopback import record_held
    from dispatch.provider_events import apply_provider_events

    message = json.loads(msg.get_body())
    services = get_background_services()
    held = record_held(message.get("callbacks", []), provider_events(services.crm))
    event_ids = [str(i) for i in message.get("events", [])] + held
    result = apply_provider_events(event_ids, services.crm, services.sms)
    log.info("provider events: %s", result.summary())


"""POST /api/providers/{provider}/delivery and /inbound — the SMS provider's callbacks (DESIGN §6),
and the queue trigger that applies them.

The provider waits about a second and cannot send custom headers: the route checks SMSC_WEBHOOK_KEY
in the `key` query parameter (Keys.PROVIDER; hence no function key, anonymous at the host), parses
the body (400, nothing written, when it cannot), records it as received (the raw body, never the
key), queues its id and answers 200. The queue trigger applies it (connector.loopback).
"""
import json
import logging
from functools import partial

import azure.functions as func

from functions.http import Keys, guarded, json_response

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
    event_id = provider_events(services.crm).record(callback, utcnow())
    queue.set(json.dumps({"events": [event_id]}))
    return json_response({"received": event_id})


@bp.queue_trigger(arg_name="msg", queue_name=PROVIDER_EVENTS_QUEUE, connection="AzureWebJobsStorage")
def apply_provider_events(msg: func.QueueMessage) -> None:
    from connector.bootstrap import get_services
    from dispatch.provider_events import apply_provider_events

    event_ids = [str(i) for i in json.loads(msg.get_body()).get("events", [])]
    services = get_services()
    result = apply_provider_events(event_ids, services.crm, services.sms)
    log.info("provider events: %s", result.summary())

"""POST /api/dataverse/events — the Dataverse webhook (service endpoint) calls this."""
import json

import azure.functions as func

from connector.repositories.work_queue import CAMPAIGN_ACTIONS
from functions.http import Keys, guarded, json_response

bp = func.Blueprint()


CAMPAIGN_QUEUE = CAMPAIGN_ACTIONS


@bp.route(route="dataverse/events", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@bp.queue_output(arg_name="campaign_queue", queue_name=CAMPAIGN_QUEUE, connection="AzureWebJobsStorage")
def dataverse_events(req: func.HttpRequest, campaign_queue: func.Out[str]) -> func.HttpResponse:
    return guarded(req, lambda request, services: _handle(request, services, campaign_queue), keys=Keys.WEBHOOK)


def _handle(req: func.HttpRequest, services, campaign_queue: func.Out[str]) -> func.HttpResponse:
    from dispatch.events import handle_event, parse_event

    headers = {k.lower(): v for k, v in req.headers.items()}
    context = parse_event(req.get_body(), headers)     # BadEvent: answered 400 by `guarded`
    result = handle_event(context, headers, services.crm, services.sms)
    if result.queued:      # long work: answered at once, continued by the campaign queue
        campaign_queue.set(json.dumps(result.queued))
        return json_response({"handled": result.handled, **result.detail}, 202)
    return json_response({"handled": result.handled, **result.detail})

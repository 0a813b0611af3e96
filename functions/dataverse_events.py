"""POST /api/dataverse/events — the Dataverse webhook (service endpoint) calls this."""
import azure.functions as func

from functions.http import error_response, guarded, json_response

bp = func.Blueprint()


@bp.route(route="dataverse/events", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def dataverse_events(req: func.HttpRequest) -> func.HttpResponse:
    return guarded(req, _handle)


def _handle(req: func.HttpRequest, services) -> func.HttpResponse:
    from connector.events import BadEvent, handle_event, parse_event

    headers = {k.lower(): v for k, v in req.headers.items()}
    try:
        context = parse_event(req.get_body(), headers)
    except BadEvent as error:
        return error_response(400, error.code, str(error))
    result = handle_event(context, headers, services.crm, services.sms)
    return json_response({"handled": result.handled, **result.detail})

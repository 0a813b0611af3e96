"""Routes the CRM form scripts call: POST /api/textmessages/preview."""
import azure.functions as func

from functions.http import Keys, error_response, guarded, json_body, json_response

bp = func.Blueprint()


@bp.route(route="textmessages/preview", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def textmessage_preview(req: func.HttpRequest) -> func.HttpResponse:
    return guarded(req, _preview, keys=Keys.WEBHOOK_OR_FORM)


def _preview(req: func.HttpRequest, services) -> func.HttpResponse:
    """Refusals (SmsRejected, TemplateError: 422) and missing rows (404) are answered by `guarded`."""
    from pydantic import ValidationError

    from connector.bootstrap import preview_service
    from connector.preview import PreviewRequest

    try:
        request = PreviewRequest.model_validate(json_body(req))
    except ValidationError as error:
        return error_response(400, "invalid_request", "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()))
    return json_response(preview_service(services.crm, services.sms).preview(request))

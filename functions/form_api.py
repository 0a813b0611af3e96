"""Routes the CRM form scripts call: POST /api/textmessages/preview."""
import azure.functions as func

from functions.http import error_response, guarded, json_body, json_response

bp = func.Blueprint()


@bp.route(route="textmessages/preview", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def textmessage_preview(req: func.HttpRequest) -> func.HttpResponse:
    return guarded(req, _preview)


def _preview(req: func.HttpRequest, services) -> func.HttpResponse:
    from pydantic import ValidationError

    from connector.bootstrap import preview_service
    from connector.preview import PreviewRequest
    from connector.recipients import RecipientError
    from connector.send_policy import SmsRejected
    from connector.text.templates import TemplateError

    try:
        request = PreviewRequest.model_validate(json_body(req))
    except ValidationError as error:
        return error_response(400, "invalid_request", "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()))
    except ValueError as error:
        return error_response(400, "malformed_json", str(error))
    try:
        return json_response(preview_service(services.crm).preview(request))
    except (SmsRejected, RecipientError, TemplateError) as error:
        return error_response(422, "cannot_preview", str(error))

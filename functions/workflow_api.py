"""Routes of the workflow editor: POST /api/workflows/validate, POST /api/workflows/dry-run."""
import azure.functions as func

from functions.http import error_response, guarded, json_response

bp = func.Blueprint()


@bp.route(route="workflows/validate", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def workflows_validate(req: func.HttpRequest) -> func.HttpResponse:
    return guarded(req, _validate)


@bp.route(route="workflows/dry-run", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def workflows_dry_run(req: func.HttpRequest) -> func.HttpResponse:
    return guarded(req, _dry_run)


def _validate(req: func.HttpRequest, services) -> func.HttpResponse:
    from connector.bootstrap import table_definitions
    from workflows.admin import BadRequest, validate_request

    try:
        return json_response(validate_request(req.get_body(), req.headers.get("content-type"),
                                              table_definitions(services.crm)))
    except BadRequest as error:
        return error_response(400, error.code, str(error))


def _dry_run(req: func.HttpRequest, services) -> func.HttpResponse:
    from connector.bootstrap import workflow_repositories
    from connector.crm.port import RecordNotFound
    from workflows.admin import BadRequest, dry_run_request

    try:
        return json_response(dry_run_request(workflow_repositories(services.crm), req.get_body()))
    except BadRequest as error:
        return error_response(400, error.code, str(error))
    except RecordNotFound as error:
        return error_response(404, "record_not_found", error.message)

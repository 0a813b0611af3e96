"""Routes of the workflow editor: POST /api/workflows/validate, POST /api/workflows/dry-run."""
import azure.functions as func

from functions.http import Keys, guarded, json_response

bp = func.Blueprint()


@bp.route(route="workflows/validate", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def workflows_validate(req: func.HttpRequest) -> func.HttpResponse:
    return guarded(req, _validate, keys=Keys.WEBHOOK_OR_FORM)


@bp.route(route="workflows/dry-run", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def workflows_dry_run(req: func.HttpRequest) -> func.HttpResponse:
    return guarded(req, _dry_run, keys=Keys.WEBHOOK_OR_FORM)


# A body that cannot be read (BadRequest, 400) and a record that does not exist (404) are answered
# by `guarded`, like every error.

def _validate(req: func.HttpRequest, services) -> func.HttpResponse:
    from connector.bootstrap import table_definitions
    from workflows.admin import validate_request

    return json_response(validate_request(req.get_body(), req.headers.get("content-type"),
                                          table_definitions(services.crm)))


def _dry_run(req: func.HttpRequest, services) -> func.HttpResponse:
    from connector.bootstrap import workflow_repositories
    from workflows.admin import dry_run_request

    return json_response(dry_run_request(workflow_repositories(services.crm), req.get_body()))

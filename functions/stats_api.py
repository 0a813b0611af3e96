"""GET /api/stats?from=YYYY-MM-DD&to=YYYY-MM-DD&by=user|template|campaign|type|day|week|month&lang=fr|en:
the SMS statistics of a period (connector.statistics) for dashboards; the webhook or the form key."""
import azure.functions as func

from functions.http import Keys, guarded, json_response, language_param

bp = func.Blueprint()


@bp.route(route="stats", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def stats(req: func.HttpRequest) -> func.HttpResponse:
    return guarded(req, _stats, keys=Keys.WEBHOOK_OR_FORM)


def _stats(req: func.HttpRequest, services) -> func.HttpResponse:
    from connector.bootstrap import statistics
    from connector.crm.users import DataverseUsers
    from connector.statistics import by_of, period_of

    by = by_of(req.params.get("by"))
    lang = language_param(req)
    service = statistics(services.crm)
    period = period_of(req.params.get("from"), req.params.get("to"), service.today)   # the CRM user's today
    lang = lang or DataverseUsers(services.crm).acting_format().language
    return json_response(service.view(period, by, lang))

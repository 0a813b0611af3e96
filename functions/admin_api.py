"""Routes for the configuration page and operations: GET /api/credit, GET /api/health,
GET /api/quotas/consumption."""
import azure.functions as func

from functions.http import Keys, error_response, guarded, json_response, language_param

bp = func.Blueprint()


@bp.route(route="credit", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def credit(req: func.HttpRequest) -> func.HttpResponse:
    return guarded(req, _credit, keys=Keys.WEBHOOK_OR_FORM)


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def health(req: func.HttpRequest) -> func.HttpResponse:
    # Liveness probes carry the function key only; the answer holds no data worth a second key.
    return guarded(req, _health, need_key=False)


@bp.route(route="quotas/consumption", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def quota_consumption(req: func.HttpRequest) -> func.HttpResponse:
    return guarded(req, _quota_consumption, keys=Keys.WEBHOOK_OR_FORM)


def _quota_consumption(req: func.HttpRequest, services) -> func.HttpResponse:
    from connector.bootstrap import quota_consumption

    return json_response(quota_consumption(services.crm))


def _credit(req: func.HttpRequest, services) -> func.HttpResponse:
    """`?country=BE,CH`: the SMS left to those countries too (the default country's always). A provider
    that tells no balance (its capabilities: smsmode, ACS) is answered 200 with `balance: null` and why,
    in `?lang=fr|en` (default: the language of the user the app runs as)."""
    from connector.bootstrap import credit_report
    from connector.crm.users import DataverseUsers
    from connector.sms.port import ProviderError
    from connector.user_texts import say

    countries = [c.strip() for c in (req.params.get("country") or "").split(",") if c.strip()]
    if any(len(c) != 2 or not c.isalpha() for c in countries):
        return error_response(400, "invalid_request", "country: ISO codes of two letters, separated by commas")
    lang = language_param(req)
    provider = services.sms
    if not provider.capabilities.balance:
        lang = lang or DataverseUsers(services.crm).acting_format().language
        return json_response({"provider": provider.name, "label": provider.label, "balance": None, "amount": None,
                              "reason": say(lang, "credit_no_balance", provider=provider.label)})
    try:
        report = credit_report(services.crm, services.sms, countries)
    except ProviderError as error:
        return error_response(502, "provider_error", f"{services.sms.name}: {error}")
    return json_response({"provider": services.sms.name, **report})


def _health(req: func.HttpRequest, services) -> func.HttpResponse:
    from connector.bootstrap import health_probes
    from connector.health import check_health

    report = check_health(health_probes(services))
    return json_response(report, 200 if report["status"] == "ok" else 503)

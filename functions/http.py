"""What every HTTP trigger shares: the shared-key check, JSON answers, the error shape (DESIGN §6)."""
from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable

import azure.functions as func

log = logging.getLogger(__name__)
KEY_HEADER = "x-smsc-webhook-key"


def json_response(body: dict, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body, ensure_ascii=False), status_code=status,
                             mimetype="application/json", charset="utf-8")


def error_response(status: int, code: str, message: str) -> func.HttpResponse:
    return json_response({"error": {"code": code, "message": message}}, status)


def key_matches(req: func.HttpRequest, expected: str) -> bool:
    """Constant-time comparison, so the key cannot be guessed from answer times."""
    given = req.headers.get(KEY_HEADER) or ""
    return hmac.compare_digest(given.encode(), expected.encode())


def guarded(req: func.HttpRequest, handler: Callable[[func.HttpRequest, object], func.HttpResponse],
            *, need_key: bool = True) -> func.HttpResponse:
    """Loads the services, checks the shared key, and turns failures into clear JSON errors."""
    from connector.bootstrap import get_services      # deferred: keeps cold-start imports light
    from connector.crm.port import CrmError
    from connector.settings import SettingsError

    try:
        services = get_services()
    except SettingsError as error:
        log.error("%s", error)
        return error_response(500, "configuration", str(error))
    if need_key and not key_matches(req, services.settings.smsc_webhook_key.get_secret_value()):
        missing = not req.headers.get(KEY_HEADER)
        return error_response(401, "unauthenticated",
                              f"the {KEY_HEADER} header is {'missing' if missing else 'wrong'}")
    try:
        return handler(req, services)
    except CrmError as error:
        # 503 makes Dataverse retry a webhook once; the CRM was not available to us
        # (status 0: no answer at all, a connection failure or a time-out).
        status = 503 if error.status in (0, 429, 500, 502, 503, 504) else 502
        log.warning("Dataverse error: %s", error)
        return error_response(status, "crm_unavailable" if status == 503 else "crm_error", str(error))


def json_body(req: func.HttpRequest) -> object:
    """The parsed JSON body; raises ValueError with a message naming the problem."""
    try:
        return json.loads(req.get_body() or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"the body is not valid JSON: {error}") from None

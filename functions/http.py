"""What every HTTP trigger shares: the shared-key check, JSON answers, the error shape (DESIGN §6).

`guarded` is the one place where errors become HTTP answers: any `SmscError` answers its own
status and `{"error": {"code", "message"}}`; anything else is a bug, logged, and answered 500
`internal` without details (no traceback, no secret reaches the caller).
"""
from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

import azure.functions as func

from connector.errors import NotFound, SmscError

log = logging.getLogger(__name__)
KEY_HEADER = "x-smsc-webhook-key"
# Dataverse retries a webhook once on these statuses of its own: answering 503 asks for that retry.
CRM_TRANSIENT = (0, 429, 500, 502, 503, 504)


def language_param(req: func.HttpRequest) -> str | None:
    """`?lang=fr|en`, None when absent; BadInput (400) naming a language we do not speak."""
    from connector.errors import BadInput
    from connector.user_texts import LANGUAGES

    lang = req.params.get("lang")
    if lang is not None and lang not in LANGUAGES:
        raise BadInput(f"lang must be fr or en, not {lang[:20]!r}")
    return lang


def json_response(body: dict, status: int = 200) -> func.HttpResponse:
    text = json.dumps(body, ensure_ascii=False)
    try:
        payload = text.encode("utf-8")
    except UnicodeEncodeError:      # a lone surrogate echoed from the input: escape it instead
        payload = json.dumps(body, ensure_ascii=True).encode("ascii")
    return func.HttpResponse(payload, status_code=status, mimetype="application/json", charset="utf-8")


def error_response(status: int, code: str, message: str) -> func.HttpResponse:
    return json_response({"error": {"code": code, "message": message}}, status)


def error_answer(error: SmscError) -> func.HttpResponse:
    """The answer for one of our errors. Dataverse errors keep their own rule: 503 when Dataverse
    was unavailable (status 0: no answer at all, a time-out), so that a webhook is retried."""
    from connector.crm.port import CrmError

    status, code = error.answer_status, error.error_code
    if isinstance(error, CrmError) and not isinstance(error, NotFound):
        status = 503 if error.status in CRM_TRANSIENT else 502
        code = "crm_unavailable" if status == 503 else "crm_error"
    if status >= 500:
        log.warning("%s (%s): %s", code, status, error)
    return error_response(status, code, str(error))


class Keys(Enum):
    """Which keys a route accepts in the x-smsc-webhook-key header."""
    WEBHOOK = "webhook"                 # SMSC_WEBHOOK_KEY only: the Dataverse webhook (/api/dataverse/events)
    WEBHOOK_OR_FORM = "webhook or form"  # also SMSC_FORM_KEY, the key the CRM pages hold (readable by any user)
    # SMSC_WEBHOOK_KEY in the `key` query parameter (DESIGN §5: providers cannot send custom headers),
    # or in the header: the provider callbacks (/api/providers/...).
    PROVIDER = "provider"


KEY_PARAMETER = "key"


def given_key(req: func.HttpRequest, keys: Keys = Keys.WEBHOOK) -> str:
    """The key the request carries where `keys` looks: the header, and for PROVIDER the query parameter."""
    if keys is Keys.PROVIDER and req.params.get(KEY_PARAMETER):
        return req.params[KEY_PARAMETER]
    return req.headers.get(KEY_HEADER) or ""


def key_matches(req: func.HttpRequest, expected: str, keys: Keys = Keys.WEBHOOK) -> bool:
    """Constant-time comparison, so the key cannot be guessed from answer times."""
    return hmac.compare_digest(given_key(req, keys).encode(), expected.encode())


def accepted_key(req: func.HttpRequest, settings: Any, keys: Keys) -> bool:
    """Whether the header holds one of the keys `keys` names. Every candidate is compared (no early
    exit), so the answer time does not tell which key came close."""
    candidates = [settings.smsc_webhook_key.get_secret_value()]
    if keys is Keys.WEBHOOK_OR_FORM and settings.smsc_form_key is not None:
        candidates.append(settings.smsc_form_key.get_secret_value())
    matches = [key_matches(req, candidate, keys) for candidate in candidates]
    return any(matches)


def guarded(req: func.HttpRequest, handler: Callable[[func.HttpRequest, Any], func.HttpResponse],
            *, need_key: bool = True, keys: Keys = Keys.WEBHOOK) -> func.HttpResponse:
    """The call in one span (a trace per webhook call or route: a no-op when telemetry is off)."""
    from connector import telemetry

    path, correlation = urlsplit(req.url).path, telemetry.CORRELATION_HEADER
    with telemetry.span(f"{req.method} {path}", **{
            "http.request.method": req.method, "url.path": path,
            f"http.request.header.{correlation}": req.headers.get(correlation)}) as span:
        response = _guarded(req, handler, need_key=need_key, keys=keys)
        span.set(**{"http.response.status_code": response.status_code})
        return response


def _guarded(req: func.HttpRequest, handler: Callable[[func.HttpRequest, Any], func.HttpResponse],
             *, need_key: bool, keys: Keys) -> func.HttpResponse:
    """Loads the services, checks the shared key (`keys`: which ones the route accepts; the webhook key
    only unless told), and turns failures into clear JSON errors."""
    from connector.bootstrap import get_services      # deferred: keeps cold-start imports light

    try:
        services = get_services()
        if need_key and not accepted_key(req, services.settings, keys):
            missing = not given_key(req, keys)
            where = (f"the '{KEY_PARAMETER}' query parameter (or the {KEY_HEADER} header)"
                     if keys is Keys.PROVIDER else f"the {KEY_HEADER} header")
            return error_response(401, "unauthenticated", f"{where} is {'missing' if missing else 'wrong'}")
        return handler(req, services)
    except SmscError as error:
        return error_answer(error)
    except Exception:       # a bug: logged with its traceback, never shown
        log.exception("unexpected error in %s", req.url.split("?")[0])    # the query may hold a key
        return error_response(500, "internal", "internal error; the details are in the function's log")


def json_body(req: func.HttpRequest) -> object:
    """The parsed JSON body; raises BadInput (400 `malformed_json`) naming the problem."""
    from connector.safe_json import parse_json

    return parse_json(req.get_body())

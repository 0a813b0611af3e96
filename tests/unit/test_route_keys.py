"""Which key each HTTP route takes (functions.http.guarded `keys=`): the webhook route only SMSC_WEBHOOK_KEY,
the form and admin routes SMSC_WEBHOOK_KEY or SMSC_FORM_KEY (the key every CRM user can read)."""
import inspect
import json
import re
from types import SimpleNamespace

import azure.functions as func
import pytest
from pydantic import SecretStr

from connector import bootstrap
from functions import admin_api, dataverse_events, form_api, provider_callbacks, workflow_api
from functions.http import KEY_HEADER, KEY_PARAMETER, Keys, guarded

WEBHOOK_KEY, FORM_KEY = "w" * 24, "f" * 24


def _services(monkeypatch, form_key: str | None):
    settings = SimpleNamespace(smsc_webhook_key=SecretStr(WEBHOOK_KEY),
                               smsc_form_key=SecretStr(form_key) if form_key else None)
    monkeypatch.setattr(bootstrap, "get_services", lambda: SimpleNamespace(settings=settings))


def _status(keys: Keys, given: str | None, in_query: str | None = None) -> int:
    headers = {KEY_HEADER: given} if given is not None else {}
    params = {KEY_PARAMETER: in_query} if in_query is not None else {}
    request = func.HttpRequest("POST", "http://localhost/api/x", body=b"", headers=headers, params=params)
    return guarded(request, lambda req, services: func.HttpResponse("ok"), keys=keys).status_code


@pytest.mark.parametrize("keys, given, status", [
    (Keys.WEBHOOK, WEBHOOK_KEY, 200),
    (Keys.WEBHOOK, FORM_KEY, 401),
    (Keys.WEBHOOK, None, 401),
    (Keys.WEBHOOK_OR_FORM, WEBHOOK_KEY, 200),
    (Keys.WEBHOOK_OR_FORM, FORM_KEY, 200),
    (Keys.WEBHOOK_OR_FORM, FORM_KEY[:-1], 401),
    (Keys.WEBHOOK_OR_FORM, "", 401),
])
def test_each_route_kind_takes_its_keys(monkeypatch, keys, given, status):
    _services(monkeypatch, FORM_KEY)
    assert _status(keys, given) == status


@pytest.mark.parametrize("header, query, status", [
    (None, WEBHOOK_KEY, 200),          # providers cannot send headers: the key rides in the URL
    (WEBHOOK_KEY, None, 200),          # a header is accepted too, never required
    (None, FORM_KEY, 401),             # the key every CRM user can read never authenticates a provider
    (None, WEBHOOK_KEY[:-1], 401),
    (None, None, 401),
    (FORM_KEY, None, 401),
])
def test_provider_callbacks_take_the_webhook_key_in_the_query_or_the_header(monkeypatch, header, query, status):
    _services(monkeypatch, FORM_KEY)
    assert _status(Keys.PROVIDER, header, query) == status


def test_other_routes_ignore_a_key_in_the_query(monkeypatch):
    _services(monkeypatch, FORM_KEY)
    assert _status(Keys.WEBHOOK, None, WEBHOOK_KEY) == 401 and _status(Keys.WEBHOOK_OR_FORM, None, WEBHOOK_KEY) == 401


def test_without_a_form_key_the_form_routes_take_only_the_webhook_key(monkeypatch):
    _services(monkeypatch, None)
    assert _status(Keys.WEBHOOK_OR_FORM, WEBHOOK_KEY) == 200
    assert _status(Keys.WEBHOOK_OR_FORM, FORM_KEY) == 401
    assert _status(Keys.WEBHOOK_OR_FORM, "") == 401


def test_the_default_is_the_webhook_key_only(monkeypatch):
    _services(monkeypatch, FORM_KEY)
    request = func.HttpRequest("POST", "http://localhost/api/x", body=b"", headers={KEY_HEADER: FORM_KEY})
    answer = guarded(request, lambda req, services: func.HttpResponse("ok"))
    assert answer.status_code == 401 and json.loads(answer.get_body())["error"]["code"] == "unauthenticated"


def test_every_keyed_route_names_its_keys_and_only_the_webhook_route_takes_the_webhook_key_alone():
    """A source check: a new route must choose, and the form key never reaches /api/dataverse/events."""
    calls = {}
    for module in (dataverse_events, form_api, admin_api, workflow_api, provider_callbacks):
        for line in inspect.getsource(module).splitlines():
            if "return guarded(" in line and "need_key=False" not in line:
                calls.setdefault(module.__name__, []).append(re.search(r"keys=Keys\.(\w+)\)$", line.strip())[1])
    assert calls == {"functions.dataverse_events": ["WEBHOOK"], "functions.form_api": ["WEBHOOK_OR_FORM"],
                     "functions.admin_api": ["WEBHOOK_OR_FORM", "WEBHOOK_OR_FORM"],
                     "functions.workflow_api": ["WEBHOOK_OR_FORM", "WEBHOOK_OR_FORM"],
                     "functions.provider_callbacks": ["PROVIDER", "PROVIDER", "PROVIDER"]}

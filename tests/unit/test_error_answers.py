"""One error path: every error a user can meet answers its own status and a JSON body (HTTP), or
one line and exit 2 (CLI); no traceback and no detail of a bug reaches the user."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import azure.functions as func
import pytest
from pydantic import SecretStr

from connector import bootstrap
from connector.campaigns.model import CampaignError
from connector.send_policy import SmsRejected
from connector.crm.auth import AuthenticationError
from connector.crm.port import ConcurrencyConflict, CrmError, RecordNotFound
from connector.errors import BadInput, ConfigurationError, SmscError, UpstreamError
from connector.settings import SettingsError
from connector.sms.port import ProviderError
from connector.text.templates import TemplateError
from dispatch.events import BadEvent
from functions.http import KEY_HEADER, guarded
from smsc.cli import main
from workflows.admin import BadRequest

KEY = "k" * 24


@pytest.fixture
def services(monkeypatch):
    fake = SimpleNamespace(settings=SimpleNamespace(smsc_webhook_key=SecretStr(KEY)), crm=None, sms=None)
    monkeypatch.setattr(bootstrap, "get_services", lambda: fake)
    return fake


def answer(raised: BaseException) -> tuple[int, dict]:
    def handler(req, services):
        raise raised
    request = func.HttpRequest("POST", "http://localhost/api/x", body=b"", headers={KEY_HEADER: KEY})
    response = guarded(request, handler)
    return response.status_code, json.loads(response.get_body())


@pytest.mark.parametrize("raised, status, code", [
    (AuthenticationError("ConnectionError", "refused", transient=True), 503, "authentication_unavailable"),
    (AuthenticationError("temporarily_unavailable", "AADSTS50196"), 503, "authentication_unavailable"),
    (AuthenticationError("invalid_client", "AADSTS7000215: Invalid client secret"), 502, "authentication_failed"),
    (AuthenticationError("token_expired", "the static access token has expired", answer_status=500), 500,
     "authentication_failed"),
    (CrmError(503, "", "Service Unavailable"), 503, "crm_unavailable"),
    (CrmError(0, "", "connection refused"), 503, "crm_unavailable"),
    (CrmError(400, "0x80060888", "Could not find a property"), 502, "crm_error"),
    (ConcurrencyConflict(412, "", "etag"), 502, "crm_error"),
    (RecordNotFound(404, "0x80040217", "contact With Id = x Does Not Exist"), 404, "not_found"),
    (BadInput("the body is empty"), 400, "bad_input"),
    (BadEvent("missing_target", "no Target"), 400, "missing_target"),
    (BadRequest("malformed_json", "not JSON"), 400, "malformed_json"),
    (TemplateError("line 1: unknown filter"), 422, "template_error"),
    (SmsRejected("empty"), 422, "sms_refused"),
    (CampaignError("no_text"), 409, "campaign_refused"),
    (ProviderError("Octopush rejected the API key", code=102, http_status=401), 502, "provider_error"),
    (SettingsError("Invalid settings: DATAVERSE_URL: Field required"), 500, "configuration"),
])
def test_every_error_of_ours_answers_its_status_and_a_json_body(services, raised, status, code):
    got_status, body = answer(raised)
    assert (got_status, body["error"]["code"]) == (status, code)
    assert body["error"]["message"]


def test_a_bug_answers_500_internal_without_its_details(services, caplog):
    status, body = answer(KeyError("secret-detail-123"))
    assert status == 500 and body["error"]["code"] == "internal"
    assert "secret-detail-123" not in json.dumps(body)
    assert "secret-detail-123" in caplog.text          # but the log has it, with the traceback


def test_configuration_errors_while_building_the_services_answer_json(monkeypatch):
    def broken():
        raise SettingsError("AZURE_CLIENT_CERTIFICATE_PATH: cannot read /nonexistent.pem")
    monkeypatch.setattr(bootstrap, "get_services", broken)
    status, body = answer(RuntimeError("never reached"))
    assert status == 500 and body["error"]["code"] == "configuration"
    assert "AZURE_CLIENT_CERTIFICATE_PATH" in body["error"]["message"]


def test_every_user_facing_error_derives_from_the_one_base():
    for error in (SettingsError, AuthenticationError, ProviderError, TemplateError, BadEvent, BadRequest,
                  SmsRejected, CampaignError, CrmError):
        assert issubclass(error, SmscError), error
    assert issubclass(ProviderError, UpstreamError) and issubclass(SettingsError, ConfigurationError)
    refused = ProviderError("busy", code=None, http_status=503, retryable=True)
    assert (refused.code, refused.http_status, refused.retryable) == (None, 503, True)


# --- the CLI -----------------------------------------------------------------------------------------

def test_cli_unreadable_definition_files_give_one_line_and_exit_2(tmp_path, capsys):
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("name: Café\n".encode("latin-1"))
    for path, words in ((tmp_path / "nope.yaml", "cannot read: No such file"), (latin1, "not UTF-8 text")):
        code = main(["workflows", "dry-run", str(path), "--entity", "contact",
                     "--id", "c0000000-0000-4000-8000-000000000001"])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith(f"smsc: {path}: ") and words in err
        assert "Traceback" not in err and err.count("\n") == 1


def test_cli_output_cut_short_by_a_pipe_ends_quietly(monkeypatch, capsys):
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("sys.stdout", ClosedPipe())
    assert main(["workflows", "validate", "--builtins"]) == 1
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("environment, words", [
    ({"AZURE_CLIENT_CERTIFICATE_PATH": "/nonexistent.pem", "AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c"},
     "AZURE_CLIENT_CERTIFICATE_PATH: cannot read /nonexistent.pem"),
    ({}, "no Dataverse credential: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"),
])
def test_cli_credential_settings_are_named_without_a_network_call(monkeypatch, capsys, environment, words):
    settings = {"DATAVERSE_URL": "https://org.crm4.dynamics.com", "OCTOPUSH_API_LOGIN": "me@example.org",
                "OCTOPUSH_API_KEY": "octo-secret-key", "SMSC_WEBHOOK_KEY": "k" * 24}
    for name in ("AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "DATAVERSE_ACCESS_TOKEN",
                 "AZURE_CLIENT_CERTIFICATE_PATH", "IDENTITY_ENDPOINT", "MSI_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**settings, **environment}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("requests.Session.request", lambda *a, **k: pytest.fail("no network call"))
    bootstrap.reset()
    try:
        assert main(["campaign", "simulate", "ca000000-0000-4000-8000-000000000001"]) == 2
    finally:
        bootstrap.reset()
    err = capsys.readouterr().err
    assert err.startswith("smsc: ") and words in err and "Traceback" not in err
    assert not Path("/nonexistent.pem").exists()

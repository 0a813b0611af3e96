"""Entra ID credentials against a loopback authority (HTTPS, certificate made here) and a loopback
App Service managed-identity endpoint. Real msal, real HTTP; nothing leaves 127.0.0.1."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import ssl
import time
from types import SimpleNamespace
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pydantic import SecretStr
from pytest_httpserver import HTTPServer

from connector.crm.auth import (
    AuthenticationError, CertificateCredential, ClientSecretCredential, ManagedIdentityCredential,
    StaticTokenCredential, scope_for,
)
from connector.crm.credentials import credential_from_settings
from connector.errors import SmscError
from connector.http import build_session
from connector.settings import SettingsError

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "66666666-7777-8888-9999-000000000000"
SECRET = "s3cr3t~value-never-shown"
SCOPE = "https://org.crm.dynamics.com/.default"
TOKEN_PATH = f"/{TENANT}/oauth2/v2.0/token"


def _self_signed(common_name: str, *, ip: str | None = None) -> tuple[bytes, bytes]:
    """(key PEM, certificate PEM), self-signed; a CA so that it can be its own trust anchor."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True))
    if ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key_pem, cert_pem = _self_signed("127.0.0.1", ip="127.0.0.1")
    (folder / "key.pem").write_bytes(key_pem)
    (folder / "cert.pem").write_bytes(cert_pem)
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture(scope="module")
def https_server(tls_files):
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def authority(https_server, tls_files, monkeypatch):
    """The HTTPS loopback authority, trusted through REQUESTS_CA_BUNDLE, serving OIDC discovery."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_files[0]))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    https_server.clear()
    base = https_server.url_for("").rstrip("/")
    https_server.expect_request(f"/{TENANT}/v2.0/.well-known/openid-configuration").respond_with_json({
        "authorization_endpoint": f"{base}/{TENANT}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}{TOKEN_PATH}",
        "issuer": f"{base}/{TENANT}/v2.0",
    })
    yield https_server
    https_server.check_assertions()


def _token_posts(server: HTTPServer) -> list[dict[str, str]]:
    return [{k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
            for request, _ in server.log if request.path == TOKEN_PATH]


def test_client_secret_flow_posts_client_credentials_once_then_uses_msal_cache(authority):
    authority.expect_oneshot_request(TOKEN_PATH, method="POST").respond_with_json(
        {"token_type": "Bearer", "expires_in": 3599, "access_token": "tok-1"})
    credential = ClientSecretCredential(TENANT, CLIENT_ID, SECRET, SCOPE,
                                        authority_host=authority.url_for("/"))

    assert credential.token() == "tok-1"
    assert credential.token() == "tok-1"        # within expiry: from msal's cache

    [form] = _token_posts(authority)
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == CLIENT_ID
    assert form["client_secret"] == SECRET
    assert form["scope"].split() == [SCOPE]


def test_invalid_client_raises_authentication_error_without_the_secret(authority):
    authority.expect_request(TOKEN_PATH, method="POST").respond_with_json({
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being "
                             "sent in the request is the client secret value, not the client secret ID.",
        "error_codes": [7000215]}, status=401)
    credential = ClientSecretCredential(TENANT, CLIENT_ID, SECRET, SCOPE, authority.url_for("/"))

    with pytest.raises(AuthenticationError) as caught:
        credential.token()

    assert caught.value.error == "invalid_client"
    assert "AADSTS7000215" in str(caught.value)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


def test_unreachable_authority_raises_authentication_error(tls_files, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_files[0]))
    closed = HTTPServer(host="127.0.0.1", port=0)
    closed.start()
    port = closed.port
    closed.stop()                                  # nothing listens there any more
    credential = ClientSecretCredential(TENANT, CLIENT_ID, SECRET, SCOPE, f"https://127.0.0.1:{port}",
                                        http_client=build_session(retries=0))

    with pytest.raises(AuthenticationError) as caught:
        credential.token()
    assert caught.value.error == "ConnectionError"
    assert SECRET not in str(caught.value)
    assert caught.value.__suppress_context__      # the requests exception holds the secret's request


def test_certificate_credential_signs_an_assertion_msal_builds_from_the_pem(authority, tmp_path):
    key_pem, cert_pem = _self_signed("smsc-connector")
    pem_file = tmp_path / "app.pem"
    pem_file.write_bytes(key_pem + cert_pem)       # the format AZURE_CLIENT_CERTIFICATE_PATH takes
    authority.expect_oneshot_request(TOKEN_PATH, method="POST").respond_with_json(
        {"token_type": "Bearer", "expires_in": 3599, "access_token": "tok-cert"})
    credential = CertificateCredential(TENANT, CLIENT_ID, str(pem_file), SCOPE, authority.url_for("/"))

    assert credential.token() == "tok-cert"

    [form] = _token_posts(authority)
    assert form["grant_type"] == "client_credentials" and "client_secret" not in form
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    certificate = x509.load_pem_x509_certificate(cert_pem)
    header = jwt.get_unverified_header(form["client_assertion"])
    thumbprint = base64.urlsafe_b64encode(
        hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()).rstrip(b"=").decode()
    assert header["x5t#S256"].rstrip("=") == thumbprint     # msal keeps the base64 padding
    claims = jwt.decode(form["client_assertion"], certificate.public_key(), algorithms=[header["alg"]],
                        audience=authority.url_for(TOKEN_PATH))
    assert claims["iss"] == claims["sub"] == CLIENT_ID


def test_certificate_file_without_a_key_is_refused_at_construction(tmp_path):
    _, cert_pem = _self_signed("smsc-connector")
    pem_file = tmp_path / "cert-only.pem"
    pem_file.write_bytes(cert_pem)
    with pytest.raises(ValueError, match="PRIVATE KEY"):
        CertificateCredential(TENANT, CLIENT_ID, str(pem_file), SCOPE)


@pytest.fixture
def app_service_identity(httpserver_ipv4, monkeypatch):
    """App Service / Functions managed identity: msal reads IDENTITY_ENDPOINT and IDENTITY_HEADER."""
    for name in ("IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IDENTITY_ENDPOINT", httpserver_ipv4.url_for("/msi/token"))
    monkeypatch.setenv("IDENTITY_HEADER", "identity-header-value")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    yield httpserver_ipv4
    httpserver_ipv4.check_assertions()


def _mi_answer(token: str) -> dict:
    return {"access_token": token, "expires_on": str(int(time.time()) + 3600),
            "resource": "https://org.crm.dynamics.com", "token_type": "Bearer"}


def test_system_assigned_managed_identity_asks_the_app_service_endpoint_once(app_service_identity):
    app_service_identity.expect_oneshot_request(
        "/msi/token", method="GET",
        query_string={"api-version": "2019-08-01", "resource": "https://org.crm.dynamics.com"},
        headers={"X-IDENTITY-HEADER": "identity-header-value"},
    ).respond_with_json(_mi_answer("mi-token"))
    credential = ManagedIdentityCredential(SCOPE)

    assert credential.token() == "mi-token"
    assert credential.token() == "mi-token"       # cached by msal
    assert len(app_service_identity.log) == 1


def test_user_assigned_managed_identity_sends_its_client_id(app_service_identity):
    app_service_identity.expect_oneshot_request(
        "/msi/token", method="GET",
        query_string={"api-version": "2019-08-01", "resource": "https://org.crm.dynamics.com",
                      "client_id": CLIENT_ID},
        headers={"X-IDENTITY-HEADER": "identity-header-value"},
    ).respond_with_json(_mi_answer("ua-token"))

    assert ManagedIdentityCredential(SCOPE, client_id=CLIENT_ID).token() == "ua-token"


def test_managed_identity_error_raises_authentication_error(app_service_identity):
    app_service_identity.expect_request("/msi/token").respond_with_json(
        {"statusCode": 400, "message": "No managed identity found for specified ClientId/ResourceId/PrincipalId."},
        status=400)
    with pytest.raises(AuthenticationError, match="No managed identity found"):
        ManagedIdentityCredential(SCOPE, client_id=CLIENT_ID).token()


def _jwt_with_exp(exp: float) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none'})}.{part({'exp': exp})}.signature"


def test_static_token_is_returned_until_its_jwt_expires():
    assert StaticTokenCredential("emulator-token").token() == "emulator-token"
    fresh = _jwt_with_exp(time.time() + 600)
    assert StaticTokenCredential(fresh).token() == fresh
    with pytest.raises(AuthenticationError, match="expired"):
        StaticTokenCredential(_jwt_with_exp(time.time() - 1)).token()
    assert "emulator-token" not in repr(StaticTokenCredential("emulator-token"))


@pytest.mark.parametrize("url", ["https://org.crm.dynamics.com", "https://org.crm.dynamics.com/",
                                 "https://org.crm.dynamics.com/api/data/v9.2/"])
def test_scope_for_keeps_only_the_organisation(url):
    assert scope_for(url) == SCOPE


def _settings(**values) -> SimpleNamespace:
    defaults = dict(dataverse_url="https://org.crm.dynamics.com/", azure_tenant_id=TENANT,
                    azure_client_id=CLIENT_ID, azure_client_secret=None, azure_client_certificate_path=None,
                    azure_authority_host="https://login.microsoftonline.com/", dataverse_access_token=None)
    return SimpleNamespace(**(defaults | values))


def test_credential_from_settings_picks_static_then_secret_then_certificate_then_identity(tmp_path):
    key_pem, cert_pem = _self_signed("smsc-connector")
    pem_file = tmp_path / "app.pem"
    pem_file.write_bytes(key_pem + cert_pem)

    static = credential_from_settings(_settings(dataverse_access_token=SecretStr("tok"),
                                                azure_client_secret=SecretStr(SECRET)))
    assert isinstance(static, StaticTokenCredential) and static.token() == "tok"
    assert isinstance(credential_from_settings(_settings(azure_client_secret=SecretStr(SECRET),
                                                         azure_client_certificate_path=pem_file)),
                      ClientSecretCredential)
    assert isinstance(credential_from_settings(_settings(azure_client_certificate_path=pem_file)),
                      CertificateCredential)
    identity = credential_from_settings(_settings(azure_tenant_id=None, azure_client_id=None,
                                                  identity_endpoint="http://127.0.0.1:41234/msi/token"))
    assert isinstance(identity, ManagedIdentityCredential)


def test_credential_from_settings_names_the_missing_setting():
    with pytest.raises(ValueError, match="AZURE_TENANT_ID"):
        credential_from_settings(_settings(azure_tenant_id=None, azure_client_secret=SecretStr(SECRET)))


def test_off_azure_without_a_credential_the_missing_settings_are_named_without_a_network_call(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("no network call may be made")
    monkeypatch.setattr("requests.Session.request", no_network)
    with pytest.raises(SettingsError) as caught:
        credential_from_settings(_settings(azure_tenant_id=None, azure_client_id=None))
    assert "AZURE_CLIENT_SECRET" in str(caught.value) and "DATAVERSE_ACCESS_TOKEN" in str(caught.value)
    assert "IDENTITY_ENDPOINT" in str(caught.value)
    assert caught.value.answer_status == 500 and caught.value.error_code == "configuration"


@pytest.mark.parametrize("content", [
    None, b"\xff\xfe not a pem", b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"])
def test_an_unreadable_certificate_is_a_configuration_error_naming_the_setting(tmp_path, content):
    pem_file = tmp_path / "app.pem"
    if content is not None:
        pem_file.write_bytes(content)
    with pytest.raises(SettingsError, match="AZURE_CLIENT_CERTIFICATE_PATH") as caught:
        credential_from_settings(_settings(azure_client_certificate_path=pem_file))
    assert str(pem_file) in str(caught.value)


def test_authentication_errors_say_whether_trying_again_may_work():
    refused = AuthenticationError("invalid_client", "AADSTS7000215: Invalid client secret provided.")
    busy = AuthenticationError("temporarily_unavailable", "try later")
    network = AuthenticationError("ConnectionError", "refused", transient=True)
    assert isinstance(refused, SmscError) and refused.answer_status == 502 and not refused.transient
    assert "AADSTS7000215" in refused.message
    assert busy.answer_status == network.answer_status == 503 and busy.transient and network.transient

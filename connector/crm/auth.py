"""Entra ID access tokens for the Dataverse Web API.

msal acquires, caches and refreshes the tokens (client secret, certificate, managed identity); a
static token serves local use. Every credential exposes `token() -> str` and raises
`AuthenticationError` with msal's `error` / `error_description`, never the secret.
"""
from __future__ import annotations

import base64
import functools
import json
import re
import threading
import time
from typing import Any, Protocol
from urllib.parse import urlsplit

import msal
import requests

from connector.errors import UpstreamError
from connector.http import build_session

DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
# msal `error` values that say "try again later" (OAuth 2.0 §5.2, Entra ID on 429 / 5xx).
TRANSIENT_ERRORS = frozenset({"temporarily_unavailable", "server_error", "no_token"})


class AuthenticationError(UpstreamError):
    """No token could be acquired. `error` / `description` are msal's (never the secret).

    Transient (network, time-out, Entra ID busy): answered 503, so Dataverse retries its webhook;
    otherwise the app registration or its secret is wrong: 502 naming Entra ID's reason."""
    error_code, answer_status = "authentication_failed", 502

    def __init__(self, error: str, description: str = "", *, transient: bool | None = None,
                 answer_status: int | None = None):
        detail = f"{error}: {description}" if description else error
        self.transient = error in TRANSIENT_ERRORS if transient is None else transient
        if self.transient:
            super().__init__(f"cannot sign in to Dataverse for now: {detail}",
                             error_code="authentication_unavailable", answer_status=503)
        else:
            super().__init__(f"cannot sign in to Dataverse: {detail}", answer_status=answer_status)
        self.error = error
        self.description = description


class TokenCredential(Protocol):
    def token(self) -> str: ...


def scope_for(dataverse_url: str) -> str:
    """`https://org.crm.dynamics.com/.default` for any URL of the organisation."""
    parts = urlsplit(str(dataverse_url))
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not an absolute URL: {dataverse_url!r}")
    return f"{parts.scheme}://{parts.netloc}/.default"


def _default_http_client(timeout: float) -> requests.Session:
    session = build_session()
    # msal passes no timeout of its own; a hung token call must not outlive the webhook's 60 s.
    session.request = functools.partial(session.request, timeout=timeout)  # type: ignore[method-assign]
    return session


class _MsalCredential:
    """Builds the msal client on first use (its constructor already calls the authority).

    `http_client` defaults to the shared retrying session with `timeout` applied to every call.
    """

    def __init__(self, http_client: requests.Session | None, timeout: float):
        self._http_client = http_client or _default_http_client(timeout)
        self._client: Any = None
        self._lock = threading.Lock()

    def token(self) -> str:
        try:
            result = self._acquire(self._msal_client())
        except (requests.RequestException, ValueError) as exc:   # network, discovery, bad key
            # Not chained: a requests exception holds the request, whose body holds the secret.
            network = isinstance(exc, (requests.ConnectionError, requests.Timeout))
            raise AuthenticationError(type(exc).__name__, str(exc), transient=network) from None
        result = result or {}
        if "access_token" not in result:
            raise AuthenticationError(result.get("error") or "no_token", result.get("error_description") or "")
        return result["access_token"]

    def _msal_client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._build()
            return self._client

    def _build(self) -> Any:
        raise NotImplementedError

    def _acquire(self, client: Any) -> dict | None:
        raise NotImplementedError


class _ConfidentialCredential(_MsalCredential):
    def __init__(self, tenant_id: str, client_id: str, scope: str, authority_host: str, *,
                 http_client: requests.Session | None, timeout: float):
        super().__init__(http_client, timeout)
        self._authority = f"{_with_scheme(authority_host).rstrip('/')}/{tenant_id}"
        self._client_id = client_id
        self._scope = scope

    def _client_credential(self) -> str | dict:
        raise NotImplementedError

    def _build(self) -> msal.ConfidentialClientApplication:
        # Instance discovery would ask login.microsoftonline.com about the authority host: the host
        # comes from our own settings (sovereign clouds, tests), so msal takes it as given.
        return msal.ConfidentialClientApplication(
            self._client_id, client_credential=self._client_credential(), authority=self._authority,
            instance_discovery=False, http_client=self._http_client)

    def _acquire(self, client: msal.ConfidentialClientApplication) -> dict | None:
        return client.acquire_token_for_client(scopes=[self._scope])   # msal's cache first


class ClientSecretCredential(_ConfidentialCredential):
    def __init__(self, tenant_id: str, client_id: str, client_secret: str, scope: str,
                 authority_host: str = DEFAULT_AUTHORITY_HOST, *,
                 http_client: requests.Session | None = None, timeout: float = 20):
        super().__init__(tenant_id, client_id, scope, authority_host,
                         http_client=http_client, timeout=timeout)
        self._client_secret = client_secret

    def _client_credential(self) -> str:
        return self._client_secret


_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", re.DOTALL)


class CertificateCredential(_ConfidentialCredential):
    """A PEM file holding the unencrypted private key and the certificate (leaf first).

    msal (≥ 1.35) computes the SHA-256 thumbprint from `public_certificate` and signs a PS256
    assertion (it also sends the certificate as `x5c`).
    """

    def __init__(self, tenant_id: str, client_id: str, certificate_path: str, scope: str,
                 authority_host: str = DEFAULT_AUTHORITY_HOST, *,
                 http_client: requests.Session | None = None, timeout: float = 20):
        super().__init__(tenant_id, client_id, scope, authority_host,
                         http_client=http_client, timeout=timeout)
        self._private_key, self._certificate = _read_pem(str(certificate_path))

    def _client_credential(self) -> dict:
        return {"private_key": self._private_key, "public_certificate": self._certificate}


def _read_pem(path: str) -> tuple[str, str]:
    with open(path, encoding="ascii") as pem:
        blocks: dict[str, str] = {}
        for match in _PEM_BLOCK.finditer(pem.read()):
            blocks.setdefault(match.group(1), match.group(0))   # first one wins: the leaf
    key = next((v for k, v in blocks.items() if k.endswith("PRIVATE KEY") and "ENCRYPTED" not in k), None)
    if key is None or "CERTIFICATE" not in blocks:
        raise ValueError(f"{path}: needs an unencrypted PRIVATE KEY and a CERTIFICATE in PEM")
    return key, blocks["CERTIFICATE"]


class ManagedIdentityCredential(_MsalCredential):
    """System-assigned, or user-assigned when `client_id` is given (App Service / Functions, VM…)."""

    def __init__(self, scope: str, client_id: str | None = None, *,
                 http_client: requests.Session | None = None, timeout: float = 20):
        super().__init__(http_client, timeout)
        self._resource = scope.removesuffix("/.default")
        self._client_id = client_id

    def _build(self) -> msal.ManagedIdentityClient:
        identity = (msal.UserAssignedManagedIdentity(client_id=self._client_id) if self._client_id
                    else msal.SystemAssignedManagedIdentity())
        return msal.ManagedIdentityClient(identity, http_client=self._http_client)

    def _acquire(self, client: msal.ManagedIdentityClient) -> dict | None:
        return client.acquire_token_for_client(resource=self._resource)


class StaticTokenCredential:
    """A token pasted by hand (local use): refused once its JWT `exp` has passed."""

    def __init__(self, token: str):
        self._token = token

    def token(self) -> str:
        expires = _jwt_expiry(self._token)
        if expires is not None and expires <= time.time():
            raise AuthenticationError("token_expired", "the static access token has expired (DATAVERSE_ACCESS_TOKEN)",
                                      answer_status=500)
        return self._token

    def __repr__(self) -> str:
        return "StaticTokenCredential(***)"


def _jwt_expiry(token: str) -> float | None:
    """The `exp` claim, or None when the token is no JWT (the emulator's tokens)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return float(claims["exp"])
    except (ValueError, KeyError, TypeError):
        return None


def _with_scheme(host: str) -> str:
    host = str(host)
    return host if "://" in host else f"https://{host}"   # AZURE_AUTHORITY_HOST may omit it

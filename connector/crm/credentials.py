"""Which Entra ID credential the app settings describe (DESIGN §5).

Wrong or missing credential settings raise `CredentialSettingsError` (a SettingsError) naming the
setting, before any network call: a managed identity is only tried where the platform has one.
"""
from __future__ import annotations

from typing import Any

from connector.crm.auth import (DEFAULT_AUTHORITY_HOST, CertificateCredential, ClientSecretCredential,
                                ManagedIdentityCredential, StaticTokenCredential, TokenCredential, scope_for)
from connector.settings import SettingsError

NO_CREDENTIAL = ("no Dataverse credential: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET "
                 "(or AZURE_CLIENT_CERTIFICATE_PATH), or DATAVERSE_ACCESS_TOKEN for local use; a managed "
                 "identity is only used on Azure, where IDENTITY_ENDPOINT or MSI_ENDPOINT is set")


class CredentialSettingsError(SettingsError, ValueError):
    """A credential setting is missing or wrong; the message names it."""


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


def _required(settings: Any, name: str, needed_by: str) -> str:
    value = getattr(settings, name, None)
    if not value:
        raise CredentialSettingsError(f"{name.upper()} is required with {needed_by}")
    return value


def managed_identity_available(settings: Any) -> bool:
    """The platform provides a managed identity (App Service / Functions set these variables)."""
    return bool(getattr(settings, "identity_endpoint", None) or getattr(settings, "msi_endpoint", None))


def credential_from_settings(settings: Any) -> TokenCredential:
    """Static token if set, else client secret, else certificate, else managed identity (on Azure)."""
    static = _secret(settings.dataverse_access_token)
    if static:
        return StaticTokenCredential(static)
    scope = scope_for(str(settings.dataverse_url))
    host = str(settings.azure_authority_host or DEFAULT_AUTHORITY_HOST)
    timeout = getattr(settings, "smsc_http_timeout", 20)
    secret = _secret(settings.azure_client_secret)
    if secret:
        return ClientSecretCredential(
            _required(settings, "azure_tenant_id", "AZURE_CLIENT_SECRET"),
            _required(settings, "azure_client_id", "AZURE_CLIENT_SECRET"),
            secret, scope, host, timeout=timeout)
    if settings.azure_client_certificate_path:
        return _certificate_credential(settings, scope, host, timeout)
    if managed_identity_available(settings):
        return ManagedIdentityCredential(scope, client_id=settings.azure_client_id or None, timeout=timeout)
    raise CredentialSettingsError(NO_CREDENTIAL)


def _certificate_credential(settings: Any, scope: str, host: str, timeout: float) -> CertificateCredential:
    needed_by = "AZURE_CLIENT_CERTIFICATE_PATH"
    tenant = _required(settings, "azure_tenant_id", needed_by)
    client = _required(settings, "azure_client_id", needed_by)
    path = str(settings.azure_client_certificate_path)
    try:
        return CertificateCredential(tenant, client, path, scope, host, timeout=timeout)
    except OSError as error:
        raise CredentialSettingsError(f"AZURE_CLIENT_CERTIFICATE_PATH: cannot read {path}: "
                                      f"{error.strerror or error}") from None
    except UnicodeDecodeError:
        raise CredentialSettingsError(f"AZURE_CLIENT_CERTIFICATE_PATH: {path} is not a PEM text file") from None
    except ValueError as error:
        raise CredentialSettingsError(f"AZURE_CLIENT_CERTIFICATE_PATH: {error}") from None

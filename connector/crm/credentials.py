"""Which Entra ID credential the app settings describe (DESIGN §5)."""
from __future__ import annotations

from typing import Any

from connector.crm.auth import (DEFAULT_AUTHORITY_HOST, CertificateCredential, ClientSecretCredential,
                                ManagedIdentityCredential, StaticTokenCredential, TokenCredential, scope_for)


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


def _required(settings: Any, name: str, needed_by: str) -> str:
    value = getattr(settings, name, None)
    if not value:
        raise ValueError(f"{name.upper()} is required with {needed_by}")
    return value


def credential_from_settings(settings: Any) -> TokenCredential:
    """Static token if set, else client secret, else certificate, else managed identity."""
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
        needed_by = "AZURE_CLIENT_CERTIFICATE_PATH"
        return CertificateCredential(
            _required(settings, "azure_tenant_id", needed_by), _required(settings, "azure_client_id", needed_by),
            str(settings.azure_client_certificate_path), scope, host, timeout=timeout)
    return ManagedIdentityCredential(scope, client_id=settings.azure_client_id or None, timeout=timeout)

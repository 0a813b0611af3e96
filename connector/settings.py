"""App settings (DESIGN §5), read once from the environment / Azure app settings.

A missing or malformed setting fails fast with a message naming it; secret values never appear
in that message (pydantic would echo the input, so errors are re-worded here).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connector.errors import ConfigurationError


class SettingsError(ConfigurationError):
    """The configuration is incomplete or wrong; the message names every faulty setting."""
    error_code, answer_status = "configuration", 500


WEB_API_PATH = re.compile(r"/api/data/v\d+(?:\.\d+)?$", re.IGNORECASE)


class CrmSettings(BaseSettings):
    """What reaching the organisation takes: enough for commands that only read or write the CRM
    (`workflows dry-run`, `workflows steps`, `import`), which then need no provider login or key."""
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    dataverse_url: AnyHttpUrl
    azure_tenant_id: str | None = None
    azure_client_id: str | None = None
    azure_client_secret: SecretStr | None = None
    azure_client_certificate_path: Path | None = None
    azure_authority_host: AnyHttpUrl = AnyHttpUrl("https://login.microsoftonline.com")
    dataverse_access_token: SecretStr | None = None     # local use only (emulator, dev org)
    # Set by the platform where a managed identity exists (App Service / Functions; MSI_ENDPOINT on
    # older hosts): only then is one tried, so that a forgotten secret is named, not probed for.
    identity_endpoint: str | None = None
    msi_endpoint: str | None = None
    smsc_http_timeout: float = Field(default=20, gt=0, le=230)   # 230 s: the Functions HTTP limit

    @model_validator(mode="after")
    def _app_registration_is_complete(self) -> "CrmSettings":
        if self.dataverse_access_token is None and (self.azure_client_secret or self.azure_client_certificate_path):
            missing = [n for n in ("azure_tenant_id", "azure_client_id") if not getattr(self, n)]
            if missing:
                raise ValueError(f"{', '.join(m.upper() for m in missing)} required "
                                 "with a client secret or certificate")
        return self

    @property
    def managed_identity_available(self) -> bool:
        return bool(self.identity_endpoint or self.msi_endpoint)

    @property
    def dataverse_base(self) -> str:
        """The organisation's URL; the Web API endpoint (`…/api/data/v9.2/`, what the maker portal's
        « Developer resources » shows) is accepted too and read as its organisation."""
        return WEB_API_PATH.sub("", str(self.dataverse_url).rstrip("/"))


class Settings(CrmSettings):
    """Everything the function app needs (DESIGN §5)."""

    sms_provider: Literal["octopush", "smsmode", "acs"] = "octopush"
    # Octopush (SMS_PROVIDER=octopush): login and key of the API.
    octopush_api_login: str | None = None
    octopush_api_key: SecretStr | None = None
    octopush_base_url: AnyHttpUrl = AnyHttpUrl("https://api.octopush.com/v1/public")
    # smsmode (SMS_PROVIDER=smsmode): the channel's API key; SMSMODE_STOP_MENTION asks smsmode to
    # append its own opt-out mention (« STOP 36xxx ») to marketing SMS; SMSMODE_PARALLEL_REQUESTS
    # bounds the requests of one window sent at once (one per recipient).
    smsmode_api_key: SecretStr | None = None
    smsmode_base_url: AnyHttpUrl = AnyHttpUrl("https://rest.smsmode.com")
    smsmode_stop_mention: bool = False
    smsmode_parallel_requests: int = Field(default=4, ge=1, le=16)
    # Azure Communication Services (SMS_PROVIDER=acs): the connection string (endpoint + access key),
    # or the endpoint alone with the managed identity (Entra ID).
    acs_connection_string: SecretStr | None = None
    acs_endpoint: AnyHttpUrl | None = None
    acs_sender: str | None = None          # the resource's number (E.164), short code or sender ID

    smsc_webhook_key: SecretStr
    # SMS per campaign window: what leaves, then is written with its activities in one request. Lower it
    # where creating an SMS activity is slow (plug-ins on it): Dataverse stops a request at 2 minutes.
    smsc_campaign_window: int = Field(default=5000, ge=100, le=10_000)
    # The function app's public address (https://<app>.azurewebsites.net): providers that take their
    # callback URLs with each message (smsmode) are given /api/providers/<provider>/... under it.
    smsc_public_url: AnyHttpUrl | None = None
    # The key the CRM pages send (Dataverse environment variable smsc_ApiKey, readable by every CRM user):
    # accepted by the form and admin routes only, never by the webhook route. Empty or absent: none.
    smsc_form_key: SecretStr | None = None

    @model_validator(mode="after")
    def _provider_settings_are_complete(self) -> "Settings":
        """The chosen provider's settings are all there (the others' are ignored)."""
        missing = [name for name in PROVIDER_SETTINGS[self.sms_provider] if not _given(getattr(self, name))]
        if self.sms_provider == "acs":
            connection = self.acs_connection_string.get_secret_value() if self.acs_connection_string else ""
            if not connection and self.acs_endpoint is None:
                raise ValueError("SMS_PROVIDER=acs needs ACS_CONNECTION_STRING (endpoint=...;accesskey=...) "
                                 "or ACS_ENDPOINT (with the managed identity)")
            if connection and not _acs_connection_ok(connection):
                raise ValueError("ACS_CONNECTION_STRING must read endpoint=https://<resource>.communication."
                                 "azure.com/;accesskey=<base64 key>")
        if missing:
            raise ValueError(f"SMS_PROVIDER={self.sms_provider} needs {', '.join(m.upper() for m in missing)}")
        return self

    @model_validator(mode="after")
    def _keys_are_strong_and_distinct(self) -> "Settings":
        if len(self.smsc_webhook_key.get_secret_value()) < 16:
            raise ValueError("SMSC_WEBHOOK_KEY must be at least 16 characters")
        if self.smsc_form_key is not None:
            form_key = self.smsc_form_key.get_secret_value()
            if len(form_key) < 16:
                raise ValueError("SMSC_FORM_KEY must be at least 16 characters (or unset)")
            if form_key == self.smsc_webhook_key.get_secret_value():
                raise ValueError("SMSC_FORM_KEY must differ from SMSC_WEBHOOK_KEY (every CRM user can read it)")
        return self

    @field_validator("smsc_form_key", mode="before")
    @classmethod
    def _empty_form_key_is_none(cls, value: object) -> object:
        """An app setting left empty means no form key, as if it were absent."""
        if isinstance(value, str) and value == "":
            return None
        if isinstance(value, SecretStr) and value.get_secret_value() == "":
            return None
        return value


# The settings each provider cannot do without (ACS: one of two, checked on its own).
PROVIDER_SETTINGS = {"octopush": ("octopush_api_login", "octopush_api_key"), "smsmode": ("smsmode_api_key",),
                     "acs": ("acs_sender",)}


def _given(value: object) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value().strip())
    return bool(value.strip()) if isinstance(value, str) else value is not None


def _acs_connection_ok(connection: str) -> bool:
    """An ACS connection string's two parts (connector.sms.acs reads them; the key is never echoed)."""
    parts = dict(part.split("=", 1) for part in connection.split(";") if "=" in part)
    parts = {k.strip().lower(): v.strip() for k, v in parts.items()}
    return parts.get("endpoint", "").startswith(("https://", "http://")) and bool(parts.get("accesskey"))


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        name = "_".join(str(p) for p in item["loc"]).upper() or "settings"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(message if name == "SETTINGS" or not item["loc"] else f"{name}: {message}")
    return "; ".join(parts)


def _provider_gaps(overrides: dict) -> str | None:
    """The chosen provider's missing settings, said with other errors (the check after the fields
    runs only once they are all valid)."""
    import os

    def given(name: str) -> bool:
        return bool(overrides.get(name) or os.environ.get(name.upper()) or os.environ.get(name))

    provider = str(overrides.get("sms_provider") or os.environ.get("SMS_PROVIDER") or "octopush").lower()
    missing = [name.upper() for name in PROVIDER_SETTINGS.get(provider, ()) if not given(name)]
    return f"SMS_PROVIDER={provider} needs {', '.join(missing)}" if missing else None


def load_settings(**overrides) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as error:
        described = _describe(error)
        gaps = _provider_gaps(overrides)
        if gaps and gaps not in described:
            described += f"; {gaps}"
        raise SettingsError(f"Invalid settings: {described}") from None


def load_crm_settings(**overrides) -> CrmSettings:
    try:
        return CrmSettings(**overrides)
    except ValidationError as error:
        raise SettingsError(f"Invalid settings: {_describe(error)}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


@lru_cache(maxsize=1)
def get_crm_settings() -> CrmSettings:
    return load_crm_settings()

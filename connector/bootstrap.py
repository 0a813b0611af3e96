"""The composition root: builds the adapters from the settings, once per process.

Imports of the adapters are deferred so that loading `function_app` stays fast (cold starts).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from connector.settings import Settings, get_settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    crm: "object"          # connector.crm.dataverse.DataverseClient
    sms: "object"          # connector.sms.octopush.OctopushClient


def build_services(settings: Settings) -> Services:
    from connector.crm.auth import credential_from_settings
    from connector.crm.dataverse import DataverseClient
    from connector.sms.octopush import OctopushClient

    crm = DataverseClient(settings.dataverse_base, credential_from_settings(settings),
                          timeout=settings.smsc_http_timeout)
    sms = OctopushClient(settings.octopush_api_login, settings.octopush_api_key.get_secret_value(),
                         base_url=str(settings.octopush_base_url).rstrip("/"),
                         timeout=settings.smsc_http_timeout)
    return Services(settings, crm, sms)


@lru_cache(maxsize=1)
def get_services() -> Services:
    return build_services(get_settings())


def reset() -> None:
    """Forget the settings and clients (after the environment changed: tests, the demo)."""
    get_services.cache_clear()
    get_settings.cache_clear()

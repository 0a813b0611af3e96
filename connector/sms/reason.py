"""Why the provider did not take a request, as the user reads it: in their language, and a rejected API key
named with the setting that holds it."""
from __future__ import annotations

from connector.sms.port import ProviderError
from connector.user_texts import say

AUTH_CODE = 101            # Octopush's "wrong API login or key" (its answers carry no key_refused)


def provider_reason(lang: str, error: ProviderError) -> str:
    if error.key_refused:           # a provider naming itself and its settings (connector.sms.port)
        provider, settings = error.key_refused.split("|", 1)
        return say(lang, "campaign_provider_key_refused", provider=provider, settings=settings)
    if error.code == AUTH_CODE or error.http_status == 401:
        return say(lang, "campaign_provider_auth")
    return error.say(lang)

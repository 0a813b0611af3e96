"""The campaign as the campaign actions see it (the model lives with its repository port), and why
an action cannot run on it."""
from __future__ import annotations

from typing import Any

from connector.repositories.campaigns import Campaign, CampaignAction, CampaignStatus
from connector.user_texts import say
from connector.errors import SmscError

__all__ = ["Campaign", "CampaignAction", "CampaignError", "CampaignStatus"]


class CampaignError(SmscError, ValueError):
    """The action cannot run on this campaign (wrong status, no text...): a refusal key of
    `connector.user_texts` (prefixed `campaign_`), shown to the user in their language."""
    error_code, answer_status = "campaign_refused", 409

    def __init__(self, key: str, **values: Any):
        super().__init__(key)
        self.key, self.values = key, values

    def say(self, lang: str) -> str:
        values = {k: status_label(lang, v) if isinstance(v, CampaignStatus) else v for k, v in self.values.items()}
        return say(lang, f"campaign_{self.key}", **values)


def status_label(lang: str, status: CampaignStatus) -> str:
    return say(lang, f"campaign_status_{int(status)}")

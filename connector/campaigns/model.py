"""The campaign as the connector sees it: the `campaign` row's smsc_ columns (DESIGN §4)."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from connector.crm.port import Crm
from connector.errors import SmscError

CAMPAIGN_SET = "campaigns"
COLUMNS = ("name", "smsc_recipienttype", "smsc_text", "_smsc_templateid_value", "smsc_smstype",
           "smsc_sender", "smsc_smsstatus", "smsc_action", "smsc_lastresult", "smsc_providerticket",
           "actualstart", "othercost")


class CampaignStatus(enum.IntEnum):
    NOT_TRANSMITTED = 1
    IN_CONSTRUCTION = 2
    READY = 3
    SENDING = 4
    SENT = 5


class CampaignAction(enum.IntEnum):
    SIMULATE = 1
    PREPARE = 2
    VALIDATE = 3
    CANCEL = 4
    REFRESH = 5


# Marketing-list member types (list.createdfromcode) -> the recipient table.
RECIPIENT_TABLES = {1: "account", 2: "contact", 4: "lead"}


class CampaignError(SmscError, ValueError):
    """The action cannot run on this campaign (wrong status, no text...): a key of
    `texts.REFUSALS`, shown to the user in their language."""
    error_code, answer_status = "campaign_refused", 409

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key, self.values = key, values

    def say(self, lang: str) -> str:
        from connector.campaigns.texts import REFUSALS, STATUS_LABELS
        values = {k: STATUS_LABELS[lang][int(v)] if isinstance(v, CampaignStatus) else v
                  for k, v in self.values.items()}
        return REFUSALS[lang][self.key].format(**values)


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    etag: str
    recipient_type: int
    text: str | None
    template_id: str | None
    sms_type: int | None
    sender: str | None
    status: CampaignStatus
    ticket: str | None
    start: datetime | None

    @property
    def recipient_table(self) -> str:
        try:
            return RECIPIENT_TABLES[self.recipient_type]
        except KeyError:
            raise CampaignError("no_recipient_type") from None

    @classmethod
    def from_row(cls, row: dict) -> "Campaign":
        start = row.get("actualstart")
        return cls(
            id=row["campaignid"], name=row.get("name") or "", etag=row.get("@odata.etag", "*"),
            recipient_type=row.get("smsc_recipienttype") or 0, text=row.get("smsc_text"),
            template_id=row.get("_smsc_templateid_value"), sms_type=row.get("smsc_smstype"),
            sender=row.get("smsc_sender"),
            status=CampaignStatus(row.get("smsc_smsstatus") or CampaignStatus.NOT_TRANSMITTED),
            ticket=row.get("smsc_providerticket"),
            start=datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None)


def load_campaign(crm: Crm, campaign_id: str) -> Campaign:
    return Campaign.from_row(crm.retrieve(CAMPAIGN_SET, campaign_id, select=COLUMNS))

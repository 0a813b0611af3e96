"""The `campaign` row's smsc_ columns (DESIGN §4) behind the `Campaigns` port."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from connector.crm.port import Crm
from connector.repositories.campaigns import KEEP, Campaign, CampaignAction, CampaignStatus, Keep

CAMPAIGN_SET = "campaigns"
COLUMNS = ("name", "smsc_recipienttype", "smsc_text", "_smsc_templateid_value", "smsc_smstype",
           "smsc_sender", "smsc_smsstatus", "smsc_action", "smsc_lastresult", "smsc_providerticket",
           "actualstart", "othercost")
# Marketing-list member types (list.createdfromcode, campaign.smsc_recipienttype) -> the recipient table.
RECIPIENT_TABLES = {1: "account", 2: "contact", 4: "lead"}
MAX_RESULT = 2000          # smsc_lastresult's length


def campaign_from_row(row: dict[str, Any]) -> Campaign:
    start = row.get("actualstart")
    action = row.get("smsc_action")
    return Campaign(
        id=row["campaignid"], name=row.get("name") or "", etag=row.get("@odata.etag", "*"),
        recipient_table=RECIPIENT_TABLES.get(row.get("smsc_recipienttype") or 0), text=row.get("smsc_text"),
        template_id=row.get("_smsc_templateid_value"), sms_type=row.get("smsc_smstype"),
        sender=row.get("smsc_sender"),
        status=CampaignStatus(row.get("smsc_smsstatus") or CampaignStatus.NOT_TRANSMITTED),
        ticket=row.get("smsc_providerticket"),
        start=datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None,
        action=CampaignAction(action) if isinstance(action, int) and action in set(CampaignAction) else None,
        last_result=row.get("smsc_lastresult"))


def _columns(status: CampaignStatus | None, ticket: str | None | Keep, cost: float | None | Keep) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    if status is not None:
        columns["smsc_smsstatus"] = int(status)
    if ticket is not KEEP:
        columns["smsc_providerticket"] = ticket
    if cost is not KEEP:
        columns["othercost"] = cost
    return columns


class DataverseCampaigns:
    def __init__(self, crm: Crm):
        self.crm = crm

    def get(self, campaign_id: str) -> Campaign:
        return campaign_from_row(self.crm.retrieve(CAMPAIGN_SET, campaign_id, select=COLUMNS))

    def move(self, campaign: Campaign, status: CampaignStatus, *, ticket: str | None | Keep = KEEP,
             cost: float | None | Keep = KEEP) -> None:
        # ConcurrencyConflict (412) is a connector.errors.Conflict.
        self.crm.update(CAMPAIGN_SET, campaign.id, _columns(status, ticket, cost), etag=campaign.etag)

    def finish(self, campaign_id: str, result: str | None, *, status: CampaignStatus | None = None,
               ticket: str | None | Keep = KEEP, cost: float | None | Keep = KEEP) -> None:
        columns = _columns(status, ticket, cost)
        if result is not None:
            columns["smsc_lastresult"] = result[:MAX_RESULT]
        self.crm.update(CAMPAIGN_SET, campaign_id, {**columns, "smsc_action": None})

    def restore(self, campaign_id: str, status: CampaignStatus, *, ticket: str | None | Keep = KEEP,
                cost: float | None | Keep = KEEP) -> None:
        self.crm.update(CAMPAIGN_SET, campaign_id, _columns(status, ticket, cost))

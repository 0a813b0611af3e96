"""The `campaign` row's smsc_ columns (DESIGN §4) behind the `Campaigns` port."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from connector.clock import odata_utc, parse_utc
from connector.crm.choices import cheaper_choice
from connector.crm.port import Crm
from connector.repositories.campaign_figures import CampaignRates
from connector.repositories.campaigns import KEEP, Campaign, CampaignAction, CampaignStatus, Keep, PartsProgress

CAMPAIGN_SET = "campaigns"
COLUMNS = ("name", "smsc_recipienttype", "smsc_text", "_smsc_templateid_value", "smsc_smstype",
           "smsc_sender", "smsc_smsstatus", "smsc_action", "smsc_lastresult", "smsc_providerticket",
           "actualstart", "othercost", "smsc_closedon", "smsc_partstotal", "smsc_partsdone", "smsc_partsfailed",
           "smsc_cheapertext")
# Marketing-list member types (list.createdfromcode, campaign.smsc_recipienttype) -> the recipient table.
RECIPIENT_TABLES = {1: "account", 2: "contact", 4: "lead"}
MAX_RESULT = 2000          # smsc_lastresult's length


def campaign_from_row(row: dict[str, Any]) -> Campaign:
    start, closed_on = row.get("actualstart"), row.get("smsc_closedon")
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
        last_result=row.get("smsc_lastresult"), closed_on=parse_utc(closed_on) if closed_on else None,
        parts=_parts(row), cheaper_text=cheaper_choice(row.get("smsc_cheapertext")))


def _parts(row: dict[str, Any]) -> PartsProgress | None:
    total = row.get("smsc_partstotal")
    if total is None:
        return None
    return PartsProgress(int(total), int(row.get("smsc_partsdone") or 0), int(row.get("smsc_partsfailed") or 0))


def _parts_columns(parts: PartsProgress | None | Keep) -> dict[str, Any]:
    if parts is KEEP:
        return {}
    if parts is None:
        return {"smsc_partstotal": None, "smsc_partsdone": None, "smsc_partsfailed": None}
    return {"smsc_partstotal": parts.total, "smsc_partsdone": parts.done, "smsc_partsfailed": parts.failed}


def _columns(status: CampaignStatus | None, ticket: str | None | Keep, cost: float | None | Keep) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    if status is not None:
        columns["smsc_smsstatus"] = int(status)
    if ticket is not KEEP:
        columns["smsc_providerticket"] = ticket
    if cost is not KEEP:
        columns["othercost"] = cost
    return columns


def _closing_columns(start: datetime | Keep, rates: CampaignRates | Keep,
                     closed_on: datetime | Keep) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    if start is not KEEP:
        columns["actualstart"] = odata_utc(start)
    if rates is not KEEP:
        columns.update(smsc_deliveryrate=rates.delivery, smsc_replyrate=rates.reply)
    if closed_on is not KEEP:
        columns["smsc_closedon"] = odata_utc(closed_on)
    return columns


class DataverseCampaigns:
    def __init__(self, crm: Crm):
        self.crm = crm

    def get(self, campaign_id: str) -> Campaign:
        return campaign_from_row(self.crm.retrieve(CAMPAIGN_SET, campaign_id, select=COLUMNS))

    def move(self, campaign: Campaign, status: CampaignStatus, *, ticket: str | None | Keep = KEEP,
             cost: float | None | Keep = KEEP, parts: PartsProgress | None | Keep = KEEP,
             result: str | Keep = KEEP, start: datetime | Keep = KEEP) -> None:
        # ConcurrencyConflict (412) is a connector.errors.Conflict.
        columns = {**_columns(status, ticket, cost), **_parts_columns(parts), **_closing_columns(start, KEEP, KEEP)}
        if result is not KEEP:
            columns |= {"smsc_lastresult": result[:MAX_RESULT], "smsc_action": None}
        self.crm.update(CAMPAIGN_SET, campaign.id, columns, etag=campaign.etag)

    def record_parts(self, campaign: Campaign, parts: PartsProgress) -> None:
        self.crm.update(CAMPAIGN_SET, campaign.id, _parts_columns(parts), etag=campaign.etag)

    def sending(self, limit: int) -> list[Campaign]:
        rows = self.crm.retrieve_multiple(
            CAMPAIGN_SET, select=COLUMNS, top=limit, orderby="modifiedon asc",
            filter=f"smsc_smsstatus eq {int(CampaignStatus.SENDING)} and smsc_partstotal ne null")
        return [campaign_from_row(row) for row in rows]

    def in_construction_since(self, changed_before: datetime, limit: int) -> list[Campaign]:
        rows = self.crm.retrieve_multiple(
            CAMPAIGN_SET, select=COLUMNS, top=limit, orderby="modifiedon asc",
            filter=(f"smsc_smsstatus eq {int(CampaignStatus.IN_CONSTRUCTION)} and "
                    f"modifiedon le {odata_utc(changed_before)}"))
        return [campaign_from_row(row) for row in rows]

    def finish(self, campaign_id: str, result: str | None, *, status: CampaignStatus | None = None,
               ticket: str | None | Keep = KEEP, cost: float | None | Keep = KEEP,
               start: datetime | Keep = KEEP, rates: CampaignRates | Keep = KEEP,
               closed_on: datetime | Keep = KEEP, parts: PartsProgress | None | Keep = KEEP) -> None:
        columns = {**_columns(status, ticket, cost), **_closing_columns(start, rates, closed_on),
                   **_parts_columns(parts)}
        if result is not None:
            columns["smsc_lastresult"] = result[:MAX_RESULT]
        self.crm.update(CAMPAIGN_SET, campaign_id, {**columns, "smsc_action": None})

    def restore(self, campaign_id: str, status: CampaignStatus, *, ticket: str | None | Keep = KEEP,
                cost: float | None | Keep = KEEP) -> None:
        self.crm.update(CAMPAIGN_SET, campaign_id, _columns(status, ticket, cost))

    def due_for_closing(self, sent_before: datetime, limit: int) -> list[Campaign]:
        rows = self.crm.retrieve_multiple(
            CAMPAIGN_SET, select=COLUMNS, top=limit, orderby="actualstart asc",
            filter=(f"smsc_smsstatus eq {int(CampaignStatus.SENT)} and smsc_closedon eq null and "
                    f"actualstart ne null and actualstart le {odata_utc(sent_before)}"))
        return [campaign_from_row(row) for row in rows]

    def close(self, campaign_id: str, closed_on: datetime, rates: CampaignRates) -> None:
        self.crm.update(CAMPAIGN_SET, campaign_id, _closing_columns(KEEP, rates, closed_on))

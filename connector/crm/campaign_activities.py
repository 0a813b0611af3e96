"""A campaign's SMS activities (`smsc_textmessage`) behind the `CampaignActivities` port, created with
`CreateMultiple` (up to 1,000 rows an operation, several in one `$batch`: one operation for the service
per 1,000, far less work on both sides than a `$batch` of single creates) and cancelled in `$batch`
requests of up to 1,000. The idempotency key is an alternate key: a second create of the same
recipient's activity is refused (DuplicateRecord) and counts as already there. CreateMultiple is all
or nothing, so when it is refused — a resumed run meeting activities already written, or one row the
CRM will not take — the same rows go again as a `$batch` with continue-on-error, which writes the
others and says, row by row, which were already there."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from connector.activity import SmsStatus
from connector.crm import batch
from connector.crm.sms_activities import ACTIVITY_SET, ENCODING_CHOICE
from connector.clock import odata_utc
from connector.crm.campaigns import CAMPAIGN_SET
from connector.crm.port import Crm, CrmError, DuplicateRecord, PrivilegeDenied, Throttled
from connector.repositories.campaign_activities import ACTIVITIES_PER_CREATE, CampaignSms, ScheduledSms
from connector.repositories.campaigns import Campaign
from connector.sms.port import SmsType

BATCH = ACTIVITIES_PER_CREATE      # rows per CreateMultiple, and updates per `$batch`
ACTIVITY_TABLE = "smsc_textmessage"


def activity_row(campaign: Campaign, sms: CampaignSms, *, sms_type: SmsType, sender: str | None,
                 sent_at: str | None) -> dict[str, Any]:
    plural = f"{sms.table}s"
    return {
        "subject": campaign.name[:200] or "SMS", "description": sms.text,
        f"regardingobjectid_{sms.table}_smsc_textmessage@odata.bind": f"/{plural}({sms.record_id})",
        "smsc_textmessage_activity_parties": [
            {"participationtypemask": 2, f"partyid_{sms.table}@odata.bind": f"/{plural}({sms.record_id})"}],
        "smsc_CampaignId@odata.bind": f"/{CAMPAIGN_SET}({campaign.id})",
        "smsc_idempotencykey": sms.idempotency_key,
        "smsc_status": int(SmsStatus.SENT if sent_at else SmsStatus.SCHEDULED), "smsc_direction": 1,
        "smsc_phonenumber": sms.number, "smsc_smstype": int(sms_type), "smsc_sender": sender,
        "smsc_encoding": ENCODING_CHOICE[sms.encoding], "smsc_segments": sms.segments,
        "smsc_providermessageid": sms.provider_ticket, "actualend": sent_at,
        **({"smsc_cost": sms.cost} if sms.cost is not None else {}),      # a provider telling none: left empty
    }


def create_one_by_one(crm: Crm, rows: Sequence[dict[str, Any]], refusal: CrmError, *, from_create: int = 0) -> int:
    """After CreateMultiple refused `rows`: when the refusal is a row's (a 4xx: a key already there,
    a row the CRM will not take), the same rows as a `$batch` with continue-on-error; how many were
    refused for another reason than already being there. Otherwise (the CRM failing, or refusing
    the user) the refusal is raised."""
    if not 400 <= refusal.status < 500 or isinstance(refusal, (PrivilegeDenied, Throttled)):
        raise refusal
    rows = rows[from_create * BATCH:]       # the CreateMultiple operations before it were written
    results = [result for start in range(0, len(rows), BATCH)
               for result in crm.batch_create(ACTIVITY_SET, rows[start:start + BATCH])]
    return sum(1 for r in results if r.error is not None and not isinstance(r.error, DuplicateRecord))


def create_operations(rows: Sequence[dict[str, Any]]) -> list[batch.Request]:
    """The rows as `$batch` operations, a CreateMultiple per BATCH rows."""
    return [batch.create_multiple_request(ACTIVITY_SET, ACTIVITY_TABLE, rows[start:start + BATCH])
            for start in range(0, len(rows), BATCH)]


class DataverseCampaignActivities:
    def __init__(self, crm: Crm):
        self.crm = crm

    def create(self, campaign: Campaign, messages: Sequence[CampaignSms], *, sms_type: SmsType,
               sender: str | None, sent_at: datetime | None) -> int:
        stamp = odata_utc(sent_at) if sent_at else None
        rows = [activity_row(campaign, sms, sms_type=sms_type, sender=sender, sent_at=stamp) for sms in messages]
        if len(rows) <= BATCH:
            try:
                self.crm.create_multiple(ACTIVITY_SET, ACTIVITY_TABLE, rows)
                return 0
            except CrmError as refusal:
                return create_one_by_one(self.crm, rows, refusal)
        # More than one CreateMultiple: in one `$batch`, which stops at the first refused (keyed rows:
        # run twice, nothing is written twice).
        creates = create_operations(rows)
        answers = self.crm.run_batch(creates, repeatable=True)
        if (stopped := batch.first_refused(answers)) is not None:
            return create_one_by_one(self.crm, rows, stopped[1], from_create=stopped[0])
        if len(answers) < len(creates):
            raise CrmError(502, "", f"$batch answered {len(answers)} of {len(creates)} operations")
        return 0

    def scheduled(self, campaign_id: str) -> Iterator[ScheduledSms]:
        rows = self.crm.retrieve_multiple(ACTIVITY_SET, select=["smsc_providermessageid"], filter=(
            f"_smsc_campaignid_value eq {campaign_id} and smsc_status eq {int(SmsStatus.SCHEDULED)}"))
        return (ScheduledSms(row["activityid"], row.get("smsc_providermessageid")) for row in rows)

    def cancel(self, activity_ids: Sequence[str]) -> None:
        for start in range(0, len(activity_ids), BATCH):
            chunk = activity_ids[start:start + BATCH]
            self.crm.batch_update(ACTIVITY_SET, [(i, {"smsc_status": int(SmsStatus.CANCELLED)}) for i in chunk])

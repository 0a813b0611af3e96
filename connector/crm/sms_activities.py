"""The SMS activity table `smsc_textmessage` (DESIGN §4) behind the `SmsActivities` port."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from connector.activity import SmsStatus
from connector.clock import odata_utc, parse_utc
from connector.crm.choices import cheaper_choice
from connector.crm.odata import odata_literal
from connector.crm.port import Crm, entity_set
from connector.repositories.sms_activities import NewWorkflowSms, RowRef, SmsActivity
from connector.outgoing import ComposedSms

ACTIVITY_SET = "smsc_textmessages"
PARTIES = "smsc_textmessage_activity_parties"
PARTY_TO = 2            # activityparty.participationtypemask "To recipient"
LOOKUP_TABLE = "@Microsoft.Dynamics.CRM.lookuplogicalname"
COLUMNS = (
    "subject", "description", "scheduledend", "smsc_status", "smsc_smstype", "smsc_sender",
    "smsc_phonenumber", "smsc_idempotencykey", "_regardingobjectid_value", "_smsc_templateid_value",
    "_smsc_workflowid_value", "smsc_cheapertext",
)
EXPAND_PARTIES = f"{PARTIES}($select=participationtypemask,_partyid_value,addressused)"
RESUME_COLUMNS = COLUMNS + ("modifiedon",)
# The timers also read whose SMS it is (a failure is written in the owner's language) and the notice
# the request left (a quota warning), which the release writes again.
TIMER_COLUMNS = RESUME_COLUMNS + ("_ownerid_value", "smsc_error")
ENCODING_CHOICE = {"GSM-7": 1, "UCS-2": 2}
OUTGOING = 1            # smsc_direction
ERROR_LENGTH = 2000     # smsc_error's maximum length
SUBJECT_LENGTH = 200


def recipient_reference(row: Mapping[str, Any]) -> RowRef | None:
    """(table, id) of the `to` party, else of the regarding record."""
    for party in row.get(PARTIES) or []:
        if party.get("participationtypemask") == PARTY_TO and party.get("_partyid_value"):
            return RowRef(party[f"_partyid_value{LOOKUP_TABLE}"], party["_partyid_value"])
    if row.get("_regardingobjectid_value"):
        return RowRef(row["_regardingobjectid_value" + LOOKUP_TABLE], row["_regardingobjectid_value"])
    return None


def activity_from_row(row: Mapping[str, Any], activity_id: str | None = None) -> SmsActivity:
    due, modified = row.get("scheduledend"), row.get("modifiedon")
    return SmsActivity(
        id=activity_id or row["activityid"], etag=row.get("@odata.etag"), status=row.get("smsc_status"),
        subject=row.get("subject"), text=row.get("description"), phone_number=row.get("smsc_phonenumber"),
        sms_type=row.get("smsc_smstype"), sender=row.get("smsc_sender"), due=parse_utc(due) if due else None,
        idempotency_key=row.get("smsc_idempotencykey"), recipient=recipient_reference(row),
        template_id=row.get("_smsc_templateid_value"), workflow_id=row.get("_smsc_workflowid_value"),
        modified_on=parse_utc(modified) if modified else None, ticket=row.get("smsc_providermessageid"),
        owner_id=row.get("_ownerid_value"), error=row.get("smsc_error"),
        cheaper_text=cheaper_choice(row.get("smsc_cheapertext")))


def taken(sms: ComposedSms, key: str, hold_until: datetime | None = None) -> dict[str, Any]:
    """The take: status Sending plus what will be sent, in one conditional write; held by the
    connector (Scheduled) until `hold_until`, the due date then saying when it leaves."""
    held = {"scheduledend": odata_utc(hold_until)} if hold_until is not None else {}
    status = SmsStatus.SCHEDULED if hold_until is not None else SmsStatus.SENDING
    return held | {
        "smsc_status": int(status), "smsc_idempotencykey": key,
        "smsc_phonenumber": sms.phone_number, "description": sms.text,
        "smsc_smstype": int(sms.sms_type), "smsc_sender": sms.sender,
        "smsc_encoding": ENCODING_CHOICE[sms.stats.encoding], "smsc_segments": sms.stats.segments,
        "smsc_error": sms.notice[:ERROR_LENGTH] if sms.notice else None,
    }


def regarding_bind(record: RowRef) -> dict[str, str]:
    """The activity's regarding record, bound through the table's own navigation property."""
    address = f"/{entity_set(record.table)}({record.id})"
    return {f"regardingobjectid_{record.table}_smsc_textmessage@odata.bind": address}


def party(mask: int, record: RowRef) -> dict[str, Any]:
    """One activity party (`to`, `from`…: participationtypemask) on a record."""
    address = f"/{entity_set(record.table)}({record.id})"
    return {"participationtypemask": mask, f"partyid_{record.table}@odata.bind": address}


def workflow_sms_body(sms: NewWorkflowSms) -> dict[str, Any]:
    status = SmsStatus.FAILED if sms.error else SmsStatus.SEND_REQUESTED
    body: dict[str, Any] = {
        "subject": sms.subject[:SUBJECT_LENGTH], "description": sms.text, "smsc_status": int(status),
        "smsc_direction": OUTGOING, "smsc_smstype": int(sms.sms_type), "smsc_idempotencykey": sms.idempotency_key,
        "smsc_WorkflowId@odata.bind": f"/smsc_workflows({sms.workflow_id})"}
    if sms.sender:
        body["smsc_sender"] = sms.sender
    if sms.error:
        body["smsc_error"] = sms.error[:ERROR_LENGTH]
    if sms.regarding is not None:
        body |= regarding_bind(sms.regarding)
    if sms.to is not None:
        body[PARTIES] = [party(PARTY_TO, sms.to)]
    return body


class DataverseSmsActivities:
    def __init__(self, crm: Crm):
        self.crm = crm

    def get(self, activity_id: str) -> SmsActivity:
        row = self.crm.retrieve(ACTIVITY_SET, activity_id, select=COLUMNS, expand=EXPAND_PARTIES)
        return activity_from_row(row, activity_id)

    def take(self, activity: SmsActivity, sms: ComposedSms, key: str, *, hold_until: datetime | None = None) -> None:
        self.crm.update(ACTIVITY_SET, activity.id, taken(sms, key, hold_until), etag=activity.etag or "*")

    def take_state(self, activity_id: str) -> SmsActivity:
        row = self.crm.retrieve(ACTIVITY_SET, activity_id,
                                select=["smsc_status", "smsc_idempotencykey", "smsc_providermessageid"])
        return SmsActivity(activity_id, etag=row.get("@odata.etag"), status=row.get("smsc_status"),
                           idempotency_key=row.get("smsc_idempotencykey"), ticket=row.get("smsc_providermessageid"))

    def mark_sent(self, activity_id: str, ticket: str | None, cost: float | None, sent_on: datetime) -> None:
        self.crm.update(ACTIVITY_SET, activity_id, {
            "smsc_status": int(SmsStatus.SENT), "smsc_providermessageid": ticket, "smsc_cost": cost,
            "actualend": odata_utc(sent_on)})


    def fail(self, activity_id: str, etag: str | None, reason: str, *, keep_key: bool) -> None:
        body: dict[str, Any] = {"smsc_status": int(SmsStatus.FAILED), "smsc_error": reason[:ERROR_LENGTH]}
        if not keep_key:
            body["smsc_idempotencykey"] = None
        self.crm.update(ACTIVITY_SET, activity_id, body, etag=etag or "*")

    def stuck_sending(self, modified_before: datetime, limit: int = 500) -> Sequence[SmsActivity]:
        query = (f"smsc_status eq {int(SmsStatus.SENDING)} and modifiedon lt {odata_utc(modified_before)}"
                 " and _smsc_campaignid_value eq null")
        rows = self.crm.retrieve_multiple(ACTIVITY_SET, select=RESUME_COLUMNS, filter=query,
                                          orderby="modifiedon asc", top=limit)
        return [activity_from_row(row) for row in rows]

    def due_scheduled(self, now: datetime, page_size: int = 500) -> Iterable[SmsActivity]:
        query = (f"smsc_status eq {int(SmsStatus.SCHEDULED)} and smsc_providermessageid eq null"
                 f" and scheduledend le {odata_utc(now)} and _smsc_campaignid_value eq null")
        rows = self.crm.retrieve_multiple(ACTIVITY_SET, select=TIMER_COLUMNS, filter=query,
                                          orderby="scheduledend asc", page_size=page_size)
        return (activity_from_row(row) for row in rows)

    def left_requested(self, modified_before: datetime, page_size: int = 500) -> Iterable[SmsActivity]:
        query = (f"smsc_status eq {int(SmsStatus.SEND_REQUESTED)} and modifiedon lt {odata_utc(modified_before)}"
                 " and _smsc_campaignid_value eq null")
        rows = self.crm.retrieve_multiple(ACTIVITY_SET, select=TIMER_COLUMNS, filter=query,
                                          orderby="modifiedon asc", page_size=page_size)
        return (activity_from_row(row) for row in rows)

    def undo_cancel(self, activity: SmsActivity, status: int, reason: str) -> None:
        self.crm.update(ACTIVITY_SET, activity.id, {"smsc_status": int(status), "smsc_error": reason[:ERROR_LENGTH]},
                        etag=activity.etag or "*")

    def claim(self, activity: SmsActivity) -> None:
        self.crm.update(ACTIVITY_SET, activity.id, {"smsc_error": None}, etag=activity.etag or "*")

    def create_workflow_sms(self, sms: NewWorkflowSms) -> str:
        return self.crm.create(ACTIVITY_SET, workflow_sms_body(sms))

    def find_by_key(self, key: str) -> SmsActivity | None:
        rows = self.crm.retrieve_multiple(ACTIVITY_SET, select=["activityid", "smsc_status"],
                                          filter=f"smsc_idempotencykey eq {odata_literal(key)}", top=1)
        row = next(iter(rows), None)
        return SmsActivity(row["activityid"], etag=row.get("@odata.etag"), status=row.get("smsc_status")) \
            if row else None

    def reopen(self, activity: SmsActivity, text: str) -> None:
        self.crm.update(ACTIVITY_SET, activity.id, {
            "smsc_status": int(SmsStatus.SEND_REQUESTED), "description": text, "smsc_error": None},
            etag=activity.etag or "*")

    def keep_key(self, activity_id: str, key: str) -> None:
        self.crm.update(ACTIVITY_SET, activity_id, {"smsc_idempotencykey": key})

    def find_by_ticket(self, ticket: str, phone_number: str) -> SmsActivity | None:
        query = (f"smsc_providermessageid eq {odata_literal(ticket)}"
                 f" and smsc_phonenumber eq {odata_literal(phone_number)}")
        rows = self.crm.retrieve_multiple(ACTIVITY_SET, select=RESUME_COLUMNS + ("smsc_providermessageid",),
                                          filter=query, expand=EXPAND_PARTIES, top=1)
        row = next(iter(rows), None)
        return activity_from_row(row) if row else None

"""SMS activities and STOP opt-outs of a past period for the Dataverse emulator (statistics tests and
benchmarks): straight into SQLite in one transaction, shaped as the Web API writer stores them
(audit columns, owner, lookups with their hidden table names), `createdon` as given.

`SeededSms` says what each activity is; the same list lets a test count by hand what the CRM's
aggregates must answer.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from .dataverse_columns import set_lookup


@dataclass(frozen=True)
class SeededSms:
    created: datetime
    status: int                     # 5 Sent, 6 Delivered, 7 Undeliverable, 8 Failed, 10 Received
    owner: str                      # systemuserid
    number: str = "+33600000001"
    direction: int = 1              # 1 Outgoing, 2 Incoming
    segments: int = 1
    cost: float | None = None
    sms_type: int | None = None     # 1 Marketing, 2 Transactional
    template: str | None = None     # smsc_smstemplateid
    campaign: str | None = None     # campaignid


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sms_row(sms: SeededSms) -> tuple[str, dict]:
    activity_id = str(uuid.uuid4())
    stamp = _stamp(sms.created)
    data = {"activityid": activity_id, "subject": "SMS", "smsc_status": sms.status,
            "smsc_direction": sms.direction, "smsc_segments": sms.segments, "smsc_cost": sms.cost,
            "smsc_smstype": sms.sms_type, "smsc_phonenumber": sms.number,
            "statecode": 1, "statuscode": 2, "activitytypecode": "smsc_textmessage",
            "createdon": stamp, "modifiedon": stamp}
    for key in ("_createdby_value", "_modifiedby_value", "_ownerid_value"):
        set_lookup(data, key, sms.owner, "systemuser")
    set_lookup(data, "_smsc_templateid_value", sms.template, "smsc_smstemplate" if sms.template else None)
    set_lookup(data, "_smsc_campaignid_value", sms.campaign, "campaign" if sms.campaign else None)
    return activity_id, data


def seed_sms(emulator, rows: Iterable[SeededSms]) -> None:
    emulator.store.insert_many("smsc_textmessages", (sms_row(sms) for sms in rows))


def seed_stops(emulator, stops: Iterable[tuple[str, datetime]], owner: str) -> None:
    """STOP opt-outs (reason STOP, active) of these numbers, created at these instants."""
    def row(number: str, created: datetime) -> tuple[str, dict]:
        optout_id, stamp = str(uuid.uuid4()), _stamp(created)
        data = {"smsc_optoutid": optout_id, "smsc_phonenumber": number, "smsc_reason": 1, "smsc_active": True,
                "createdon": stamp, "modifiedon": stamp}
        for key in ("_createdby_value", "_modifiedby_value", "_ownerid_value"):
            set_lookup(data, key, owner, "systemuser")
        return optout_id, data

    emulator.store.insert_many("smsc_optouts", (row(number, created) for number, created in stops))

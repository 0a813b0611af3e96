"""The SMS activity table `smsc_textmessage` (DESIGN §4): its choices and how we read it."""
from __future__ import annotations

import enum

ACTIVITY_SET = "smsc_textmessages"
PARTIES = "smsc_textmessage_activity_parties"
PARTY_TO = 2            # activityparty.participationtypemask "To recipient"
LOOKUP_TABLE = "@Microsoft.Dynamics.CRM.lookuplogicalname"

COLUMNS = (
    "subject", "description", "scheduledend", "smsc_status", "smsc_smstype", "smsc_sender",
    "smsc_phonenumber", "smsc_idempotencykey", "_regardingobjectid_value", "_smsc_templateid_value",
    "_smsc_workflowid_value",
)
EXPAND_PARTIES = f"{PARTIES}($select=participationtypemask,_partyid_value,addressused)"


class SmsStatus(enum.IntEnum):
    DRAFT = 1
    SEND_REQUESTED = 2
    SENDING = 3
    SCHEDULED = 4
    SENT = 5
    DELIVERED = 6
    UNDELIVERABLE = 7
    FAILED = 8
    CANCELLED = 9
    RECEIVED = 10


ENCODING_CHOICE = {"GSM-7": 1, "UCS-2": 2}


def recipient_reference(activity: dict) -> tuple[str, str] | None:
    """(table, id) of the `to` party, else of the regarding record."""
    for party in activity.get(PARTIES) or []:
        if party.get("participationtypemask") == PARTY_TO and party.get("_partyid_value"):
            return party[f"_partyid_value{LOOKUP_TABLE}"], party["_partyid_value"]
    if activity.get("_regardingobjectid_value"):
        return activity["_regardingobjectid_value" + LOOKUP_TABLE], activity["_regardingobjectid_value"]
    return None


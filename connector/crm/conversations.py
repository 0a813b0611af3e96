"""Conversations behind the `Conversations` port: outgoing and incoming SMS activities
(`smsc_textmessage`, DESIGN §4), and the contacts and leads a mobile number belongs to."""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from connector.activity import SmsStatus
from connector.clock import odata_utc, parse_utc
from connector.crm.campaigns import CAMPAIGN_SET
from connector.crm.odata import odata_literal
from connector.crm.port import Crm, entity_set
from connector.crm.sms_activities import (ACTIVITY_SET, EXPAND_PARTIES, LOOKUP_TABLE, PARTIES, PARTY_TO, party,
                                         regarding_bind)
from connector.repositories.conversations import IncomingSms, OutgoingSms
from connector.repositories.sms_activities import RowRef

OUTGOING, INCOMING = 1, 2       # smsc_direction
PARTY_FROM = 1                  # activityparty.participationtypemask "Sender"
SUBJECT_LENGTH = 200
CAMPAIGN_NAV = "smsc_CampaignId"
OUTGOING_COLUMNS = ("activityid", "actualend", "createdon", "smsc_phonenumber", "smsc_providermessageid",
                    "_regardingobjectid_value", "_smsc_campaignid_value")
# Campaign SMS that left without an actualend of their own: Scheduled, or already reported on.
RELEASED = (SmsStatus.SCHEDULED, SmsStatus.DELIVERED, SmsStatus.UNDELIVERABLE)
RELEASED_ROWS = 5
DEFERRED_MARGIN = timedelta(days=31)
# Who a number belongs to: active contacts, open leads (statecode 0 both).
MOBILE_TABLES = (("contact", "contactid"), ("lead", "leadid"))


def _ref(row: Mapping[str, Any], column: str) -> RowRef | None:
    value = row.get(column)
    table = row.get(column + LOOKUP_TABLE)
    return RowRef(table, value) if value and table else None


def _date(value: str | None) -> datetime | None:
    return parse_utc(value) if value else None


def outgoing_from_row(row: Mapping[str, Any]) -> OutgoingSms:
    recipient = next((_ref(party, "_partyid_value") for party in row.get(PARTIES) or []
                      if party.get("participationtypemask") == PARTY_TO and party.get("_partyid_value")), None)
    campaign = row.get(CAMPAIGN_NAV) or {}
    started = _date(campaign.get("actualstart"))
    # A campaign SMS released later has no actualend: sent at its campaign's start, else when written.
    sent = _date(row.get("actualend")) or started or _date(row.get("createdon"))
    assert sent is not None, "Dataverse always writes createdon"
    return OutgoingSms(
        id=row["activityid"], number=row.get("smsc_phonenumber") or "", sent_on=sent,
        regarding=_ref(row, "_regardingobjectid_value"), recipient=recipient,
        campaign_id=row.get("_smsc_campaignid_value"), campaign_closed_on=_date(campaign.get("smsc_closedon")),
        ticket=row.get("smsc_providermessageid"), campaign_started_on=started)


def incoming_row(sms: IncomingSms) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": sms.subject[:SUBJECT_LENGTH], "description": sms.text, "smsc_phonenumber": sms.number,
        "smsc_direction": INCOMING, "smsc_status": int(SmsStatus.RECEIVED),
        "smsc_idempotencykey": sms.idempotency_key, "actualend": odata_utc(sms.received_on),
    }
    if sms.regarding is not None:
        body |= regarding_bind(sms.regarding)
    if sms.sender is not None:
        body[PARTIES] = [party(PARTY_FROM, sms.sender)]
    if sms.campaign_id:
        body[f"{CAMPAIGN_NAV}@odata.bind"] = f"/{CAMPAIGN_SET}({sms.campaign_id})"
    return body


class DataverseConversations:
    def __init__(self, crm: Crm):
        self.crm = crm

    def latest_outgoing(self, number: str, sent_since: datetime, *, ticket: str | None = None) -> OutgoingSms | None:
        # Unit SMS created on a form may lack the direction (the column's default applies in the CRM).
        base = (f"smsc_phonenumber eq {odata_literal(number)}"
                f" and (smsc_direction eq {OUTGOING} or smsc_direction eq null)")
        if ticket:
            base += f" and smsc_providermessageid eq {odata_literal(ticket)}"
        # Send times are to the second: of two SMS sent within one, the later created is the one answered.
        stamped = self._outgoing(f"{base} and actualend ge {odata_utc(sent_since)}", "actualend desc,createdon desc", 1)
        # Campaign SMS released after their activity was written (deferred start, quiet times) keep no
        # actualend; a deferred start may be weeks after the validate, hence the margin on createdon.
        released = self._outgoing(
            f"{base} and actualend eq null and _smsc_campaignid_value ne null"
            f" and ({' or '.join(f'smsc_status eq {int(s)}' for s in RELEASED)})"
            f" and createdon ge {odata_utc(sent_since - DEFERRED_MARGIN)}", "createdon desc", RELEASED_ROWS)
        now = datetime.now(timezone.utc)
        found = [sms for sms in (*stamped, *released) if sent_since <= sms.sent_on <= now]
        return max(found, key=lambda sms: sms.sent_on, default=None)

    def _outgoing(self, condition: str, orderby: str, top: int) -> list[OutgoingSms]:
        rows = self.crm.retrieve_multiple(
            ACTIVITY_SET, select=OUTGOING_COLUMNS, filter=condition, orderby=orderby, top=top,
            expand=f"{EXPAND_PARTIES},{CAMPAIGN_NAV}($select=smsc_closedon,actualstart)")
        return [outgoing_from_row(row) for row in rows]

    def find_incoming(self, idempotency_key: str) -> str | None:
        rows = self.crm.retrieve_multiple(ACTIVITY_SET, select=["activityid"], top=1,
                                          filter=f"smsc_idempotencykey eq {odata_literal(idempotency_key)}")
        row = next(iter(rows), None)
        return row["activityid"] if row else None

    def create_incoming(self, sms: IncomingSms) -> str:
        return self.crm.create(ACTIVITY_SET, incoming_row(sms))     # DuplicateRecord (a Conflict): key taken

    def records_with_mobile(self, written_forms: Collection[str], limit: int = 3) -> Sequence[tuple[RowRef, str]]:
        forms = sorted(set(written_forms))
        if not forms:
            return []
        either = " or ".join(f"mobilephone eq {odata_literal(form)}" for form in forms)
        found: list[tuple[RowRef, str]] = []
        for table, key in MOBILE_TABLES:
            rows = self.crm.retrieve_multiple(entity_set(table), select=[key, "mobilephone"], top=limit,
                                              filter=f"statecode eq 0 and ({either})")
            found += [(RowRef(table, row[key]), row.get("mobilephone") or "") for row in rows]
        return found[:limit]

    def create_lead(self, number: str) -> RowRef:
        return RowRef("lead", self.crm.create(entity_set("lead"), {"lastname": number, "mobilephone": number}))

"""Campaign and part leases (connector.repositories.leases) as rows of the send ledger `smsc_sendledger`.

A lease row is addressed by its alternate key `smsc_requestid` = `lease-<ticket>-p<part>` (never a
provider request id, so it cannot collide with the ledger's request rows). It is read with its ETag
and replaced with `If-Match: <that ETag>`; it is created with a POST carrying its alternate key, which
Dataverse refuses when the key exists (as `If-None-Match: *` would): either way a second taker loses.

Columns: owner and expiry (`smsc_leaseowner`, `smsc_leaseexpires`), the state (`smsc_state`: 1 Reserved
= free, 2 Sending = held, 3 Accepted = done, 4 Refused = failed), the part's SMS count in
`smsc_recipients`, and, in the name, a small JSON of what the ledger has no column for: the refused
activities, the late opt-outs, the failure reason, the user who validated.
"""
from __future__ import annotations

import json
import dataclasses
from typing import Any

from connector.clock import odata_utc, parse_utc
from connector.crm.odata import odata_literal
from connector.crm.port import Crm
from connector.repositories.leases import Lease, LeaseKey, LeaseState, PartOutcome

LEDGER_SET = "smsc_sendledgers"
COLUMNS = ("smsc_sendledgerid", "smsc_name", "_smsc_campaignid_value", "smsc_part", "smsc_requestid",
           "smsc_recipients", "smsc_state", "smsc_leaseowner", "smsc_leaseexpires")
NAME_LENGTH = 200           # smsc_name's maximum length (solution/tables.py)
REASON_LENGTH = 120


def _details(lease: Lease) -> str:
    """The name: JSON within NAME_LENGTH, dropping opted-out numbers (their count stays) and
    shortening the reason until it fits."""
    outcome = lease.outcome
    numbers = list(outcome.opted_out_numbers) if outcome else []
    reason = lease.reason or ""
    if len(reason) > REASON_LENGTH:
        reason = reason[:REASON_LENGTH - 1].rstrip() + "…"
    while True:
        details: dict[str, Any] = {"lease": lease.key.part}
        if lease.user_id:
            details["user"] = lease.user_id
        if outcome:
            details.update(refused=outcome.refused_activities, optouts=outcome.opted_out, numbers=numbers)
        if reason:
            details["reason"] = reason
        text = json.dumps(details, ensure_ascii=False, separators=(",", ":"))
        if len(text) <= NAME_LENGTH:
            return text
        if numbers:
            numbers.pop()
        elif len(reason) > 12:
            reason = reason[:-12].rstrip() + "…"
        else:                       # cannot be: the other details are short; unreadable rather than too long
            return text[:NAME_LENGTH]


def lease_from_row(row: dict[str, Any], key: LeaseKey) -> Lease:
    try:
        details = json.loads(row.get("smsc_name") or "{}")
    except ValueError:
        details = {}
    details = details if isinstance(details, dict) else {}
    state = LeaseState(row.get("smsc_state") or LeaseState.FREE)
    outcome = None
    if state == LeaseState.DONE and key.part:
        outcome = PartOutcome(int(row.get("smsc_recipients") or 0), int(details.get("refused") or 0),
                              int(details.get("optouts") or 0), tuple(details.get("numbers") or ()))
    expires = row.get("smsc_leaseexpires")
    return Lease(key, state, row.get("smsc_leaseowner"), parse_utc(expires) if expires else None,
                 details.get("user"), outcome, details.get("reason"), row.get("@odata.etag", "*"),
                 row.get("smsc_sendledgerid"))


def _row(lease: Lease) -> dict[str, Any]:
    return {"smsc_name": _details(lease), "smsc_state": int(lease.state), "smsc_leaseowner": lease.owner,
            "smsc_leaseexpires": odata_utc(lease.expires) if lease.expires else None,
            "smsc_recipients": lease.outcome.messages if lease.outcome else None}


class DataverseLeases:
    def __init__(self, crm: Crm):
        self.crm = crm

    def read(self, key: LeaseKey) -> Lease | None:
        rows = list(self.crm.retrieve_multiple(LEDGER_SET, select=COLUMNS, top=1,
                                               filter=f"smsc_requestid eq {odata_literal(key.request_id)}"))
        return lease_from_row(rows[0], key) if rows else None

    def of_campaign(self, campaign_id: str, ticket: str) -> list[Lease]:
        prefix = odata_literal(f"lease-{ticket}-p")
        rows = self.crm.retrieve_multiple(LEDGER_SET, select=COLUMNS, orderby="smsc_part asc", filter=(
            f"_smsc_campaignid_value eq {campaign_id} and startswith(smsc_requestid,{prefix})"))
        return [lease_from_row(row, LeaseKey(campaign_id, ticket, int(row.get("smsc_part") or 0))) for row in rows]

    def create(self, lease: Lease, *, final: bool = False) -> Lease:
        # The alternate key makes a second create a DuplicateRecord (a connector.errors.Conflict).
        key = lease.key
        body = {**_row(lease), "smsc_requestid": key.request_id, "smsc_part": key.part,
                "smsc_CampaignId@odata.bind": f"/campaigns({key.campaign_id})"}
        if final:
            return self._reread(lease, self.crm.create(LEDGER_SET, body), final)
        row = self.crm.create_returning(LEDGER_SET, body, ["smsc_sendledgerid"])    # with its ETag: no read
        return dataclasses.replace(lease, etag=row.get("@odata.etag", "*"), id=row["smsc_sendledgerid"])

    def replace(self, lease: Lease, *, final: bool = False) -> Lease:
        if lease.id is None:
            raise ValueError("a lease is replaced once read")
        # ConcurrencyConflict (412) is a connector.errors.Conflict: someone wrote it since it was read.
        self.crm.update(LEDGER_SET, lease.id, _row(lease), etag=lease.etag)
        return self._reread(lease, lease.id, final)

    def _reread(self, lease: Lease, row_id: str, final: bool) -> Lease:
        """The row as written, with its new ETag (the next write is conditional on it; none after a final one)."""
        if final:
            return Lease(lease.key, lease.state, lease.owner, lease.expires, lease.user_id, lease.outcome,
                         lease.reason, "*", row_id)
        row = self.crm.retrieve(LEDGER_SET, row_id, select=["smsc_sendledgerid"])
        return Lease(lease.key, lease.state, lease.owner, lease.expires, lease.user_id, lease.outcome,
                     lease.reason, row.get("@odata.etag", "*"), row_id)


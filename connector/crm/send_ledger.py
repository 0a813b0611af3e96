"""The send ledger table `smsc_sendledger` (DESIGN §4) behind the `SendLedger` port.

Every write addresses the row by its alternate key `smsc_requestid` (an upsert): the Reserved entry
written before a send creates the row, the outcome written right after updates the same row, and a
run that retries either write cannot make a second one. A Reserved write carries no ticket, so it
never erases one a faster writer recorded."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connector.crm.campaigns import CAMPAIGN_SET
from connector.crm.odata import odata_literal
from connector.crm.port import Crm, Record
from connector.repositories.send_ledger import LedgerEntry, LedgerState

LEDGER_SET = "smsc_sendledgers"
COLUMNS = ("smsc_requestid", "smsc_part", "smsc_window", "smsc_recipients", "smsc_state", "smsc_ticket",
           "smsc_error", "_smsc_campaignid_value")
ERROR_LENGTH = 2000


def request_key(request_id: str) -> str:
    return f"smsc_requestid={odata_literal(request_id)}"


def ledger_row(entry: LedgerEntry) -> dict[str, Any]:
    row: dict[str, Any] = {
        "smsc_name": entry.request_id, "smsc_CampaignId@odata.bind": f"/{CAMPAIGN_SET}({entry.campaign_id})",
        "smsc_part": entry.part, "smsc_window": entry.window, "smsc_recipients": entry.recipients,
        "smsc_state": int(entry.state), "smsc_error": (entry.error or "")[:ERROR_LENGTH] or None,
    }
    if entry.ticket is not None:
        row["smsc_ticket"] = entry.ticket
    return row


def ledger_entry(row: Record) -> LedgerEntry:
    return LedgerEntry(row.get("_smsc_campaignid_value") or "", int(row.get("smsc_part") or 0),
                       int(row.get("smsc_window") or 0), row["smsc_requestid"], int(row.get("smsc_recipients") or 0),
                       LedgerState(row.get("smsc_state") or LedgerState.RESERVED), row.get("smsc_ticket") or None,
                       row.get("smsc_error") or None)


class DataverseSendLedger:
    def __init__(self, crm: Crm):
        self.crm = crm

    def part_entries(self, campaign_id: str, part: int) -> list[LedgerEntry]:
        rows = self.crm.retrieve_multiple(LEDGER_SET, select=list(COLUMNS), filter=(
            f"_smsc_campaignid_value eq {campaign_id} and smsc_part eq {int(part)}"))
        return [ledger_entry(row) for row in rows if row.get("smsc_requestid")]

    def write(self, entries: Sequence[LedgerEntry]) -> None:
        if len(entries) == 1:
            self.crm.upsert(LEDGER_SET, request_key(entries[0].request_id), ledger_row(entries[0]))
            return
        if not entries:
            return
        results = self.crm.batch_upsert(LEDGER_SET, [(request_key(e.request_id), ledger_row(e)) for e in entries])
        for result in results:
            if result.error is not None:        # nothing may be sent on the account of an unwritten entry
                raise result.error

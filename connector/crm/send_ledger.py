"""The send ledger table `smsc_sendledger` (DESIGN §4) behind the `SendLedger` port.

Every write addresses the row by its alternate key `smsc_requestid` (an upsert): the Reserved entry
written before a send creates the row, the outcome written right after updates the same row, and a
run that retries either write cannot make a second one. A Reserved write carries no ticket, so it
never erases one a faster writer recorded.

A window's outcomes, its SMS activities (a CreateMultiple per 1,000) and its Written entry go in one `$batch`
without continue-on-error: Dataverse runs its operations in order and stops at the first that fails,
so the activities are never written before the tickets they carry are recorded. Only when the
activities are written as the ledger's own user (the app): the batch has one caller."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from connector.clock import odata_utc
from connector.crm import batch
from connector.crm.campaign_activities import activity_row, create_one_by_one, create_operations
from connector.crm.campaigns import CAMPAIGN_SET
from connector.crm.odata import odata_literal
from connector.crm.port import Crm, Record
from connector.repositories.send_ledger import EntriesUnwritten, LedgerEntry, LedgerState, WindowActivities

LEDGER_SET = "smsc_sendledgers"
COLUMNS = ("smsc_requestid", "smsc_part", "smsc_window", "smsc_recipients", "smsc_state", "smsc_ticket",
           "smsc_error", "_smsc_campaignid_value")
ERROR_LENGTH = 2000


def request_key(request_id: str) -> str:
    return f"smsc_requestid={odata_literal(request_id)}"


def _address(entry: LedgerEntry) -> str:
    """The entry's key as it goes in a URL inside a `$batch` (as the client's own upserts encode it)."""
    return quote(request_key(entry.request_id), safe="='")


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
    def __init__(self, crm: Crm, *, activities_crm: Crm | None = None):
        # activities_crm: the client the campaign's activities are written with (None: this one)
        self.crm = crm
        self.combines = activities_crm is None or activities_crm is crm

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

    def record_window(self, entries: Sequence[LedgerEntry], activities: WindowActivities,
                      written: LedgerEntry) -> int | None:
        if not self.combines:
            try:
                self.write(entries)
            except Exception as unwritten:
                raise EntriesUnwritten(str(unwritten)) from unwritten
            return None
        stamp = odata_utc(activities.sent_at)
        rows = [activity_row(activities.campaign, sms, sms_type=activities.sms_type, sender=activities.sender,
                             sent_at=stamp) for sms in activities.messages]
        creates = create_operations(rows)
        operations = [*batch.upsert_requests(LEDGER_SET, [(_address(e), ledger_row(e)) for e in entries]), *creates,
                      *batch.upsert_requests(LEDGER_SET, [(_address(written), ledger_row(written))])]
        try:        # upserts by key and keyed creates: run twice, nothing is written twice
            answers = self.crm.run_batch(operations, repeatable=True)
        except Exception as unsent:
            raise EntriesUnwritten(str(unsent)) from unsent
        stopped = batch.first_refused(answers)
        if stopped is None and len(answers) == len(operations):
            return 0
        if stopped is None:
            raise EntriesUnwritten(f"$batch answered {len(answers)} of {len(operations)} operations")
        failed, error = stopped
        if failed < len(entries):
            raise EntriesUnwritten(str(error)) from error
        if failed >= len(entries) + len(creates):   # the Written entry: the activities are there, a resume sees them
            raise error
        # A create refused (a resumed run meets its keys): its rows and the ones after it, one by one.
        refused = create_one_by_one(self.crm, rows, error, from_create=failed - len(entries))
        self.write([written])
        return refused

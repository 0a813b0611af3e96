"""The opt-out table `smsc_optout` (DESIGN §4) behind the `OptOuts` port.

Writes go through the alternate key `smsc_phonenumber` (an upsert), so one row per number holds
whoever writes first and a STOP arriving twice cannot make two rows."""
from __future__ import annotations

from collections.abc import Iterator, Sequence

from connector.crm.odata import odata_literal
from connector.crm.port import Crm
from connector.repositories.optouts import OptOut, OptOutReason

OPTOUT_SET = "smsc_optouts"
BATCH_SIZE = 1000           # operations per `$batch`, the most Dataverse takes


def number_key(e164: str) -> str:
    return f"smsc_phonenumber={odata_literal(e164)}"


class DataverseOptOuts:
    def __init__(self, crm: Crm):
        self.crm = crm

    def is_opted_out(self, e164: str) -> bool:
        rows = self.crm.retrieve_multiple(
            OPTOUT_SET, select=["smsc_optoutid"], top=1,
            filter=f"smsc_phonenumber eq {odata_literal(e164)} and smsc_active eq true")
        return next(iter(rows), None) is not None

    def active_numbers(self) -> Iterator[str]:
        rows = self.crm.retrieve_multiple(OPTOUT_SET, select=["smsc_phonenumber"], filter="smsc_active eq true")
        return (row["smsc_phonenumber"] for row in rows if row.get("smsc_phonenumber"))

    def find(self, e164: str) -> OptOut | None:
        rows = self.crm.retrieve_multiple(OPTOUT_SET, select=["smsc_phonenumber", "smsc_reason", "smsc_active"],
                                          filter=f"smsc_phonenumber eq {odata_literal(e164)}", top=1)
        row = next(iter(rows), None)
        if row is None:
            return None
        return OptOut(e164, OptOutReason(row.get("smsc_reason") or OptOutReason.MANUAL), bool(row.get("smsc_active")))

    def opt_out(self, e164: str, reason: OptOutReason) -> None:
        self.crm.upsert(OPTOUT_SET, number_key(e164), {"smsc_active": True, "smsc_reason": int(reason)})

    def lift(self, e164: str) -> None:
        if self.find(e164) is not None:
            self.crm.upsert(OPTOUT_SET, number_key(e164), {"smsc_active": False})

    def opt_out_many(self, numbers: Sequence[str], reason: OptOutReason) -> dict[str, str]:
        refused: dict[str, str] = {}
        body = {"smsc_active": True, "smsc_reason": int(reason)}
        for start in range(0, len(numbers), BATCH_SIZE):
            chunk = numbers[start:start + BATCH_SIZE]
            results = self.crm.batch_upsert(OPTOUT_SET, [(number_key(n), body) for n in chunk])
            refused |= {n: result.error.message for n, result in zip(chunk, results) if result.error is not None}
        return refused

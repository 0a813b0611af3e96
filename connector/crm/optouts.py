"""The opt-out table `smsc_optout` (DESIGN §4) behind the `OptOuts` port."""
from __future__ import annotations

from collections.abc import Iterator

from connector.crm.odata import odata_literal
from connector.crm.port import Crm

OPTOUT_SET = "smsc_optouts"


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

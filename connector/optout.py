"""The opt-out list `smsc_optout` (STOP replies, undeliverable numbers, manual entries)."""
from __future__ import annotations

from connector.crm.port import Crm

OPTOUT_SET = "smsc_optouts"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def is_opted_out(crm: Crm, e164: str) -> bool:
    rows = crm.retrieve_multiple(
        OPTOUT_SET, select=["smsc_optoutid"], top=1,
        filter=f"smsc_phonenumber eq {_literal(e164)} and smsc_active eq true")
    return next(iter(rows), None) is not None

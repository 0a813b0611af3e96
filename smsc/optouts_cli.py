"""`smsc optouts show NUMBER` and `smsc optouts lift NUMBER`: the admin's way to read and lift an
opt-out through the connector. An Undeliverable or Manual opt-out can be lifted; a STOP one cannot
(connector.optout.lift_by_admin: only START from the number lifts it, seed 000). Only the Dataverse
settings are needed."""
from __future__ import annotations

import argparse


def _number(raw: str) -> str:
    from connector.bootstrap import get_crm
    from connector.crm.configuration import DataverseConfiguration
    from connector.errors import BadInput
    from connector.send_policy import SmsRejected, phone_number

    try:
        return phone_number(raw, DataverseConfiguration(get_crm()).get())
    except SmsRejected as refusal:
        raise BadInput(refusal.say("en"), error_code="invalid_number") from None


def _show(args) -> int:
    from connector.bootstrap import get_crm
    from connector.crm.optouts import DataverseOptOuts

    number = _number(args.number)
    row = DataverseOptOuts(get_crm()).find(number)
    if row is None:
        print(f"{number}: not on the opt-out list")
    else:
        print(f"{number}: {row.reason.name.lower()}, {'active' if row.active else 'lifted'}")
    return 0


def _lift(args) -> int:
    from connector.bootstrap import get_crm
    from connector.crm.optouts import DataverseOptOuts
    from connector.optout import lift_by_admin

    number = _number(args.number)
    lifted = lift_by_admin(number, DataverseOptOuts(get_crm()), lang=args.lang)   # StopOptOutKept: one line, exit 2
    print(f"{number}: {'opt-out lifted' if lifted else 'no active opt-out, nothing to lift'}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    optouts = subparsers.add_parser("optouts", help="read or lift a number's opt-out (a STOP one only START lifts)")
    commands = optouts.add_subparsers(dest="optouts_command", required=True)
    show = commands.add_parser("show", help="a number's opt-out: its reason and whether it is active")
    show.add_argument("number", help="the phone number (national or international)")
    show.set_defaults(run=_show)
    lift = commands.add_parser("lift", help="lift an Undeliverable or Manual opt-out (never a STOP one)")
    lift.add_argument("number", help="the phone number (national or international)")
    lift.add_argument("--lang", choices=["fr", "en"], default="en", help="the language of the refusal (default en)")
    lift.set_defaults(run=_lift)

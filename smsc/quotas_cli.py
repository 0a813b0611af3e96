"""`smsc quotas`: each user's quota and what they used this month (« Voir l'état des consommations »),
as a table. Only the Dataverse settings are needed."""
from __future__ import annotations

import argparse


def _limit(value: int | None) -> str:
    return "—" if value is None else str(value)


def _quotas(args) -> int:
    import json

    from rich.console import Console
    from rich.table import Table

    from connector.bootstrap import get_crm, quota_consumption

    view = quota_consumption(get_crm())
    if args.json:
        print(json.dumps(view, ensure_ascii=False, indent=2))
        return 0
    state = "on" if view["quotas_enabled"] else "off (the warning threshold applies instead)"
    table = Table(title=f"SMS quotas, {view['month']} ({view['time_zone']}), quotas {state}")
    for column in ("user", "mode", "enforcement", "per send SMS / recipients", "per month SMS / recipients",
                   "used SMS / recipients", "left SMS / recipients"):
        table.add_column(column)
    default = view["default"]
    if default is not None:
        limits = default["limits"]
        table.add_row("(default row)", default["mode"], default["enforcement"],
                      f"{_limit(limits['per_send_sms'])} / {_limit(limits['per_send_recipients'])}",
                      f"{_limit(limits['per_month_sms'])} / {_limit(limits['per_month_recipients'])}", "", "")
    for user in view["users"]:
        limits, used, left = user["limits"], user["used"], user["remaining"]
        mode = user["mode"] + (" (default)" if user["quota"] == "default" else "")
        table.add_row(user["name"] or user["id"], mode, user["enforcement"],
                      f"{_limit(limits['per_send_sms'])} / {_limit(limits['per_send_recipients'])}",
                      f"{_limit(limits['per_month_sms'])} / {_limit(limits['per_month_recipients'])}",
                      f"{used['sms']} / {used['recipients']}", f"{_limit(left['sms'])} / {_limit(left['recipients'])}")
    Console(width=160).print(table)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    quotas = subparsers.add_parser("quotas", help="each user's quota and use this month (Dataverse settings only)")
    quotas.add_argument("--json", action="store_true", help="print the JSON of GET /api/quotas/consumption")
    quotas.set_defaults(run=_quotas)

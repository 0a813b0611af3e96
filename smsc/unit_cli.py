"""`smsc unit-sms`: run the unit SMS timers once, now or at a given instant (local mode has no timer
host; an operator may also want a release or a take-up without waiting for the next minute)."""
from __future__ import annotations

import argparse
from datetime import datetime, timezone


def instant(text: str) -> datetime:
    """`--at` for argparse: an ISO 8601 instant; without an offset it is UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date and time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _run(args) -> int:
    from connector.bootstrap import get_services, unit_sms_service
    from connector.unit_recovery import resume_stuck_sends, take_up_left_requests
    from connector.unit_release import release_due_sms

    services = get_services()
    service = unit_sms_service(services.crm, services.sms)
    timer = {"release": release_due_sms, "take-up": take_up_left_requests, "resume": resume_stuck_sends}[args.timer]
    results = timer(service, args.at)
    for result in results:
        line = f"{result.activity_id}: {result.outcome}"
        if result.send_at is not None:
            line += f" until {result.send_at.astimezone(timezone.utc).isoformat()}"
        print(line + (f" ({result.detail})" if result.detail else ""))
    if not results:
        print("nothing to do")
    return 1 if any(r.outcome in ("failed", "error") for r in results) else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    unit = subparsers.add_parser("unit-sms", help="run a unit SMS timer once (uses the app settings)")
    unit.add_argument("timer", choices=["release", "take-up", "resume"],
                      help="release: held SMS whose time has come; take-up: requests no webhook took; "
                           "resume: sends interrupted in Sending")
    unit.add_argument("--at", type=instant, help="the instant the timer runs at (ISO 8601; default now)")
    unit.set_defaults(run=_run)

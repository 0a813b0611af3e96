"""Benchmark: the cost of one quota check (the user's quota row + the month's consumption) as the
month's SMS activity count grows, on the Dataverse emulator.

Run: .venv/bin/python -m tests.benchmarks.quota_check [--sizes 1000 100000] [--checks 20]
For each size, that many outgoing SMS activities are created this month (spread over 20 users, the
checked one among them), then the quota check of one send is timed `--checks` times: CRM requests per
check and milliseconds per check (median). The consumption is ONE aggregate FetchXML request whatever
the size (connector.crm.quotas), so the requests stay constant; the time is the emulator's SQLite
aggregate. A last line shows one user alone sending all of the largest size: beyond Dataverse's
50,000-row aggregate limit the month is counted in halves (a few requests, never one per SMS).
Asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import datetime, timezone

USERS = 20


def seed_month(stack, n: int, owners: list[str], now: datetime) -> None:
    """`n` SMS sent by `owners` in turn, spread evenly from the month's start (Paris) to `now`."""
    from connector.quotas import month_window
    from emulators.dataverse_columns import set_lookup

    start = month_window(now)[0]

    def row(i: int) -> tuple[str, dict]:
        activity_id = str(uuid.uuid4())
        stamp = (start + (now - start) * (i / n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        data = {"activityid": activity_id, "subject": "bench", "smsc_status": 5, "smsc_direction": 1,
                "smsc_segments": 1 + i % 3, "statecode": 1, "statuscode": 2, "activitytypecode": "smsc_textmessage",
                "createdon": stamp, "modifiedon": stamp}
        for key in ("_createdby_value", "_modifiedby_value", "_ownerid_value"):
            set_lookup(data, key, owners[i % len(owners)], "systemuser")
        return activity_id, data

    stack.dataverse.store.insert_many("smsc_textmessages", (row(i) for i in range(n)))


def measure(stack, user: str, checks: int, now: datetime) -> tuple[float, float]:
    """(CRM requests per check, median milliseconds per check)."""
    from connector.bootstrap import get_services, quotas
    from connector.configuration import Configuration
    from connector.quotas import QuotaCheck

    check = QuotaCheck(quotas(get_services().crm), lambda: now)
    config = Configuration(quotas_enabled=True)
    check.check(config, user, sms=1, recipients=1)          # warm: the token, the connection
    before, samples = len(stack.dataverse.requests), []
    for _ in range(checks):
        started = time.perf_counter()
        check.check(config, user, sms=1, recipients=1)
        samples.append((time.perf_counter() - started) * 1000)
    return (len(stack.dataverse.requests) - before) / checks, statistics.median(samples)


def run(size: int, checks: int, *, one_user: bool = False) -> tuple[float, float]:
    from connector import bootstrap
    from emulators import dataverse_seed as seed
    from emulators.stack import local_stack

    now = datetime.now(timezone.utc).replace(microsecond=0)
    with local_stack(on_environment_change=bootstrap.reset) as stack:
        user = seed.CLAIRE_MARTIN_ID
        others = [str(uuid.UUID(int=i + 1)) for i in range(USERS - 1)]
        seed_month(stack, size, [user] if one_user else [user, *others], now)
        stack.dataverse.insert("smsc_quotas", {"smsc_name": "default", "smsc_mode": 2, "smsc_enforcement": 2,
                                               "smsc_permonthsms": 10_000_000})
        return measure(stack, user, checks, now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--checks", type=int, default=20)
    args = parser.parse_args()
    print(f"{'activities this month':>22} {'CRM requests/check':>19} {'ms/check (median)':>18}")
    for size in args.sizes:
        requests, ms = run(size, args.checks)
        print(f"{size:>22,} {requests:>19.1f} {ms:>18.1f}   ({USERS} users)")
    largest = max(args.sizes)
    requests, ms = run(largest, max(1, args.checks // 4), one_user=True)
    print(f"{largest:>22,} {requests:>19.1f} {ms:>18.1f}   (one user sent them all)")


if __name__ == "__main__":
    main()

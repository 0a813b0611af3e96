"""Benchmark: the statistics of a month (connector.statistics) as the month's SMS activity count grows,
on the Dataverse emulator.

Run: .venv/bin/python -m tests.benchmarks.stats [--sizes 1000 10000 100000]
For each size, that many SMS activities of November 2026 go straight into the emulator's SQLite (5 users,
3 templates, 2 campaigns, delivered / undeliverable / failed / sent, one in 20 a reply), then
`smsc stats` / GET /api/stats's figures are computed once per grouping: CRM requests (aggregate FetchXML
pages, including a refused one) and milliseconds. The requests stay the same from 1,000 to 10,000;
past Dataverse's 50,000-row aggregate limit a query is refused once and counted in halves of the
month (three requests instead of one: never one per SMS). Asserts nothing.
"""
from __future__ import annotations

import argparse
import time
from datetime import date, datetime, timedelta, timezone

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
STATUSES = (6, 6, 6, 6, 7, 5, 8, 6, 6)


def month_rows(n: int):
    from emulators import dataverse_seed as seed
    from emulators.dataverse_seed_sms import SeededSms

    users = [seed.CLAIRE_MARTIN_ID, seed.JOHN_BAKER_ID, seed.APP_USER_ID,
             "5e1f0000-0000-4000-8000-0000000000a1", "5e1f0000-0000-4000-8000-0000000000a2"]
    templates = (seed.TEMPLATE_ORDER_ID, seed.TEMPLATE_REMINDER_ID, seed.TEMPLATE_DRAFT_ID, None)
    campaigns = (seed.CAMPAIGN_ORDERS_ID, seed.CAMPAIGN_MIXED_ID, None, None)
    month = timedelta(days=30)
    for i in range(n):
        at = START + month * (i / n)
        if i % 20 == 19:
            yield SeededSms(at, 10, seed.APP_USER_ID, number=f"+3361{i % 5000:07d}", direction=2,
                            campaign=campaigns[i % 4])
        else:
            yield SeededSms(at, STATUSES[i % len(STATUSES)], users[i % 5], number=f"+3361{i:07d}",
                            segments=1 + i % 3, cost=0.045 * (1 + i % 3), sms_type=1 + i % 2,
                            template=templates[i % 4], campaign=campaigns[i % 4])


def run(size: int) -> list[tuple[str, int, float]]:
    from connector import bootstrap
    from connector.statistics import By, Period
    from emulators.dataverse_seed_sms import seed_sms
    from emulators.stack import local_stack

    period = Period(date(2026, 11, 1), date(2026, 11, 30))
    with local_stack(on_environment_change=bootstrap.reset) as stack:
        seed_sms(stack.dataverse, month_rows(size))
        service = bootstrap.statistics(bootstrap.get_services().crm)
        service.view(period, None)                       # warm: the token, the connection
        found = []
        for by in (None, *By):
            before, started = len(stack.dataverse.requests), time.perf_counter()
            service.view(period, by)
            found.append((by.value if by else "(total)", len(stack.dataverse.requests) - before,
                          (time.perf_counter() - started) * 1000))
        return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    args = parser.parse_args()
    results = {size: run(size) for size in args.sizes}
    print(f"{'--by':>10} " + " ".join(f"{f'{size:,} SMS: requests, ms':>28}" for size in args.sizes))
    for n, (by, _, _) in enumerate(results[args.sizes[0]]):
        print(f"{by:>10} " + " ".join(f"{results[size][n][1]:>18} {results[size][n][2]:>9.0f}" for size in args.sizes))


if __name__ == "__main__":
    main()

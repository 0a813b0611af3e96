"""Benchmark: a campaign of N recipients through simulate, prepare and validate on the emulators.

Run: .venv/bin/python -m tests.benchmarks.campaign_scale [--sizes 10000 100000] [--dynamic]
Prints, per size: recipients/s per action, CRM and provider requests per 1,000 recipients, and the
peak memory of the connector's process (the emulators run in another process, so they are not
counted). Baselines measured in the same run: reading the same recipients with the adapter and no
checks (throughput), and the smallest size (memory growth). Asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse


def serve(db: str, env_file: str) -> None:
    """Child process: both emulators on loopback until killed."""
    from emulators.stack import local_stack

    with local_stack(db, apply_environment=False) as stack:
        stack.octopush.credit = 1e9
        Path(env_file).write_text(json.dumps(stack.environment))
        while True:
            time.sleep(3600)


def work(campaign_id: str, action: str) -> None:
    """Child process: one action, measured; prints a JSON line."""
    from connector.bootstrap import campaign_service, get_services
    from connector.campaigns.model import CampaignAction

    services = get_services()
    calls: Counter = Counter()
    for session in (services.crm._session, services.sms.session):
        session.hooks["response"].append(lambda r, *a, **k: calls.update([urlparse(r.url).port]))
    crm_port = urlparse(services.settings.dataverse_base).port
    tracemalloc.start()
    started = time.perf_counter()
    service = campaign_service(services.crm, services.sms)
    if action == "read":        # baseline: the recipients only, no checks, nothing written
        total = sum(1 for _ in service.recipients.candidates(service.campaigns.get(campaign_id), None))
    else:
        result = service.run(campaign_id, CampaignAction[action.upper()])
        assert result.ok, result.summary
        total = result.tally.total
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"action": action, "total": total, "seconds": seconds, "crm": calls[crm_port],
                      "provider": sum(calls.values()) - calls[crm_port], "py_peak": peak,
                      "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def measure(size: int, dynamic: bool) -> list[dict]:
    from emulators.dataverse import DataverseEmulator
    from emulators.dataverse_seed import seed_bulk_campaign

    with tempfile.TemporaryDirectory() as scratch:
        db, env_file = f"{scratch}/dv.sqlite3", f"{scratch}/env.json"
        emulator = DataverseEmulator(db)
        campaign_id = seed_bulk_campaign(emulator, size, dynamic=dynamic)
        emulator.close()
        server = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.campaign_scale", "serve", db, env_file])
        try:
            for _ in range(600):
                if Path(env_file).exists():
                    break
                time.sleep(0.05)
            env = {**os.environ, **json.loads(Path(env_file).read_text())}
            results = []
            for action in ("read", "simulate", "prepare", "validate"):
                out = subprocess.run([sys.executable, "-m", "tests.benchmarks.campaign_scale", "work",
                                      campaign_id, action], env=env, capture_output=True, text=True, check=True)
                results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            return results
        finally:
            server.kill()
            server.wait()


def report(size: int, results: list[dict], baseline_peak: float | None) -> float:
    read = results[0]
    print(f"\n{size:,} recipients (baseline: reading them with no checks {read['total'] / read['seconds']:,.0f}/s)")
    for r in results[1:]:
        rate = r["total"] / r["seconds"]
        print(f"  {r['action']:9} {rate:9,.0f} recipients/s ({rate / (read['total'] / read['seconds']):.2f} of the read) "
              f"CRM {r['crm'] * 1000 / size:6.2f} req/1000  provider {r['provider'] * 1000 / size:7.1f} req/1000  "
              f"peak py {r['py_peak'] / 2**20:6.1f} MiB  rss {r['rss_peak'] / 2**20:6.1f} MiB")
    peak = max(r["rss_peak"] for r in results[1:])
    if baseline_peak:
        print(f"  peak rss vs the smallest size: {peak / baseline_peak:.2f}x")
    return peak


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        return serve(sys.argv[2], sys.argv[3])
    if len(sys.argv) > 1 and sys.argv[1] == "work":
        return work(sys.argv[2], sys.argv[3])
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dynamic", action="store_true", help="a dynamic list (FetchXML) instead of a static one")
    args = parser.parse_args()
    baseline = None
    for size in args.sizes:
        peak = report(size, measure(size, args.dynamic), baseline)
        baseline = baseline or peak


if __name__ == "__main__":
    main()

"""Benchmark: validate's throughput with 1, 2 and 4 queue workers against the CRM's service-protection budget.

Run: .venv/bin/python -m tests.benchmarks.release_throughput [--recipients 20000] [--workers 1 2 4]
     [--budget 150] [--window 30] [--concurrent 52] [--per-part 500]
The Dataverse and Octopush emulators run in a process of their own; the parts queue is Azure Storage's,
on Azurite (.tools/azurite, as the tests start it); each worker is a process pulling part messages from
it (receive, release as the queue-triggered function does, delete; a failed delivery comes back after
host.json's visibilityTimeout, and after MAX_ATTEMPTS deliveries goes to the poison step), all acting as the same CRM user, so they share one budget. The Dataverse emulator's limits
are set far lower than Dataverse's 6,000 requests / 300 s (default 150 / 30 s: the emulator on a small
machine serves about 5 requests/s, so a higher budget would never be met) so that the budget binds.

Prints, per worker count: recipients/s (validate's click to the last part released), CRM requests per
1,000 recipients, 429s absorbed (the emulator's refusals: each retried), the most requests the emulator
admitted in any sliding window of the budget's length (from its request log: never above the budget),
and the ratio of the throughput to 1 worker's. Asserts the window maximum; exit 1 when over.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import deque
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import requests as http

POLL = 0.3          # seconds a worker waits when the queue shows nothing
IDLE_ROUNDS = 8     # empty receives in a row after which a worker stops (past a failed part's return)
RETRY_VISIBILITY = 60   # seconds a failed delivery stays hidden (host.json extensions.queues.visibilityTimeout)


def serve(db: str, env_file: str) -> None:
    """Child process: both emulators on loopback until killed."""
    from emulators.stack import local_stack

    with local_stack(db, apply_environment=False) as stack:
        stack.octopush.credit = 1e9
        Path(env_file).write_text(json.dumps(stack.environment))
        while True:
            time.sleep(3600)


def worker() -> None:
    """Child process: a queue host with one worker, until the queue stays empty; prints a JSON line."""
    from connector.bootstrap import campaign_service, get_background_services
    from connector.campaigns.parts import release_queued_part
    from connector.campaigns.poison import part_failed
    from connector.campaigns.worker import MAX_ATTEMPTS
    from connector.queues.storage import storage_connection
    from connector.repositories.work_queue import CAMPAIGN_PARTS

    services = get_background_services()        # as the queue function (functions/campaign_parts.py) has them

    def service_for(user):
        return campaign_service(services.crm, services.sms, user_id=user)

    connection = storage_connection(os.environ)
    assert connection is not None
    client = connection.queue_client(CAMPAIGN_PARTS)
    idle, released, failures, poisoned, last = 0, 0, 0, 0, time.time()
    while idle < IDLE_ROUNDS or waiting(client):
        got = list(client.receive_messages(max_messages=1, visibility_timeout=600))
        if not got:
            idle += 1
            time.sleep(POLL)
            continue
        idle = 0
        for message in got:
            body = json.loads(message.content)
            try:
                release_queued_part(service_for, body)
                released += 1
            except Exception:                     # delivered again soon, or poisoned after the last attempt
                failures += 1
                if message.dequeue_count < MAX_ATTEMPTS:
                    client.update_message(message, visibility_timeout=RETRY_VISIBILITY)
                    continue
                part_failed(service_for, body)
                poisoned += 1
            client.delete_message(message)
            last = time.time()
    print(json.dumps({"released": released, "failures": failures, "poisoned": poisoned, "last": last}))


def waiting(client) -> bool:
    """Messages still in the queue, hidden ones included (a failed part coming back)."""
    return bool(client.get_queue_properties().approximate_message_count)


@contextmanager
def azurite_queue():
    """Azurite's queue service on a free loopback port (in memory), its connection string."""
    from tests.azurite import AZURITE_QUEUE, Azurite, _answers, free_port

    if not AZURITE_QUEUE.exists():
        sys.exit("Azurite is not installed: run `bash tests/setup.sh` first")
    port = free_port()
    with tempfile.TemporaryDirectory() as workspace:
        process = subprocess.Popen([str(AZURITE_QUEUE), "--queueHost", "127.0.0.1", "--queuePort", str(port),
                                    "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck",
                                    "--silent"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workspace)
        try:
            for _ in range(300):
                if _answers(port):
                    break
                time.sleep(0.1)
            yield Azurite(port).connection_string
        finally:
            process.terminate()
            process.wait(timeout=10)


def max_in_window(times: list[float], window: float) -> int:
    """The most of `times` (sorted) in any half-open sliding window of `window` seconds."""
    seen: deque[float] = deque()
    most = 0
    for moment in times:
        seen.append(moment)
        while seen[0] <= moment - window:
            seen.popleft()
        most = max(most, len(seen))
    return most


def run(workers: int, campaign_id: str, dataverse: str, limits: dict) -> dict:
    from connector import bootstrap
    from connector.campaigns.model import CampaignAction

    http.delete(f"{dataverse}/_emulator/limits").raise_for_status()      # nothing counted
    http.post(f"{dataverse}/_emulator/limits", json=limits).raise_for_status()
    http.delete(f"{dataverse}/_emulator/requests").raise_for_status()
    services = bootstrap.get_services()
    started = time.time()
    validated = bootstrap.campaign_service(services.crm, services.sms).run(campaign_id, CampaignAction.VALIDATE)
    assert validated.ok, validated.summary
    children = [subprocess.Popen([sys.executable, "-m", "tests.benchmarks.release_throughput", "worker"],
                                 stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    answers = [json.loads(child.communicate(timeout=3600)[0].strip().splitlines()[-1]) for child in children]
    campaign = bootstrap.campaign_service(services.crm, services.sms).campaigns.get(campaign_id)
    log = http.get(f"{dataverse}/_emulator/requests", params={"path": "/api/data"}).json()
    shown = http.get(f"{dataverse}/_emulator/limits").json()
    admitted = sorted(datetime.fromisoformat(r["received"]).timestamp() for r in log if r["status"] != 429)
    return {"workers": workers, "seconds": max(a["last"] for a in answers) - started, "requests": len(log),
            "refused": shown["refused"]["requests"] + shown["refused"]["concurrent"],
            "max_window": max_in_window(admitted, limits["window"]), "status": campaign.status.name.lower(),
            "failures": sum(a["failures"] for a in answers), "released": sum(a["released"] for a in answers),
            "poisoned": sum(a["poisoned"] for a in answers)}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        return serve(sys.argv[2], sys.argv[3])
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        return worker()
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--budget", type=int, default=150, help="requests per window and user")
    parser.add_argument("--window", type=float, default=30.0, help="seconds")
    parser.add_argument("--concurrent", type=int, default=52)
    parser.add_argument("--per-part", type=int, default=500, help="numbers per staged part (about)")
    args = parser.parse_args()
    limits = {"requests": args.budget, "window": args.window, "concurrent": args.concurrent}

    from connector import bootstrap
    from connector.campaigns.model import CampaignAction
    from emulators.dataverse import DataverseEmulator
    from emulators.dataverse_seed import seed_bulk_campaign
    from tests.faults.release import STAGED_BYTES

    with tempfile.TemporaryDirectory() as scratch, azurite_queue() as storage:
        db, env_file = f"{scratch}/dv.sqlite3", f"{scratch}/env.json"
        emulator = DataverseEmulator(db)
        campaigns = [seed_bulk_campaign(emulator, args.recipients) for _ in args.workers]
        emulator.max_upload = max(8192, args.per_part * STAGED_BYTES)
        emulator.close()
        server = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.release_throughput", "serve", db, env_file])
        try:
            for _ in range(600):
                if Path(env_file).exists():
                    break
                time.sleep(0.05)
            os.environ.update(json.loads(Path(env_file).read_text()))
            os.environ["AzureWebJobsStorage"] = storage
            bootstrap.reset()
            dataverse = os.environ["DATAVERSE_URL"]
            services = bootstrap.get_services()
            for campaign_id in campaigns:          # prepared beforehand: only validate is measured
                prepared = bootstrap.campaign_service(services.crm, services.sms).run(campaign_id,
                                                                                     CampaignAction.PREPARE)
                assert prepared.ok, prepared.summary
            print(f"{args.recipients:,} recipients, parts of ~{args.per_part}, budget {args.budget} requests / "
                  f"{args.window:g} s per user, {args.concurrent} concurrent")
            base, over = None, False
            for workers, campaign_id in zip(args.workers, campaigns):
                r = run(workers, campaign_id, dataverse, limits)
                rate = args.recipients / r["seconds"]
                base = base or rate
                over = over or r["max_window"] > args.budget
                print(f"  {workers} worker(s): {rate:7,.0f} recipients/s  CRM {r['requests'] * 1000 / args.recipients:5.1f}"
                      f" req/1000  429s absorbed {r['refused']:4}  max in any {args.window:g} s window "
                      f"{r['max_window']:4} / {args.budget}  x{rate / base:.2f} of 1 worker  "
                      f"(campaign {r['status']}, {r['released']} parts released, {r['failures']} attempts failed, "
                      f"{r['poisoned']} poisoned)",
                      flush=True)
        finally:
            server.kill()
            server.wait()
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()

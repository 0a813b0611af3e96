"""Benchmark: import time of `function_app` and the handler's cost per unit send on the emulators.

Run: .venv/bin/python -m tests.benchmarks.unit_send [--sends 300]
Prints figures and ratios against baselines measured in the same run; asserts nothing.
- import: `import function_app` vs `import azure.functions` alone (fresh interpreters, median of 7).
- send: webhook handler end to end (p50/p99 wall time, and the connector's own CPU per send) vs the bare
  protocol minimum of a unit send (GET the activity, PATCH If-Match, POST to Octopush, PATCH the result)
  made directly with requests. The emulators run in a process of their own and the sends in a worker
  process, so `time.process_time()` of the worker is the connector's CPU alone (the emulators' is not
  counted, as it was when they shared the interpreter).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests


def import_seconds(statement: str, runs: int = 7) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    samples = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    check=True).stdout) for _ in range(runs)]
    return statistics.median(samples)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def serve(env_file: str) -> None:
    """Child process: both emulators (demo data) on loopback until killed."""
    from emulators.stack import local_stack

    with local_stack(apply_environment=False) as stack:
        stack.octopush.credit = 1e9
        Path(env_file).write_text(json.dumps(stack.environment))
        while True:
            time.sleep(3600)


def crm_session() -> tuple[requests.Session, str]:
    from emulators.stack import DATAVERSE_TOKEN

    crm = requests.Session()
    crm.headers.update({"Authorization": f"Bearer {DATAVERSE_TOKEN}", "Accept": "application/json",
                        "OData-Version": "4.0", "OData-MaxVersion": "4.0"})
    return crm, f"{os.environ['DATAVERSE_URL']}/api/data/v9.2/smsc_textmessages"


def new_sms(crm: requests.Session, api: str, seed, text: str) -> str:
    answer = crm.post(api, json={
        "subject": "bench", "description": text, "smsc_status": 2,
        "regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({seed.DAVID_SMITH_ID})"})
    answer.raise_for_status()
    return answer.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


def handler_sends(seed, count: int) -> tuple[list[float], list[float], int, int]:
    """Wall time and this process's CPU per send, and the requests the emulators received."""
    from emulators.webhook_bodies import option, remote_execution_context, webhook_headers
    from functions.local_host import invoke

    crm, api = crm_session()
    ids = [new_sms(crm, api, seed, f"Bonjour, message {i}") for i in range(count)]
    crm_before, sms_before = requests_seen()
    headers = webhook_headers("Create", "smsc_textmessage", os.environ["SMSC_WEBHOOK_KEY"])
    wall, cpu = [], []
    for activity_id in ids:
        body = remote_execution_context("Create", "smsc_textmessage", activity_id, user_id=seed.CLAIRE_MARTIN_ID,
                                        attributes={"smsc_status": option(2)})
        started, cpu_started = time.perf_counter(), time.process_time()
        response = invoke("POST", "dataverse/events", body=body, headers=headers)
        cpu.append(time.process_time() - cpu_started)
        wall.append(time.perf_counter() - started)
        assert response.json()["outcome"] == "sent", response.body
    crm_after, sms_after = requests_seen()
    return wall, cpu, crm_after - crm_before, sms_after - sms_before


def requests_seen() -> tuple[int, int]:
    """How many requests the connector's sessions have sent to each emulator so far."""
    return COUNTS["crm"], COUNTS["sms"]


COUNTS = {"crm": 0, "sms": 0}


def count_requests() -> None:
    from connector.bootstrap import get_services

    services = get_services()
    for name, session in (("crm", services.crm._session), ("sms", services.sms.session)):
        session.hooks["response"].append(lambda r, *a, name=name, **k: COUNTS.update({name: COUNTS[name] + 1}))


def baseline_sends(seed, count: int) -> tuple[list[float], list[float]]:
    """The four calls a unit send cannot do without, with no logic around them."""
    from emulators.stack import OCTOPUSH_KEY, OCTOPUSH_LOGIN

    crm, api = crm_session()
    sms = requests.Session()
    sms.headers.update({"api-login": OCTOPUSH_LOGIN, "api-key": OCTOPUSH_KEY})
    ids = [new_sms(crm, api, seed, f"Baseline {i}") for i in range(count)]
    wall, cpu = [], []
    for i, activity_id in enumerate(ids):
        started, cpu_started = time.perf_counter(), time.process_time()
        row = crm.get(f"{api}({activity_id})?$select=description,smsc_status").json()
        crm.patch(f"{api}({activity_id})", json={"smsc_status": 3}, headers={"If-Match": row["@odata.etag"]})
        sent = sms.post(f"{os.environ['OCTOPUSH_BASE_URL']}/sms-campaign/send", json={
            "recipients": [{"phone_number": "+33649819006"}], "text": row["description"],
            "type": "sms_premium", "purpose": "alert", "request_id": f"baseline-{i}-{activity_id}"}).json()
        crm.patch(f"{api}({activity_id})", json={"smsc_status": 5, "smsc_providermessageid": sent["sms_ticket"]},
                  headers={"If-Match": "*"})
        cpu.append(time.process_time() - cpu_started)
        wall.append(time.perf_counter() - started)
    return wall, cpu


def work(sends: int) -> None:
    """Worker process (the emulators' settings in its environment): the sends, measured."""
    from emulators import dataverse_seed as seed

    count_requests()
    handler_sends(seed, 20)                      # warm-up: connections, caches
    wall, cpu, crm_calls, sms_calls = handler_sends(seed, sends)
    base_wall, base_cpu = baseline_sends(seed, sends)
    print(json.dumps({"wall": wall, "cpu": cpu, "crm": crm_calls, "sms": sms_calls,
                      "base_wall": base_wall, "base_cpu": base_cpu}))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        return serve(sys.argv[2])
    if len(sys.argv) > 1 and sys.argv[1] == "work":
        return work(int(sys.argv[2]))
    parser = argparse.ArgumentParser()
    parser.add_argument("--sends", type=int, default=300)
    args = parser.parse_args()

    app_import = import_seconds("import function_app")
    sdk_import = import_seconds("import azure.functions")
    print(f"import function_app      {app_import * 1000:8.1f} ms  (baseline import azure.functions "
          f"{sdk_import * 1000:.1f} ms, ratio {app_import / sdk_import:.2f})")

    with tempfile.TemporaryDirectory() as scratch:
        env_file = f"{scratch}/env.json"
        server = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.unit_send", "serve", env_file])
        try:
            for _ in range(1200):
                if Path(env_file).exists():
                    break
                time.sleep(0.05)
            env = {**os.environ, **json.loads(Path(env_file).read_text())}
            out = subprocess.run([sys.executable, "-m", "tests.benchmarks.unit_send", "work", str(args.sends)],
                                 env=env, capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(out.stderr[-3000:])
            r = json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            server.kill()
            server.wait()
    handler, baseline = r["wall"], r["base_wall"]
    p50, p99 = percentile(handler, 50) * 1000, percentile(handler, 99) * 1000
    b50, b99 = percentile(baseline, 50) * 1000, percentile(baseline, 99) * 1000
    c50, c99 = percentile(r["cpu"], 50) * 1000, percentile(r["cpu"], 99) * 1000
    d50, d99 = percentile(r["base_cpu"], 50) * 1000, percentile(r["base_cpu"], 99) * 1000
    print(f"unit send via webhook    p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  ({args.sends} sends, "
          f"{len(handler) / sum(handler):.0f} sends/s)")
    print(f"baseline 4 bare calls    p50 {b50:7.2f} ms  p99 {b99:7.2f} ms")
    print(f"connector CPU per send   p50 {c50:7.2f} ms  p99 {c99:7.2f} ms  (baseline's own CPU p50 {d50:.2f} ms, "
          f"p99 {d99:.2f} ms; ratio p50 {c50 / d50:.2f}; the emulators run in another process)")
    print(f"handler overhead (CPU)   p50 {c50 - d50:7.2f} ms  p99 {c99 - d99:7.2f} ms")
    print(f"requests per send        Dataverse {r['crm'] / args.sends:.1f}, Octopush {r['sms'] / args.sends:.1f}"
          f"  (baseline 3 + 1)")


if __name__ == "__main__":
    main()

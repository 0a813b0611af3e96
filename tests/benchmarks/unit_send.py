"""Benchmark: import time of `function_app` and the handler's cost per unit send on the emulators.

Run: .venv/bin/python -m tests.benchmarks.unit_send [--sends 300]
Prints figures and ratios against baselines measured in the same run; asserts nothing.
- import: `import function_app` vs `import azure.functions` alone (fresh interpreters, median of 7).
- send: webhook handler end to end (p50/p99) vs the bare protocol minimum of a unit send (GET the
  activity, PATCH If-Match, POST to Octopush, PATCH the result) made directly with requests.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import requests


def import_seconds(statement: str, runs: int = 7) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    samples = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    check=True).stdout) for _ in range(runs)]
    return statistics.median(samples)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def new_sms(stack, seed, text: str) -> str:
    return stack.dataverse.insert("smsc_textmessages", {
        "subject": "bench", "description": text, "smsc_status": 2,
        "regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({seed.DAVID_SMITH_ID})"})


def handler_sends(stack, seed, count: int) -> tuple[list[float], int, int]:
    from emulators.webhook_bodies import option, remote_execution_context, webhook_headers
    from functions.local_host import invoke

    ids = [new_sms(stack, seed, f"Bonjour, message {i}") for i in range(count)]
    crm_before, sms_before = len(stack.dataverse.requests), len(stack.octopush.requests)
    headers = webhook_headers("Create", "smsc_textmessage", stack.webhook_key)
    timings = []
    for activity_id in ids:
        body = remote_execution_context("Create", "smsc_textmessage", activity_id, user_id=seed.CLAIRE_MARTIN_ID,
                                        attributes={"smsc_status": option(2)})
        started = time.perf_counter()
        response = invoke("POST", "dataverse/events", body=body, headers=headers)
        timings.append(time.perf_counter() - started)
        assert response.json()["outcome"] == "sent", response.body
    return timings, len(stack.dataverse.requests) - crm_before, len(stack.octopush.requests) - sms_before


def baseline_sends(stack, seed, count: int) -> list[float]:
    """The four calls a unit send cannot do without, with no logic around them."""
    from emulators.stack import DATAVERSE_TOKEN, OCTOPUSH_KEY, OCTOPUSH_LOGIN

    crm = requests.Session()
    crm.headers.update({"Authorization": f"Bearer {DATAVERSE_TOKEN}", "Accept": "application/json",
                        "OData-Version": "4.0", "OData-MaxVersion": "4.0"})
    sms = requests.Session()
    sms.headers.update({"api-login": OCTOPUSH_LOGIN, "api-key": OCTOPUSH_KEY})
    api = f"{stack.dataverse_url}/api/data/v9.2/smsc_textmessages"
    ids = [new_sms(stack, seed, f"Baseline {i}") for i in range(count)]
    timings = []
    for i, activity_id in enumerate(ids):
        started = time.perf_counter()
        row = crm.get(f"{api}({activity_id})?$select=description,smsc_status").json()
        crm.patch(f"{api}({activity_id})", json={"smsc_status": 3}, headers={"If-Match": row["@odata.etag"]})
        sent = sms.post(f"{stack.octopush_url}/v1/public/sms-campaign/send", json={
            "recipients": [{"phone_number": "+33649819006"}], "text": row["description"],
            "type": "sms_premium", "purpose": "alert", "request_id": f"baseline-{i}-{activity_id}"}).json()
        crm.patch(f"{api}({activity_id})", json={"smsc_status": 5, "smsc_providermessageid": sent["sms_ticket"]},
                  headers={"If-Match": "*"})
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sends", type=int, default=300)
    args = parser.parse_args()

    app_import = import_seconds("import function_app")
    sdk_import = import_seconds("import azure.functions")
    print(f"import function_app      {app_import * 1000:8.1f} ms  (baseline import azure.functions "
          f"{sdk_import * 1000:.1f} ms, ratio {app_import / sdk_import:.2f})")

    from emulators import dataverse_seed as seed
    from connector import bootstrap
    from emulators.stack import local_stack

    with local_stack(on_environment_change=bootstrap.reset) as stack:
        stack.octopush.credit = 1e9
        handler_sends(stack, seed, 20)                      # warm-up: connections, caches
        handler, crm_calls, sms_calls = handler_sends(stack, seed, args.sends)
        baseline = baseline_sends(stack, seed, args.sends)
    p50, p99 = percentile(handler, 50) * 1000, percentile(handler, 99) * 1000
    b50, b99 = percentile(baseline, 50) * 1000, percentile(baseline, 99) * 1000
    print(f"unit send via webhook    p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  ({args.sends} sends, "
          f"{len(handler) / sum(handler):.0f} sends/s)")
    print(f"baseline 4 bare calls    p50 {b50:7.2f} ms  p99 {b99:7.2f} ms")
    print(f"handler overhead         p50 {p50 - b50:7.2f} ms  p99 {p99 - b99:7.2f} ms  "
          f"(ratio p50 {p50 / b50:.2f}, p99 {p99 / b99:.2f})")
    print(f"requests per send        Dataverse {crm_calls / args.sends:.1f}, Octopush {sms_calls / args.sends:.1f}"
          f"  (baseline 3 + 1)")


if __name__ == "__main__":
    main()

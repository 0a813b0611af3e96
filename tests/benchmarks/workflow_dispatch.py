"""Benchmark: hook-engine dispatch time per event with 200 active workflows on one table (salesorder),
against the same dispatch with 1 active workflow, on the emulators.

Run: .venv/bin/python -m tests.benchmarks.workflow_dispatch [--events 200] [--workflows 200]
Prints p50/p99 per event and the ratio to the baseline; asserts nothing. Two events:
- quiet: an Update no workflow listens to (the usual case: most record changes interest no workflow);
- firing: an order fulfilled; exactly one workflow (the built-in) fires and sends one SMS, the others
  are near misses (other states, other columns, failing conditions).
The first dispatch parses every definition (cached by id + modifiedon after): shown as "cold".
"""
from __future__ import annotations

import argparse
import json
import time

from tests.benchmarks.unit_send import percentile


def near_miss(i: int) -> str:
    """A definition on salesorder that never fires on the benchmark's events."""
    if i % 2:
        trigger = f"trigger: {{event: status_change, to: {{statecode: {[0, 1, 2, 4][i % 4]}}}}}"
    else:
        trigger = "trigger: {event: update, columns: [name]}"
    return (f"name: Bench {i}\nentity: salesorder\n{trigger}\n"
            f"condition: {{column: totalamount, operator: greater_than, value: {1000 + i}}}\nsteps:\n"
            "  - if: {column: customerid, operator: is_type, value: account}\n    then:\n"
            "      - send_sms: {recipient: customerid.primarycontactid, text: 'Commande {{ ordernumber }}'}\n"
            "    else:\n      - send_sms: {recipient: customerid, text: 'Commande {{ ordernumber }} ({{ name }})'}\n")


def activate(stack, name: str, text: str) -> None:
    stack.dataverse.insert("smsc_workflows", {"smsc_name": name, "smsc_definition": text,
                                              "smsc_entity": "salesorder", "smsc_active": True})


def orders(stack, seed, count: int) -> list[str]:
    return [stack.dataverse.insert("salesorders", {
        "ordernumber": f"B-{i}", "name": f"Bench {i}", "totalamount": 10.0, "statecode": 1, "statuscode": 2,
        "customerid_contact@odata.bind": f"/contacts({seed.DAVID_SMITH_ID})"}) for i in range(count)]


def dispatch_times(stack, seed, order_ids: list[str], firing: bool) -> tuple[list[float], int]:
    """Seconds per event, and Dataverse requests made."""
    from connector.bootstrap import get_services, workflow_repositories
    from emulators.webhook_bodies import money, option, reference, remote_execution_context, webhook_headers
    from dispatch.events import parse_event
    from workflows.engine import HookEngine

    services, headers = get_services(), webhook_headers("Update", "salesorder", stack.webhook_key)
    smith = reference("contact", seed.DAVID_SMITH_ID, "David Smith")
    pre = {"statecode": option(1), "statuscode": option(2), "customerid": smith, "ordernumber": "B",
           "name": "Bench", "totalamount": money(10.0)}
    target = {"statecode": option(3), "statuscode": option(100001)} if firing else {"totalamount": money(12.0)}
    before, timings = len(stack.dataverse.requests), []
    for order_id in order_ids:
        body = json.dumps(remote_execution_context("Update", "salesorder", order_id, user_id=seed.CLAIRE_MARTIN_ID,
                                                   attributes=target, pre_image=pre)).encode()
        started = time.perf_counter()
        outcomes = HookEngine(workflow_repositories(services.crm), services.sms).dispatch(parse_event(body, headers), headers)
        timings.append(time.perf_counter() - started)
        assert [o.outcome for o in outcomes] == (["sent"] if firing else []), outcomes
    return timings, len(stack.dataverse.requests) - before


def measure(seed, workflows: int, events: int) -> dict:
    from connector import bootstrap
    from emulators.stack import local_stack
    from workflows.definition import BUILTIN_DIR

    with local_stack(on_environment_change=bootstrap.reset) as stack:
        stack.octopush.credit = 1e9
        activate(stack, "order_fulfilled", (BUILTIN_DIR / "order_fulfilled.yaml").read_text(encoding="utf-8"))
        for i in range(workflows - 1):
            activate(stack, f"bench {i}", near_miss(i))
        ids = orders(stack, seed, 2 * events + 1)
        cold, _ = dispatch_times(stack, seed, ids[:1], firing=False)
        dispatch_times(stack, seed, ids[1:11], firing=False)                 # warm-up: connections
        quiet, quiet_calls = dispatch_times(stack, seed, ids[1:events + 1], firing=False)
        firing, firing_calls = dispatch_times(stack, seed, ids[events + 1:], firing=True)
    return {"cold": cold[0], "quiet": quiet, "firing": firing,
            "quiet_calls": quiet_calls / events, "firing_calls": firing_calls / events}


def line(label: str, samples: list[float], base: list[float]) -> str:
    p50, p99 = percentile(samples, 50) * 1000, percentile(samples, 99) * 1000
    b50, b99 = percentile(base, 50) * 1000, percentile(base, 99) * 1000
    return (f"{label:<34} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms   baseline (1 workflow) p50 {b50:6.2f} ms  "
            f"p99 {b99:6.2f} ms   ratio p50 {p50 / b50:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--workflows", type=int, default=200)
    args = parser.parse_args()

    from emulators import dataverse_seed as seed

    many, one = measure(seed, args.workflows, args.events), measure(seed, 1, args.events)
    print(f"active workflows on salesorder: {args.workflows} (baseline 1); {args.events} events each")
    print(f"{'cold first dispatch (parses all)':<34} {many['cold'] * 1000:7.2f} ms   baseline {one['cold'] * 1000:.2f} ms")
    print(line("quiet event (nothing fires)", many["quiet"], one["quiet"]))
    print(line("firing event (1 fires, 1 SMS)", many["firing"], one["firing"]))
    print(f"Dataverse requests per event: quiet {many['quiet_calls']:.1f} (baseline {one['quiet_calls']:.1f}), "
          f"firing {many['firing_calls']:.1f} (baseline {one['firing_calls']:.1f})")


if __name__ == "__main__":
    main()

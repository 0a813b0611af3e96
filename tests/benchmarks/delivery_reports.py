"""Benchmark: delivery reports of a 10,000-recipient campaign, from the provider's callback to the SMS
activity's status, on the emulators.

Run: .venv/bin/python -m tests.benchmarks.delivery_reports [--recipients 10000] [--one-by-one 1000]
Prints reports/s and CRM requests per 1,000 reports; asserts only that every activity ends where its
reports say (so the figures are of work actually done). The activities (500 numbers per ticket, as
Octopush sends them) are written first; the reports (90 % DELIVERED, 8 % NOT_DELIVERED, 2 % ACK, plus
5 % duplicates) come shuffled.
- burst: every callback answered (recorded, queued), then the queue messages run, as the Functions
  host does when reports come faster than they are applied: a message takes the reports received
  since with it, and the next ones find theirs already applied.
- one by one: each callback's queue message runs before the next callback (what `smsc serve` does):
  the worst case, one small batch per report.
- baseline: the least a report needs without batching (record it, find its activity, write the
  status: three requests), made directly with requests, for the rate.
Both emulators run in this process (their work is counted in the time).
"""
from __future__ import annotations

import argparse
import json
import random
import time


def write_activities(stack, recipients: int) -> list[tuple[str, str, str]]:
    """(ticket, number, activity id) of a sent campaign, written in $batch creates of 1,000."""
    from connector.bootstrap import get_services

    crm = get_services().crm
    sent = [(f"sms_bench{n // 500:04d}", f"+3361{n:07d}") for n in range(recipients)]
    ids: list[str] = []
    for start in range(0, recipients, 1000):
        rows = [{"subject": "bench", "description": "Bonjour. STOP au 30101", "smsc_status": 5, "smsc_direction": 1,
                 "smsc_phonenumber": number, "smsc_providermessageid": ticket}
                for ticket, number in sent[start:start + 1000]]
        ids += [r.id for r in crm.batch_create("smsc_textmessages", rows)]
    return [(t, n, i) for (t, n), i in zip(sent, ids)]


def reports_for(sent, seed: int = 7) -> tuple[list[dict], dict[str, int]]:
    rng = random.Random(seed)
    reports, expected = [], {}
    for ticket, number, activity_id in sent:
        draw = rng.random()
        status = "DELIVERED" if draw < 0.90 else "NOT_DELIVERED" if draw < 0.98 else "ACK"
        expected[activity_id] = {"DELIVERED": 6, "NOT_DELIVERED": 7, "ACK": 5}[status]
        reports.append({"channel": "sms", "message_id": ticket, "number": number, "status": status,
                        "delivery_date": "2026-12-02 13:00:00"})
    reports += rng.sample(reports, len(reports) // 20)          # duplicates
    rng.shuffle(reports)
    return reports, expected


def callback(stack, report):
    from functions.local_host import invoke

    answer = invoke("POST", "providers/octopush/delivery", body=json.dumps(report).encode(),
                    params={"key": stack.webhook_key}, headers={"content-type": "application/json"})
    assert answer.status == 200, answer.body
    return answer.outputs["provider_events"]


def run_queue(message):
    import azure.functions as func

    from functions.local_host import queue_function

    queue_function("smsc-provider-events")(func.QueueMessage(body=message.encode()))


def check(stack, expected: dict[str, int]) -> None:
    rows = {r["activityid"]: r["smsc_status"] for r in stack.dataverse.rows("smsc_textmessages")
            if r["activityid"] in expected}
    wrong = sum(1 for i, status in expected.items() if rows.get(i) != status)
    assert wrong == 0, f"{wrong} activities are not where their reports say"


def burst(recipients: int) -> dict:
    from connector import bootstrap
    from emulators.stack import local_stack

    with local_stack(on_environment_change=bootstrap.reset) as stack:
        reports, expected = reports_for(write_activities(stack, recipients))
        before = len(stack.dataverse.requests)
        started = time.perf_counter()
        messages = [callback(stack, r) for r in reports]
        answered = time.perf_counter()
        callbacks_crm = len(stack.dataverse.requests) - before
        for message in messages:
            run_queue(message)
        done = time.perf_counter()
        queue_crm = len(stack.dataverse.requests) - before - callbacks_crm
        batches = [r for r in stack.dataverse.requests[before:] if r.path.endswith("$batch")]
        check(stack, expected)
        return {"reports": len(reports), "seconds": done - started, "answer_seconds": answered - started,
                "callbacks_crm": callbacks_crm, "queue_crm": queue_crm, "batches": len(batches)}


def one_by_one(recipients: int) -> dict:
    from connector import bootstrap
    from emulators.stack import local_stack

    with local_stack(on_environment_change=bootstrap.reset) as stack:
        reports, expected = reports_for(write_activities(stack, recipients))
        before = len(stack.dataverse.requests)
        started = time.perf_counter()
        for report in reports:
            run_queue(callback(stack, report))
        done = time.perf_counter()
        check(stack, expected)
        return {"reports": len(reports), "seconds": done - started, "crm": len(stack.dataverse.requests) - before}


def baseline(recipients: int) -> dict:
    """Record, find, write: three plain requests per report, no logic around them."""
    import requests

    from connector import bootstrap
    from emulators.stack import DATAVERSE_TOKEN, local_stack

    with local_stack(on_environment_change=bootstrap.reset) as stack:
        reports, _ = reports_for(write_activities(stack, recipients))
        session = requests.Session()
        session.headers.update({"Authorization": f"Bearer {DATAVERSE_TOKEN}", "Accept": "application/json",
                                "OData-Version": "4.0", "OData-MaxVersion": "4.0"})
        api = f"{stack.dataverse_url}/api/data/v9.2"
        started = time.perf_counter()
        for report in reports:
            session.post(f"{api}/smsc_providerevents", json={"smsc_kind": 1, "smsc_ticket": report["message_id"],
                                                               "smsc_phonenumber": report["number"],
                                                               "smsc_body": json.dumps(report)})
            found = session.get(f"{api}/smsc_textmessages", params={
                "$select": "activityid", "$filter": f"smsc_providermessageid eq '{report['message_id']}' and "
                                                    f"smsc_phonenumber eq '{report['number']}'"}).json()["value"]
            session.patch(f"{api}/smsc_textmessages({found[0]['activityid']})", json={"smsc_status": 6},
                          headers={"If-Match": "*"})
        return {"reports": len(reports), "seconds": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--one-by-one", type=int, default=1_000, help="recipients for the one-by-one run")
    args = parser.parse_args()

    b = burst(args.recipients)
    rate = b["reports"] / b["seconds"]
    print(f"\n{args.recipients:,}-recipient campaign, {b['reports']:,} reports (duplicates included)")
    print(f"  burst       {rate:8,.0f} reports/s callback to activity update "
          f"(callbacks answered at {b['reports'] / b['answer_seconds']:,.0f}/s)")
    print(f"              CRM requests per 1,000 reports: {(b['callbacks_crm'] + b['queue_crm']) * 1000 / b['reports']:7.1f} "
          f"= recording {b['callbacks_crm'] * 1000 / b['reports']:.1f} + applying {b['queue_crm'] * 1000 / b['reports']:.1f} "
          f"({b['batches']} $batch requests in all)")
    o = one_by_one(args.one_by_one)
    print(f"  one by one  {o['reports'] / o['seconds']:8,.0f} reports/s   CRM requests per 1,000 reports: "
          f"{o['crm'] * 1000 / o['reports']:7.1f}   ({args.one_by_one:,} recipients)")
    base = baseline(args.one_by_one)
    print(f"  baseline    {base['reports'] / base['seconds']:8,.0f} reports/s   CRM requests per 1,000 reports: "
          f"{3000:7.1f}   (record + find + write per report, no logic; {args.one_by_one:,} recipients)")


if __name__ == "__main__":
    main()

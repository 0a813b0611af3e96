"""Benchmark: the release engine under faults (issue 17's « Done when »), on the emulators, loopback only.

Run: .venv/bin/python -m tests.benchmarks.release_faults [--recipients 10000] [--kills 20] [--seed N]
     [--crm-recipients 2000] [--provider-recipients 1000] [--only a b c d e]
One line per scenario: SMS sent (numbers Octopush accepted), activities, activities without a ticket (and
how many of them carry their request id: an Uncertain request, see connector.campaigns.release),
duplicates, lost, operator re-runs, send requests that reached Octopush / provider requests in the
ledger, activities failed by a delivery report, the scenario's own counts, elapsed. Exit status 1 when
a scenario breaks an invariant (tests.faults.release.Figures.problems).

a. validate (parts of about 500 numbers), then every part worker in its own process, SIGKILLed after a
   random delay (from the seed, within the median time a part took) until `--kills` kills have landed; its message delivered again (a new process, its clock moved past
   the dead worker's lease: the real host would wait that long) until the part is done; then Octopush's
   delivery reports (held until then) posted to the connector's delivery route and applied by its queue
   function, and the activities counted again: "after reports" (a kill between Octopush's accept and
   the ledger's write leaves a request's activities with its request id until its reports give them
   the ticket: connector.delivery.adoption), with the reports still waiting;
b. the CRM answering 30 % 429 (Retry-After 1 s: really waited) and 5 % 503 from the preparation on;
c. Octopush answering 20 % 500, holding 10 % past the client's time-out (SMSC_HTTP_TIMEOUT=1) then
   accepting them, and reporting 10 % of what it accepted undelivered (the reports posted to the
   connector's delivery route);
d. two validates at once (two threads);
e. a unit SMS due in a minute and a deferred campaign cancelled a minute before their time.
The emulators run in this process's threads; a, b and c start afresh (their own organisation).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from tests.faults.release import (AFTER_A_KILL, Figures, MovingClock, campaign_service_for, cancel_before,
                                  crm_throttled, measure, prepared_campaign, provider_failing, two_validates)

MAX_DELIVERIES = 400      # per scenario a: a bound, far above what 20 kills need


def part_worker(message: str, offset_seconds: float) -> None:
    """Child process: one delivery of a part message, as the queue-triggered function runs it; prints
    "ready" once started (the parent's kill delay counts from there), then what happened as JSON."""
    from connector.campaigns.parts import release_queued_part
    from tests.fakes.work_queue import FakeWorkQueue

    queue = FakeWorkQueue()
    clock = lambda: datetime.now(timezone.utc) + timedelta(seconds=offset_seconds)    # noqa: E731
    service_for = campaign_service_for(queue, clock)
    print("ready", flush=True)
    outcome = release_queued_part(service_for, json.loads(message))
    print(json.dumps({"outcome": outcome, "put": queue.take()}), flush=True)


class KillingHost:
    """Scenario a's queue host: each delivery a new process; `kills` of them SIGKILLed at random."""

    def __init__(self, rng: random.Random, kills: int):
        self.rng, self.kills_left, self.kills = rng, kills, 0
        self.clock = MovingClock()
        self.span = 3.0             # seconds a whole part takes in a worker (the median of those done)
        self.spans: list[float] = []
        self.deliveries = self.failures = 0

    def deliver(self, message: dict) -> list[dict]:
        """One delivery; the messages to deliver next (itself again when killed or failed, what it put back)."""
        self.deliveries += 1
        offset = self.clock.offset.total_seconds()
        worker = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.release_faults", "part",
                                   json.dumps(message), str(offset)], stdout=subprocess.PIPE, text=True)
        assert worker.stdout is not None
        worker.stdout.readline()                                    # "ready"
        began = time.perf_counter()
        if self.kills_left:
            try:
                worker.wait(timeout=self.rng.uniform(0, self.span))
            except subprocess.TimeoutExpired:
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                self.kills_left -= 1
                self.kills += 1
                self.clock.skip(AFTER_A_KILL)                        # the dead worker's lease runs out
                return [message]
        out, _ = worker.communicate(timeout=900)
        if worker.returncode != 0:                                   # it raised: the queue delivers it again
            self.failures += 1
            return [message]
        # Kills are drawn within a typical part's time, so that they land while parts are at work (drawn
        # within the longest, most parts finished first and fewer kills landed than asked).
        self.spans.append(time.perf_counter() - began)
        self.span = statistics.median(self.spans)
        answer = json.loads(out.strip().splitlines()[-1])
        if answer["put"]:                                            # held, or another worker's: later
            self.clock.skip(AFTER_A_KILL)
        return answer["put"]


def killed_workers(stack, recipients: int, kills: int, seed: int) -> Figures:
    from connector.campaigns.model import CampaignAction
    from tests.fakes.work_queue import FakeWorkQueue

    started, queue = time.perf_counter(), FakeWorkQueue()
    service_for = campaign_service_for(queue)
    campaign_id = prepared_campaign(stack, service_for, recipients, per_part=500)
    stack.octopush.set_callback_urls(callback_url_for_deliveries="http://127.0.0.1:9/delivery")
    stack.octopush.set_outcomes(hold=True)                  # posted once the release is done
    assert service_for().run(campaign_id, CampaignAction.VALIDATE).ok
    host = KillingHost(random.Random(seed), kills)
    pending = queue.take()
    parts = len(pending)
    while pending and host.deliveries < MAX_DELIVERIES:
        pending = host.deliver(pending[0]) + pending[1:]
    status = campaign_service_for(queue, host.clock)().campaigns.get(campaign_id).status.name.lower()
    figures = measure(stack, service_for(), campaign_id, f"a. {host.kills} kills, redelivered", started=started,
                      **{"kills": host.kills, "parts": parts, "deliveries": host.deliveries,
                         "status": status})
    if pending:
        figures.extra["problem"] = f"{len(pending)} part message(s) undelivered"
    reported = time.perf_counter()
    reports = post_delivery_reports(stack)
    after = measure(stack, service_for(), campaign_id, "", started=0)
    figures.extra |= {"reports": reports, "after reports: without ticket": after.no_ticket,
                      "waiting": len(waiting_reports(stack)), "reports took": f"{time.perf_counter() - reported:.1f} s"}
    return figures


def post_delivery_reports(stack) -> int:
    """Octopush's held delivery reports posted to the connector's route, each queue message run by the
    provider-events function as the host would; the CRM's service-protection budget lifted meanwhile (the
    real reports spread over minutes). Returns how many were posted."""
    import azure.functions as func

    from functions.local_host import invoke, queue_function

    def report(url: str, body: dict) -> int:
        answer = invoke("POST", "providers/octopush/delivery", body=json.dumps(body).encode(),
                        params={"key": stack.webhook_key}, headers={"content-type": "application/json"})
        if answer.status == 200:
            queue_function("smsc-provider-events")(func.QueueMessage(body=answer.outputs["provider_events"].encode()))
        return answer.status

    stack.dataverse.limits.configure(enabled=False)
    try:
        return len(stack.octopush.flush_callbacks(report))
    finally:
        stack.dataverse.limits.configure(enabled=True)


def waiting_reports(stack) -> list[dict]:
    return stack.dataverse.rows("smsc_providerevents", filter="smsc_kind eq 1 and smsc_processedon eq null")


def fresh(run: Callable[..., Figures], *args, timeout: str | None = None, **kwargs) -> Figures:
    """A scenario on emulators of its own (a new organisation)."""
    from connector import bootstrap
    from emulators.stack import local_stack

    with local_stack(on_environment_change=bootstrap.reset) as stack:
        stack.octopush.credit = 1e9
        if timeout:
            os.environ["SMSC_HTTP_TIMEOUT"] = timeout
            bootstrap.reset()
        return run(stack, *args, **kwargs)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "part":
        return part_worker(sys.argv[2], float(sys.argv[3]))
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000, help="scenario a's campaign")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--crm-recipients", type=int, default=2_000, help="scenarios b, d and e's campaigns")
    parser.add_argument("--provider-recipients", type=int, default=1_000, help="scenario c's campaign")
    parser.add_argument("--only", nargs="+", choices="abcde", default=list("abcde"))
    args = parser.parse_args()
    scenarios = {
        "a": lambda: fresh(killed_workers, args.recipients, args.kills, args.seed),
        "b": lambda: fresh(crm_throttled, args.crm_recipients, seed=args.seed),
        "c": lambda: fresh(provider_failing, args.provider_recipients, seed=args.seed, timeout="1"),
        "d": lambda: fresh(two_validates, args.crm_recipients),
        "e": lambda: fresh(cancel_before, args.crm_recipients),
    }
    broken = 0
    for name in args.only:
        figures = scenarios[name]()
        print(figures.line(), flush=True)
        for problem in figures.problems:
            print(f"    PROBLEM: {problem}", flush=True)
            broken += 1
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()

"""Benchmark: a campaign of N recipients through simulate, prepare and validate, the connector's own CPU
measured apart from the emulators, against the irreducible work on the same recipients.

Run: .venv/bin/python -m tests.benchmarks.campaign_scale [--sizes 10000 100000] [--million] [--runs 3]
Prints, per action and size (median of `--runs` runs, each on its own campaign of the same contacts):

    simulate 100000: recipients_per_s=… cpu_us_per_recipient=… baseline_us=… ratio=… crm_requests_per_1000=…
    provider_requests_per_1000=… peak_mib=…

- The emulators run in one process, each measured action in a fresh worker process of its own; the
  worker's CPU is `time.process_time()` around the action alone (imports and start-up left out), so the
  emulators' time is never counted as ours. No tracemalloc while timing.
- peak_mib: the worker's `VmHWM` (`/proc/self/status`), a fresh process per action and size (unlike
  `ru_maxrss`, which on Linux keeps the parent's peak across exec).
- baseline_us: per recipient, on the same recipients and the campaign's template, measured in the same
  run (its own worker): `phonenumbers.parse` + E.164 format + one render of the compiled sandboxed
  template + a GSM-7 check. ratio = cpu_us_per_recipient / baseline_us.
- validate: the parts it queues are released in the same worker (`release_local_parts`); its figures are
  per created activity.
- An outside check: each worker's whole-process CPU as the kernel reports it to the parent (`wait4`)
  against the worker's own `process_time()` at exit; printed once at the end.
Asserts nothing.
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
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

ACTIONS = ("simulate", "prepare", "validate")


def serve(db: str, env_file: str) -> None:
    """Child process: both emulators on loopback until killed."""
    from emulators.stack import local_stack

    with local_stack(db, apply_environment=False) as stack:
        stack.octopush.credit = 1e12
        Path(env_file).write_text(json.dumps(stack.environment))
        while True:
            time.sleep(3600)


def peak_mib() -> float:
    """This process's peak resident set (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _counted(services) -> Counter:
    calls: Counter = Counter()
    for session in (services.crm._session, services.sms.session):
        session.hooks["response"].append(lambda r, *a, **k: calls.update([urlparse(r.url).port]))
    return calls


def work(campaign_id: str, action: str) -> None:
    """Child process: one action, measured; prints a JSON line."""
    from connector.bootstrap import campaign_service, get_services
    from connector.campaigns.model import CampaignAction

    services = get_services()
    calls = _counted(services)
    crm_port = urlparse(services.settings.dataverse_base).port
    started, cpu_started = time.perf_counter(), time.process_time()
    if action == "baseline":
        return baseline(services, campaign_id)
    if os.environ.get("BENCH_TRACE"):
        import faulthandler
        faulthandler.dump_traceback_later(float(os.environ["BENCH_TRACE"]), repeat=True)
    service = campaign_service(services.crm, services.sms)
    result = service.run(campaign_id, CampaignAction[action.upper()])
    assert result.ok, result.summary
    if action == "validate":
        from smsc.campaign_parts import release_local_parts

        released = release_local_parts(services, campaign_id) or result      # as `smsc campaign validate` does
        assert released.ok, released.summary
    cpu, seconds = time.process_time() - cpu_started, time.perf_counter() - started
    figures = {"action": action, "seconds": seconds, "cpu": cpu, "crm": calls[crm_port],
               "provider": sum(calls.values()) - calls[crm_port], "peak_mib": peak_mib()}
    figures["total"] = _sent(services, campaign_id) if action == "validate" else result.tally.total
    print(json.dumps(figures | {"process_cpu": time.process_time()}), flush=True)
    os._exit(0)             # no interpreter teardown: the outside check compares the same span


def _sent(services, campaign_id: str) -> int:
    """The activities validate created (counted outside the timed part)."""
    rows = services.crm.retrieve_multiple("smsc_textmessages", select=["activityid"],
                                                    filter=f"_smsc_campaignid_value eq {campaign_id}")
    return sum(1 for _ in rows)


def baseline(services, campaign_id: str) -> None:
    """The irreducible work per recipient, on the same recipients and template (read untimed)."""
    import phonenumbers

    from connector.bootstrap import campaign_service
    from connector.text.encoding import is_gsm7
    from connector.text.templates import compile_template, from_legacy, record_context

    service = campaign_service(services.crm, services.sms)
    campaign = service.campaigns.get(campaign_id)
    template = compile_template(from_legacy(_campaign_text(services, campaign_id)))
    inputs = [(c.raw_mobile, record_context(c.row))
              for c in service.recipients.candidates(campaign, template.fields, 5000)]
    compiled, e164, parse = template._compiled, phonenumbers.PhoneNumberFormat.E164, phonenumbers.parse
    fmt = phonenumbers.format_number
    cpu_started = time.process_time()
    for raw, context in inputs:
        fmt(parse(raw, "FR"), e164)
        is_gsm7(compiled.render(context))
    cpu = time.process_time() - cpu_started
    print(json.dumps({"action": "baseline", "total": len(inputs), "cpu": cpu, "process_cpu": time.process_time()}),
          flush=True)
    os._exit(0)


def _campaign_text(services, campaign_id: str) -> str:
    return services.crm.retrieve("campaigns", campaign_id, select=["smsc_text"])["smsc_text"]


def more_campaigns(emulator, campaign_id: str, count: int) -> list[str]:
    """`count` more campaigns like `campaign_id`, on the same list (the same contacts)."""
    row = emulator.store.get("campaigns", campaign_id)[1]
    [(list_id,)] = emulator.store.query("SELECT id2 FROM associations WHERE relationship=? AND id1=?",
                                        ("campaignlist_association", campaign_id))
    ids = []
    for n in range(count):
        new_id = emulator.insert("campaigns", {key: row[key] for key in (
            "smsc_recipienttype", "smsc_smstype", "smsc_smsstatus", "smsc_text")} | {"name": f"{row['name']} #{n + 2}"})
        emulator.associate("campaigns", new_id, "campaignlist_association", "lists", list_id)
        ids.append(new_id)
    return ids


def run_worker(env: dict, campaign_id: str, action: str) -> dict:
    process = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.campaign_scale", "work", campaign_id, action],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate()
    if process.returncode:
        raise RuntimeError(f"{action} worker failed:\n{err[-3000:]}")
    figures = json.loads(out.strip().splitlines()[-1])
    return figures


def run_worker_outside(env: dict, campaign_id: str, action: str) -> tuple[dict, float]:
    """The worker run, with its whole-process CPU as the kernel counts it (`wait4`)."""
    process = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.campaign_scale", "work", campaign_id, action],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{action} worker failed")
    return json.loads(out.strip().splitlines()[-1]), usage.ru_utime + usage.ru_stime


def measure(size: int, runs: int, dynamic: bool, actions: tuple[str, ...] = ACTIONS
            ) -> tuple[dict[str, list[dict]], list[tuple[str, float, float]]]:
    from emulators.dataverse import DataverseEmulator
    from emulators.dataverse_seed import seed_bulk_campaign

    with tempfile.TemporaryDirectory() as scratch:
        db, env_file = f"{scratch}/dv.sqlite3", f"{scratch}/env.json"
        emulator = DataverseEmulator(db)
        first = seed_bulk_campaign(emulator, size, dynamic=dynamic)
        campaigns = [first, *more_campaigns(emulator, first, runs - 1)]
        emulator.close()
        server = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.campaign_scale", "serve", db, env_file])
        try:
            for _ in range(1200):
                if Path(env_file).exists():
                    break
                time.sleep(0.05)
            env = {**os.environ, **json.loads(Path(env_file).read_text())}
            results: dict[str, list[dict]] = {name: [] for name in ("baseline", *actions)}
            outside = []
            for run, campaign_id in enumerate(campaigns):
                for action in ("baseline", *actions):
                    if run == 0:
                        figures, kernel = run_worker_outside(env, campaign_id, action)
                        outside.append((action, figures["process_cpu"], kernel))
                    else:
                        figures = run_worker(env, campaign_id, action)
                    results[action].append(figures)
            return results, outside
        finally:
            server.kill()
            server.wait()


def lines(size: int, results: dict[str, list[dict]]) -> list[str]:
    def median(values) -> float:
        return statistics.median(values)

    baseline_us = median(r["cpu"] / r["total"] * 1e6 for r in results["baseline"])
    out = []
    for action in [a for a in ACTIONS if a in results]:
        rs = results[action]
        cpu_us = median(r["cpu"] / r["total"] * 1e6 for r in rs)
        out.append(f"{action} {size}: recipients_per_s={median(r['total'] / r['seconds'] for r in rs):.0f} "
                   f"cpu_us_per_recipient={cpu_us:.1f} baseline_us={baseline_us:.1f} ratio={cpu_us / baseline_us:.2f} "
                   f"crm_requests_per_1000={median(r['crm'] * 1000 / r['total'] for r in rs):.2f} "
                   f"provider_requests_per_1000={median(r['provider'] * 1000 / r['total'] for r in rs):.2f} "
                   f"peak_mib={median(r['peak_mib'] for r in rs):.1f}")
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        return serve(sys.argv[2], sys.argv[3])
    if len(sys.argv) > 1 and sys.argv[1] == "work":
        return work(sys.argv[2], sys.argv[3])
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 recipients")
    parser.add_argument("--runs", type=int, default=3, help="runs per size (the median is printed)")
    parser.add_argument("--actions", nargs="+", choices=ACTIONS, default=list(ACTIONS),
                        help="some of the actions only (each needs the ones before it: prepare before validate)")
    parser.add_argument("--dynamic", action="store_true", help="a dynamic list (FetchXML) instead of a static one")
    args = parser.parse_args()
    sizes = args.sizes + ([1_000_000] if args.million else [])
    checks = []
    for size in sizes:
        actions = tuple(a for a in ACTIONS if a in args.actions or a == "prepare" and "validate" in args.actions)
        results, outside = measure(size, args.runs, args.dynamic, actions)
        checks += [(size, *o) for o in outside]
        for line in lines(size, results):
            print(line, flush=True)
    print("outside check (whole worker process CPU, seconds: its own process_time / the kernel's wait4):")
    print("  " + "  ".join(f"{action} {size}: {inside:.2f}/{kernel:.2f}" for size, action, inside, kernel in checks))


if __name__ == "__main__":
    main()

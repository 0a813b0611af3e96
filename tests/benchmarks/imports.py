"""Benchmark: `smsc import` rows per second and peak memory at 100,000 and 1,000,000 rows.

Run: .venv/bin/python -m tests.benchmarks.imports [--sizes 100000 1000000] [--emulator-rows 10000]
Prints figures, asserts nothing.

- The file: Windows-1252, `Nom;Prénom;Portable;Email`, accented names; 97% distinct valid mobiles
  (1 in 50 a Réunion number typed nationally), 1% duplicates, 1% invalid numbers, 1% `,` rows.
- The CRM: a FAKE Dataverse Web API inside the measured process (a `requests` transport answering
  each `$batch`, page and action at once), so the connector's whole client path runs — JSON, the
  multipart `$batch` bodies and answers, the adapters' chunking — but no socket and no database:
  the figures are the import's own cost. It holds 10,000 contacts (the first numbers of the file),
  so `recipients` both matches and creates. `--emulator-rows N` also runs `optouts` end to end on
  the Dataverse emulator (another process, SQLite) for N rows: there the emulator is the bottleneck.
- Each import runs in a fresh interpreter: rows/s from its wall time, peak memory from
  `resource.getrusage(RUSAGE_SELF).ru_maxrss` of that process (no tracemalloc slowing it down).
  Baselines in the same run: the interpreter with the modules loaded and nothing read (the floor),
  and the CSV reader alone (rows streamed, no number parsed, nothing written).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

CONTACTS = 10_000
FIRST = ("Hélène", "Zoé", "Noël", "Agnès", "Loïc", "François", "Jérôme", "Maëlle")
LAST = ("Lefèvre", "Garçon", "Bœuf", "Mézière", "Forêt", "Dupré", "Hôtel", "Chéreau")


def number(i: int) -> str:
    if i % 50 == 7:
        return f"0692 {i // 50 % 1_000_000:06d}"                   # Réunion, typed nationally
    return f"06 {10 + i // 1_000_000 % 10}{i // 10_000 % 100:02d} {i // 100 % 100:02d} {i % 100:02d}"


def write_file(path: Path, size: int) -> None:
    rng = random.Random(size)
    with path.open("w", encoding="cp1252", newline="") as out:
        out.write("Nom;Prénom;Portable;Email\r\n")
        for i in range(size):
            first, last, mobile = rng.choice(FIRST), rng.choice(LAST), number(i)
            if i % 100 == 31:
                mobile = number(i - 30)                         # a duplicate
            elif i % 100 == 53:
                mobile = "06 12"                                # invalid
            separator = "," if i % 100 == 77 else ";"
            out.write(separator.join((last, first, mobile, f"p{i}@example.org")) + "\r\n")


# -- the fake Web API (child process) -----------------------------------------------------------------
def fake_session():
    import requests
    from requests.adapters import BaseAdapter

    boundary = "batchresponse_bench"

    class FakeDataverse(BaseAdapter):
        def send(self, request, **kwargs):
            path = request.path_url.split("?")[0].removeprefix("/api/data/v9.2/")
            if path == "$batch":
                parts = request.body.count(b" HTTP/1.1\r\n")
                body = "".join(f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary"
                               f"\r\n\r\nHTTP/1.1 204 No Content\r\nOData-EntityId: http://bench.invalid/api/data/v9.2/"
                               f"x({uuid.uuid4()})\r\n\r\n" for _ in range(parts)) + f"--{boundary}--\r\n"
                return answer(request, 200, body.encode(), f"multipart/mixed; boundary={boundary}")
            if request.method == "GET" and path == "contacts":
                rows = [{"contactid": str(uuid.UUID(int=i + 1)), "mobilephone": number(i)} for i in range(CONTACTS)]
                return answer(request, 200, json.dumps({"value": rows}).encode())
            if request.method == "GET":
                return answer(request, 200, b'{"value": []}')
            if path == "lists":
                return answer(request, 204, b"", headers={"OData-EntityId": f"http://bench.invalid/lists({uuid.uuid4()})"})
            return answer(request, 204, b"")

        def close(self):
            pass

    def answer(request, status, body, content_type="application/json", headers=None):
        response = requests.Response()
        response.status_code, response._content, response.request, response.url = status, body, request, request.url
        response.headers.update({"Content-Type": content_type, **(headers or {})})
        return response

    session = requests.Session()
    session.mount("http://bench.invalid/", FakeDataverse())
    return session


def child(kind: str, path: str, emulator: bool) -> None:
    """One import in this fresh process; prints a JSON line."""
    from connector.configuration import Configuration
    from connector.crm.auth import StaticTokenCredential
    from connector.crm.configuration import DataverseConfiguration
    from connector.crm.dataverse import DataverseClient
    from connector.crm.marketing_lists import DataverseMarketingLists, DataversePeople
    from connector.crm.optouts import DataverseOptOuts
    from connector.imports.csv_source import CsvSource
    from connector.imports.optouts import import_optouts
    from connector.imports.recipients import import_recipients
    from connector.imports.report import ImportReport
    from connector.repositories.marketing_lists import MemberTable

    if emulator:
        from connector.bootstrap import get_services
        crm = get_services().crm
    else:
        crm = DataverseClient("http://bench.invalid", StaticTokenCredential("bench"), session=fake_session())
    config = Configuration() if kind == "floor" else DataverseConfiguration(crm).get()
    started = time.perf_counter()
    rows, extra = 0, {}
    if kind == "read":
        rows = sum(1 for _ in CsvSource(path).rows())
    elif kind in ("number-set", "string-set"):          # the duplicate check's memory, alone
        from connector.imports.numbers import NumberSet
        seen: NumberSet | set[str] = NumberSet() if kind == "number-set" else set()
        for rows in range(int(path)):
            seen.add(f"+336{rows:08d}")
        rows += 1
    elif kind in ("optouts", "recipients"):
        with open(f"{path}.{kind}-report.csv", "w", encoding="utf-8", newline="") as out:
            report = ImportReport(out)
            if kind == "optouts":
                import_optouts(CsvSource(path), DataverseOptOuts(crm), config, report)
            else:
                import_recipients(CsvSource(path), DataverseMarketingLists(crm), DataversePeople(crm), config, report,
                                  list_name="Bench", table=MemberTable.CONTACT, create=True)
            rows = report.read
            extra = {"taken": report.taken, "present": report.present, "refused": report.refused_total}
    seconds = time.perf_counter() - started
    print(json.dumps({"kind": kind, "rows": rows, "seconds": seconds, **extra,
                      "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def run_child(kind: str, path: Path, env: dict | None = None, emulator: bool = False) -> dict:
    command = [sys.executable, "-m", "tests.benchmarks.imports", "--child", kind, str(path)]
    out = subprocess.run(command + (["--emulator"] if emulator else []), env=env or dict(os.environ),
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{kind} on {path.name} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def serve(env_file: str) -> None:
    """Child process: the emulators on loopback until killed."""
    from emulators.stack import local_stack

    with local_stack(apply_environment=False) as stack:
        Path(env_file).write_text(json.dumps(stack.environment))
        while True:
            time.sleep(3600)


def emulator_run(path: Path) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        env_file = Path(scratch) / "env.json"
        server = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.imports", "--serve", str(env_file)])
        try:
            for _ in range(600):
                if env_file.exists() and env_file.read_text():
                    break
                time.sleep(0.05)
            # The emulator answers a $batch of 1,000 upserts in seconds: more than the stack's 10 s time-out.
            env = {**os.environ, **json.loads(env_file.read_text()), "SMSC_HTTP_TIMEOUT": "230"}
            return run_child("optouts", path, env, emulator=True)
        finally:
            server.kill()
            server.wait()


def line(label: str, result: dict, floor: dict) -> str:
    rate = result["rows"] / result["seconds"] if result["seconds"] else 0
    counts = (f"  taken {result['taken']:,}, present {result['present']:,}, refused {result['refused']:,}"
              if "taken" in result else "")
    return (f"  {label:34} {result['rows']:>9,} rows {result['seconds']:7.1f} s {rate:9,.0f} rows/s   "
            f"peak RSS {result['rss_peak'] / 2**20:6.1f} MiB (+{(result['rss_peak'] - floor['rss_peak']) / 2**20:5.1f} "
            f"over the floor){counts}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--emulator-rows", type=int, default=10_000, help="rows of the emulator run (0: none)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--emulator", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child, args.emulator)
    if args.serve:
        return serve(args.serve)
    with tempfile.TemporaryDirectory(prefix="smsc-imports-") as scratch:
        files = {size: Path(scratch) / f"rows-{size}.csv" for size in [*args.sizes, args.emulator_rows] if size}
        for size, path in files.items():
            write_file(path, size)
        floor = run_child("floor", files[args.sizes[0]])
        print(f"Imports (fake Dataverse Web API in the process; floor: the interpreter with the modules loaded, "
              f"peak RSS {floor['rss_peak'] / 2**20:.1f} MiB)")
        for size in args.sizes:
            path = files[size]
            print(f"\n{size:,} rows ({path.stat().st_size / 2**20:.0f} MiB, Windows-1252)")
            print(line("read the CSV only (no check)", run_child("read", path), floor))
            print(line("smsc import optouts", run_child("optouts", path), floor))
            print(line("smsc import recipients --create", run_child("recipients", path), floor))
        largest = max(args.sizes)
        print(f"\nThe duplicate check alone, {largest:,} distinct numbers")
        print(line("numbers.NumberSet (8-byte slots)", run_child("number-set", Path(str(largest))), floor))
        print(line("a Python set of E.164 strings", run_child("string-set", Path(str(largest))), floor))
        if args.emulator_rows:
            print(f"\n{args.emulator_rows:,} rows on the Dataverse emulator (SQLite, another process)")
            print(line("smsc import optouts", emulator_run(files[args.emulator_rows]), floor))


if __name__ == "__main__":
    main()

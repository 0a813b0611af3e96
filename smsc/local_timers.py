"""The app's timer-triggered functions in a local run (`smsc serve`, `smsc console`), on their schedules.

Core Tools, whose Functions host runs them in a local run, cannot be installed everywhere (README).
This reads each timer function's NCRONTAB schedule (six fields, seconds first: `0 */5 * * * *`) from
the app's registrations (functions.local_host.timer_functions), reckons its occurrences with croniter
and calls the function with the TimerRequest the host would build, as the host's timer listener does:

- at start nothing runs, unless the function asks for it (`run_on_startup`), or, for a function with
  `use_monitor`, an occurrence fell while the app was stopped: that one runs at once, once, with
  `past_due` true. The schedule status (last run, next occurrence) is what tells: the host keeps it in
  its storage account; here in a JSON file beside the emulators' `--db` (`FileScheduleStatus`), or in
  memory for a database that does not outlive the run;
- then each occurrence runs once, `past_due` false. Occurrences that went by during a long run (or
  while the machine slept) are not caught up one by one: the next is reckoned from the run's time;
- a function that fails is logged and its schedule goes on; the other functions are not affected.

Occurrences are reckoned in UTC, the time of Azure's Functions hosts unless WEBSITE_TIME_ZONE says
otherwise (Core Tools would use the machine's own zone; the app's schedules do not depend on the hour).
The clock is injected: the tests move it, nothing sleeps.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from connector.clock import utcnow

log = logging.getLogger(__name__)


class NcrontabSchedule:
    """A timer trigger's NCRONTAB expression: `{second} {minute} {hour} {day} {month} {day of week}`.

    croniter reads six fields with the seconds last by default (its `second_at_beginning` option puts
    them first, as NCRONTAB does), and takes five fields too: NCRONTAB's six are required here, so that a
    schedule Azure would read differently is refused instead of run at other times."""

    def __init__(self, expression: str):
        from croniter import croniter

        self.expression = " ".join(expression.split())
        if len(self.expression.split(" ")) != 6 or not croniter.is_valid(self.expression, second_at_beginning=True):
            raise ValueError(f"not an NCRONTAB schedule (six fields, seconds first: '0 */5 * * * *'): "
                             f"{expression!r}")

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after `moment` (UTC)."""
        from croniter import croniter

        return croniter(self.expression, moment.astimezone(timezone.utc), second_at_beginning=True).get_next(datetime)

    def __str__(self) -> str:
        return self.expression


@dataclass(frozen=True)
class TimerFunction:
    name: str
    schedule: NcrontabSchedule
    run: Callable[..., Any]                  # the user function, called with a TimerRequest
    run_on_startup: bool = False
    use_monitor: bool = True


def registered_timers() -> list[TimerFunction]:
    """The app's timer functions; one whose schedule cannot be read is said and left out (the host
    refuses to start it too), the others run."""
    from functions.local_host import timer_functions

    timers = []
    for registration in timer_functions():
        try:
            schedule = NcrontabSchedule(registration.schedule)
        except ValueError as problem:
            log.error("timer %s is not run: %s", registration.name, problem)
            continue
        timers.append(TimerFunction(registration.name, schedule, registration.function,
                                    registration.run_on_startup, registration.use_monitor))
    return timers


def _timer_request(past_due: bool, status: dict | None) -> Any:
    from functions.local_host import timer_request

    return timer_request(past_due=past_due, status=status)


# -- the schedule status of `use_monitor` ------------------------------------------------------------
class ScheduleStatus(Protocol):
    def get(self, name: str) -> dict | None: ...

    def put(self, name: str, status: dict) -> None: ...


class MemoryScheduleStatus:
    """The status of a run whose database goes with it: nothing can have been missed before it."""

    def __init__(self) -> None:
        self.statuses: dict[str, dict] = {}

    def get(self, name: str) -> dict | None:
        return self.statuses.get(name)

    def put(self, name: str, status: dict) -> None:
        self.statuses[name] = status


class FileScheduleStatus:
    """The status in a JSON file (the host's `timers/<host>/<function>/status` blobs, for a local run):
    {function: {"Last", "Next", "LastUpdated", "Schedule"}}, ISO 8601 UTC."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError:                  # a broken file: started afresh, said once
            log.warning("timer schedule status %s is not JSON: started afresh", self.path)
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, name: str) -> dict | None:
        with self._lock:
            found = self._read().get(name)
        return found if isinstance(found, dict) else None

    def put(self, name: str, status: dict) -> None:
        with self._lock:
            data = self._read()
            data[name] = status
            partial = self.path.with_name(self.path.name + ".tmp")
            partial.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
            partial.replace(self.path)      # never a half-written file


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _instant(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# -- the timer listener ------------------------------------------------------------------------------
class _Timer:
    """One function's listener: its next occurrence and the run owed at start (past due or on startup)."""

    def __init__(self, function: TimerFunction, now: datetime, status: ScheduleStatus):
        self.function, self.status = function, status
        self.startup: str | None = None         # "past due" or "on startup": owed by the first look
        kept = status.get(function.name) if function.use_monitor else None
        kept_next = _instant(kept.get("Next")) if kept else None
        if kept and kept.get("Schedule") != str(function.schedule):     # the schedule changed since
            last = _instant(kept.get("Last"))
            kept_next = function.schedule.next_after(last) if last else None
        self.missed = kept_next if kept_next is not None and kept_next < now else None
        if self.missed is not None:
            self.startup = "past due"
        elif function.run_on_startup:
            self.startup = "on startup"
        self.next = kept_next if kept_next is not None and self.missed is None else function.schedule.next_after(now)
        self.last: datetime | None = _instant(kept.get("Last")) if kept else None

    def monitor_status(self) -> dict | None:
        if not self.function.use_monitor:
            return None
        return {"Last": _iso(self.last) if self.last else "0001-01-01T00:00:00Z", "Next": _iso(self.next),
                "LastUpdated": _iso(self.last) if self.last else "0001-01-01T00:00:00Z"}

    def due(self, now: datetime) -> str | None:
        """Why it runs now (`scheduled`, `past due`, `on startup`), or None."""
        if self.startup is not None:
            return self.startup
        return "scheduled" if now >= self.next else None

    def ran(self, now: datetime, reason: str) -> None:
        # A scheduled run that began a moment before its occurrence counts from that occurrence, so the
        # same occurrence is never the next one twice (as the host adjusts its invocation time).
        counted_from = max(now, self.next) if reason == "scheduled" else now
        self.startup, self.last = None, counted_from
        self.next = self.function.schedule.next_after(counted_from)
        if self.function.use_monitor:
            self.status.put(self.function.name, {"Last": _iso(counted_from), "Next": _iso(self.next),
                                                 "LastUpdated": _iso(counted_from),
                                                 "Schedule": str(self.function.schedule)})


class TimerHost:
    """Runs the timer functions whose occurrence has come (`run_due`, by a Ticker every second while
    `smsc serve` runs); what happened, for the log."""

    def __init__(self, functions: Iterable[TimerFunction] | None = None, *,
                 clock: Callable[[], datetime] = utcnow, status: ScheduleStatus | None = None):
        self.clock = clock
        now = clock()
        status = status if status is not None else MemoryScheduleStatus()
        self.timers = [_Timer(f, now, status) for f in (registered_timers() if functions is None else functions)]

    def schedules(self) -> list[tuple[str, str, datetime | None]]:
        """(function, NCRONTAB schedule, next run: None when owed at once) of each timer function."""
        return [(t.function.name, str(t.function.schedule), None if t.startup else t.next) for t in self.timers]

    def run_due(self) -> list[str]:
        outcomes = []
        for timer in self.timers:
            now = self.clock()
            reason = timer.due(now)
            if reason is None:
                continue
            request = _timer_request(reason == "past due", timer.monitor_status())
            started = time.monotonic()
            try:
                timer.function.run(request)
            except Exception as error:      # the host logs a failed run; the schedule goes on
                log.exception("timer %s (%s) failed", timer.function.name, reason)
                outcomes.append(f"timer {timer.function.name} ({reason}): failed: {error}")
            else:
                outcomes.append(f"timer {timer.function.name} ({reason}): done in {time.monotonic() - started:.2f} s")
            timer.ran(now, reason)
        return outcomes

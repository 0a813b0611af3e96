"""The timer functions of a local run (smsc.local_timers) run on their NCRONTAB schedules as the Functions
host runs them: once per occurrence, a failing one not stopping the others, missed occurrences (use_monitor)
and run_on_startup at start. The clock is injected: nothing sleeps."""
from datetime import datetime, timedelta, timezone

import pytest

from smsc.local_timers import (FileScheduleStatus, MemoryScheduleStatus, NcrontabSchedule, TimerFunction, TimerHost,
                               registered_timers)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 12, 2, hour, minute, second, tzinfo=timezone.utc)


class Calls:
    """A timer function that notes each call's TimerRequest."""

    def __init__(self, fail: bool = False):
        self.requests, self.fail = [], fail

    def __call__(self, timer) -> None:
        self.requests.append(timer)
        if self.fail:
            raise RuntimeError("the CRM is down")


def timer(name: str, schedule: str, run, **kw) -> TimerFunction:
    return TimerFunction(name, NcrontabSchedule(schedule), run, **kw)


def test_the_seconds_come_first_as_in_ncrontab():
    every_five_minutes = NcrontabSchedule("0 */5 * * * *")
    assert every_five_minutes.next_after(at(16, 3, 10)) == at(16, 5)
    assert NcrontabSchedule("30 */2 * * * *").next_after(at(16, 4, 30)) == at(16, 6, 30)
    assert NcrontabSchedule("0 7,37 * * * *").next_after(at(16, 8)) == at(16, 37)


@pytest.mark.parametrize("expression", ["*/5 * * * *", "00:05:00", "0 */5 * * * * *", "0 61 * * * *", ""])
def test_a_schedule_that_is_not_six_ncrontab_fields_is_refused(expression):
    with pytest.raises(ValueError, match="six fields, seconds first"):
        NcrontabSchedule(expression)


def test_the_apps_timer_functions_are_read_from_its_registrations():
    timers = {t.name: t for t in registered_timers()}
    assert str(timers["release_scheduled_sms"].schedule) == "0 * * * * *"
    assert str(timers["resume_campaign_parts"].schedule) == "15 */5 * * * *"
    assert {"resume_interrupted_sends", "take_up_left_requests", "close_due_campaigns", "low_credit_alert",
            "apply_waiting_delivery_reports", "run_schedule_workflows"} <= set(timers)
    assert not any(t.run_on_startup for t in timers.values()) and all(t.use_monitor for t in timers.values())


def test_a_timer_runs_once_per_occurrence_with_past_due_false():
    clock, calls = Clock(at(15, 0, 30)), Calls()
    host = TimerHost([timer("every_minute", "0 * * * * *", calls)], clock=clock)
    assert host.run_due() == []                        # nothing at start (run_on_startup false)
    clock.now = at(15, 0, 59)
    assert host.run_due() == []
    clock.now = at(15, 1)
    [outcome] = host.run_due()
    assert outcome.startswith("timer every_minute (scheduled): done")
    assert host.run_due() == [] and len(calls.requests) == 1        # the same occurrence runs once
    clock.now = at(15, 1, 59)
    assert host.run_due() == []
    clock.now = at(15, 2, 0, )
    host.run_due()
    assert len(calls.requests) == 2 and [r.past_due for r in calls.requests] == [False, False]
    assert calls.requests[1].schedule_status["Last"] == "2026-12-02T15:01:00Z"      # use_monitor: the status


def test_occurrences_gone_by_during_a_long_pause_run_once_not_one_by_one():
    clock, calls = Clock(at(15, 0, 30)), Calls()
    host = TimerHost([timer("every_minute", "0 * * * * *", calls)], clock=clock)
    clock.now = at(15, 5, 30)                        # the machine slept through four occurrences
    host.run_due()
    host.run_due()
    assert len(calls.requests) == 1
    assert host.schedules() == [("every_minute", "0 * * * * *", at(15, 6))]


def test_a_failing_timer_is_logged_and_neither_stops_the_others_nor_its_own_schedule(caplog):
    clock, broken, working = Clock(at(15, 0, 30)), Calls(fail=True), Calls()
    host = TimerHost([timer("broken", "0 * * * * *", broken), timer("working", "0 * * * * *", working)], clock=clock)
    clock.now = at(15, 1)
    outcomes = host.run_due()
    assert outcomes[0] == "timer broken (scheduled): failed: the CRM is down"
    assert outcomes[1].startswith("timer working (scheduled): done") and len(working.requests) == 1
    assert "timer broken (scheduled) failed" in caplog.text
    clock.now = at(15, 2)
    host.run_due()
    assert (len(broken.requests), len(working.requests)) == (2, 2)


def test_each_timer_keeps_its_own_schedule():
    clock, minute, five = Clock(at(15, 0, 30)), Calls(), Calls()
    host = TimerHost([timer("minute", "0 * * * * *", minute), timer("five", "15 */5 * * * *", five)], clock=clock)
    for second in range(0, 11 * 60, 15):               # 15:00:30 to 15:11:15, every 15 s
        clock.now = at(15, 0, 30) + timedelta(seconds=second)
        host.run_due()
    assert len(minute.requests) == 11 and len(five.requests) == 2      # 15:05:15 and 15:10:15


def test_with_the_monitor_an_occurrence_missed_while_stopped_runs_once_at_start_past_due(tmp_path):
    status = FileScheduleStatus(tmp_path / "org.sqlite3.timers.json")
    clock, calls = Clock(at(15, 0, 30)), Calls()
    first_run = TimerHost([timer("every_five", "0 */5 * * * *", calls)], clock=clock, status=status)
    clock.now = at(15, 5)
    first_run.run_due()
    assert status.get("every_five")["Next"] == "2026-12-02T15:10:00Z"

    clock.now = at(15, 7)                            # stopped at 15:06, started again at 15:07: nothing missed
    assert TimerHost([timer("every_five", "0 */5 * * * *", calls)], clock=clock, status=status).run_due() == []
    clock.now = at(15, 23)                           # stopped again, through 15:10, 15:15 and 15:20
    later = TimerHost([timer("every_five", "0 */5 * * * *", calls)], clock=clock, status=status)
    [outcome] = later.run_due()
    assert outcome.startswith("timer every_five (past due): done") and calls.requests[-1].past_due is True
    assert later.run_due() == [] and len(calls.requests) == 2
    clock.now = at(15, 25)
    later.run_due()
    assert calls.requests[-1].past_due is False and len(calls.requests) == 3


def test_without_the_monitor_or_with_another_schedule_nothing_missed_is_run():
    status = MemoryScheduleStatus()
    status.put("unmonitored", {"Last": "2026-12-02T14:00:00Z", "Next": "2026-12-02T14:05:00Z",
                               "LastUpdated": "2026-12-02T14:00:00Z", "Schedule": "0 */5 * * * *"})
    calls = Calls()
    host = TimerHost([timer("unmonitored", "0 */5 * * * *", calls, use_monitor=False)], clock=Clock(at(15, 3)),
                     status=status)
    assert host.run_due() == [] and calls.requests == []


def test_run_on_startup_runs_at_start_not_past_due():
    calls, idle = Calls(), Calls()
    host = TimerHost([timer("eager", "0 0 * * * *", calls, run_on_startup=True), timer("idle", "0 0 * * * *", idle)],
                     clock=Clock(at(15, 3)))
    [outcome] = host.run_due()
    assert outcome.startswith("timer eager (on startup): done") and calls.requests[0].past_due is False
    assert host.run_due() == [] and idle.requests == []


def test_a_broken_status_file_is_started_afresh(tmp_path):
    path = tmp_path / "timers.json"
    path.write_text("{not json", encoding="utf-8")
    status = FileScheduleStatus(path)
    assert status.get("any") is None
    status.put("any", {"Next": "2026-12-02T15:10:00Z"})
    assert FileScheduleStatus(path).get("any") == {"Next": "2026-12-02T15:10:00Z"}

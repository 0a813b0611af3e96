"""The timer functions in a local run, on the emulators: `smsc serve`'s timer host releases a scheduled unit
SMS through the app's own `release_scheduled_sms` at its minute (the clock injected: nothing sleeps), and
`smsc serve` / `smsc console` start the timers, or not with `--no-timers`."""
import threading
from datetime import datetime, timedelta, timezone

import pytest

from emulators import dataverse_seed as seed
from smsc.local_timers import TimerHost, registered_timers

SMITH = ("contact", seed.DAVID_SMITH_ID)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def wire(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_release_timer_sends_a_held_sms_once_at_its_minute(crm, stack):
    due = (datetime.now(timezone.utc) + timedelta(minutes=30)).replace(microsecond=0)
    activity_id = crm.new_sms(SMITH, text="Votre rendez-vous est confirmé.", scheduledend=wire(due))
    assert crm.webhook(activity_id).json()["outcome"] == "scheduled"
    [release] = [t for t in registered_timers() if t.name == "release_scheduled_sms"]
    start = datetime.now(timezone.utc).replace(second=20, microsecond=0)
    clock = Clock(start)
    host = TimerHost([release], clock=clock)

    clock.now = start + timedelta(seconds=40)            # the next minute: the timer runs, nothing is due yet
    assert [o.split(":")[0] for o in host.run_due()] == ["timer release_scheduled_sms (scheduled)"]
    assert stack.octopush.sends == [] and crm.activity(activity_id)["smsc_status"] == 4

    # Its time has come (the due date moved to the past stands for the half hour gone by).
    stack.dataverse.update("smsc_textmessages", activity_id, {"scheduledend": wire(datetime.now(timezone.utc))})
    clock.now += timedelta(seconds=30)                   # within the same minute: the timer does not run again
    assert host.run_due() == [] and stack.octopush.sends == []
    clock.now += timedelta(seconds=30)
    [outcome] = host.run_due()
    assert "done" in outcome
    [send] = stack.octopush.sends
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 5 and activity["smsc_providermessageid"] == send["ticket"]
    clock.now += timedelta(minutes=1)
    host.run_due()
    assert len(stack.octopush.sends) == 1


@pytest.fixture
def serving(monkeypatch):
    """`smsc serve` / `smsc console` returning at once instead of waiting for Ctrl-C; the threads that ran.
    The root logger as it was again after (the commands point it at the test's captured stderr)."""
    import logging

    import smsc.serve

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    seen: list[set[str]] = []
    monkeypatch.setattr(smsc.serve, "until_interrupted", lambda server: seen.append(
        {t.name for t in threading.enumerate()}))
    yield seen
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize("command", [["serve", "--emulators"], ["console"]])
def test_serve_and_console_run_the_timer_functions_unless_told_not_to(command, serving, capsys):
    from smsc.cli import main

    assert main([*command, "--port", "0"]) == 0
    out = capsys.readouterr().out
    assert "Timer functions, on their NCRONTAB schedules" in out
    assert "release_scheduled_sms" in out and "15 */5 * * * *" in out
    assert {"smsc-timer-ticker", "smsc-queue-ticker"} <= serving[-1]

    assert main([*command, "--port", "0", "--no-timers"]) == 0
    out = capsys.readouterr().out
    assert "Timer functions: off (--no-timers)." in out and "release_scheduled_sms" not in out
    assert "smsc-timer-ticker" not in serving[-1] and "smsc-queue-ticker" in serving[-1]
    assert "smsc-timer-ticker" not in {t.name for t in threading.enumerate()}       # stopped with the server


def test_a_kept_database_keeps_the_timers_schedule_status_beside_it(tmp_path, serving, capsys):
    from smsc.cli import main

    db = tmp_path / "org.sqlite3"
    assert main(["serve", "--emulators", "--db", str(db), "--port", "0"]) == 0
    assert "Timer functions, on their NCRONTAB schedules" in capsys.readouterr().out
    from smsc.local_timers import FileScheduleStatus
    status = FileScheduleStatus(tmp_path / "org.sqlite3.timers.json")
    status.put("close_due_campaigns", {"Last": "2026-01-01T00:00:00Z", "Next": "2026-01-01T00:15:00Z",
                                       "LastUpdated": "2026-01-01T00:00:00Z", "Schedule": "0 */15 * * * *"})
    assert main(["serve", "--emulators", "--db", str(db), "--port", "0"]) == 0
    out = capsys.readouterr().out
    assert "close_due_campaigns              0 */15 * * * *     now (missed while stopped)" in out

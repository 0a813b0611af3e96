"""A function that dies between the take and the write-back: the timer resumes the send with the
same key, so the SMS goes out exactly once."""
from datetime import datetime, timedelta, timezone

import pytest

from connector.bootstrap import get_services, unit_sms_service
from emulators import dataverse_seed as seed
from connector.unit_recovery import resume_stuck_sends
from functions.local_host import invoke, registered_functions

SMITH = ("contact", seed.DAVID_SMITH_ID)
LATER = timedelta(minutes=11)


class Crash(Exception):
    """Stands for the worker process dying."""


class CrashingProvider:
    """Dies before (or just after) handing the SMS to the real provider."""
    name = "octopush"

    def __init__(self, real, after_send: bool):
        self.real, self.after_send = real, after_send
        self.label, self.capabilities = real.label, real.capabilities

    def send(self, request):
        if self.after_send:
            self.real.send(request)
        raise Crash()


def crash_during_send(crm, after_send: bool) -> str:
    activity_id = crm.new_sms(SMITH, text="Votre commande est prête.")
    services = get_services()
    with pytest.raises(Crash):
        unit_sms_service(services.crm, CrashingProvider(services.sms, after_send)).send(activity_id)
    assert crm.activity(activity_id)["smsc_status"] == 3       # stuck in Sending
    return activity_id


@pytest.mark.parametrize("after_send", [False, True])
def test_an_interrupted_send_is_resumed_once(crm, stack, after_send):
    activity_id = crash_during_send(crm, after_send)
    services = get_services()
    now = datetime.now(timezone.utc)

    assert resume_stuck_sends(unit_sms_service(services.crm, services.sms), now) == []          # too recent to judge
    [result] = resume_stuck_sends(unit_sms_service(services.crm, services.sms), now + LATER)
    assert result.outcome == "sent"
    assert len(stack.octopush.sends) == 1
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 5
    assert stack.octopush.sends[0]["body"]["request_id"] == activity["smsc_idempotencykey"]
    assert (activity["smsc_providermessageid"] is None) == after_send        # the ticket is lost with the crash
    assert resume_stuck_sends(unit_sms_service(services.crm, services.sms), now + 2 * LATER) == []


def test_a_send_stuck_for_more_than_a_day_is_not_resent(crm, stack):
    activity_id = crash_during_send(crm, after_send=False)
    services = get_services()
    [result] = resume_stuck_sends(unit_sms_service(services.crm, services.sms),
                                  datetime.now(timezone.utc) + timedelta(days=2))
    assert result.outcome == "failed" and stack.octopush.sends == []
    assert "check with the provider" in crm.activity(activity_id)["smsc_error"]


def test_the_timer_function_is_registered_and_runs(crm, stack):
    [timer] = [f for f in registered_functions() if f.get_function_name() == "resume_interrupted_sends"]
    from azure.functions.timer import TimerRequest
    timer.get_user_function()(TimerRequest(past_due=False))     # nothing stuck: no error, nothing sent
    assert stack.octopush.sends == []
    assert invoke("GET", "health").status == 200

"""Scheduled unit SMS on the emulators: held by the connector, released by the timer at their time,
cancelled by the user until then with nothing sent, and requests left *Send requested* taken up.
The timer's instant is injected (`now`): no real waiting."""
from datetime import datetime, timedelta, timezone

import pytest

from connector.bootstrap import get_services, unit_sms_service
from connector.unit_recovery import take_up_left_requests
from connector.unit_release import release_due_sms
from emulators import dataverse_seed as seed
from emulators.webhook_bodies import option, remote_execution_context
from functions.local_host import registered_functions

SMITH = ("contact", seed.DAVID_SMITH_ID)


def wire(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def scheduled(crm, minutes: int = 30) -> tuple[str, datetime]:
    """An SMS due in `minutes`, sent by the user: held at the connector."""
    due = (datetime.now(timezone.utc) + timedelta(minutes=minutes)).replace(microsecond=0)
    activity_id = crm.new_sms(SMITH, text="Votre rendez-vous est confirmé.", scheduledend=wire(due))
    answer = crm.webhook(activity_id).json()
    assert answer == {"handled": "unit-sms:scheduled", "activityid": activity_id, "outcome": "scheduled",
                      "sendat": wire(due)}
    return activity_id, due


def cancel(crm, stack, activity_id: str, before: int):
    """« Annuler l'envoi »: the form sets the status Cancelled and saves (not conditional, as a form's
    save is); Dataverse's step on smsc_status posts the Update with the status before in its pre-image."""
    stack.dataverse.update("smsc_textmessages", activity_id, {"smsc_status": 9})
    body = remote_execution_context("Update", "smsc_textmessage", activity_id, user_id=seed.CLAIRE_MARTIN_ID,
                                    attributes={"smsc_status": option(9)}, pre_image={"smsc_status": option(before)})
    return crm.post_event(body)


def release(now: datetime):
    services = get_services()
    return release_due_sms(unit_sms_service(services.crm, services.sms), now)


def test_a_scheduled_sms_leaves_at_its_time_from_the_timer_with_its_key(crm, stack):
    activity_id, due = scheduled(crm)
    assert release(due - timedelta(minutes=1)) == [] and stack.octopush.sends == []

    [result] = release(due)

    assert result.outcome == "sent"
    [send] = stack.octopush.sends
    assert "send_at" not in send["body"] and send["numbers"] == ["+33649819006"]
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 5 and activity["smsc_providermessageid"] == send["ticket"]
    assert send["body"]["request_id"] == activity["smsc_idempotencykey"] and activity["actualend"] == wire(due)
    assert release(due + timedelta(minutes=1)) == [] and len(stack.octopush.sends) == 1


def test_a_scheduled_sms_cancelled_a_minute_before_its_time_is_never_sent(crm, stack):
    activity_id, due = scheduled(crm)

    answer = cancel(crm, stack, activity_id, before=4)           # a minute before `due`
    assert answer.status == 200
    assert answer.json() == {"handled": "unit-sms:cancelled", "activityid": activity_id, "outcome": "cancelled"}
    for minute in range(-1, 4):                                  # the timer runs on, past its time
        assert release(due + timedelta(minutes=minute)) == []

    assert stack.octopush.sends == []
    activity = crm.activity(activity_id)
    assert (activity["smsc_status"], activity["smsc_providermessageid"], activity["actualend"]) == (9, None, None)


def test_a_cancel_racing_the_release_is_decided_by_the_etag(crm, stack):
    activity_id, due = scheduled(crm)
    services = get_services()
    service = unit_sms_service(services.crm, services.sms, clock=lambda: due)
    [read] = list(service.activities.due_scheduled(due))         # the timer read the row...
    cancel(crm, stack, activity_id, before=4)                    # ...the user's cancel landed first
    assert service.release(read).outcome == "already-taken"
    assert stack.octopush.sends == [] and crm.activity(activity_id)["smsc_status"] == 9


def test_a_cancel_after_the_sms_left_is_refused_in_the_users_language_and_the_status_restored(crm, stack):
    activity_id, due = scheduled(crm)
    release(due)

    answer = cancel(crm, stack, activity_id, before=5).json()

    assert answer["handled"] == "unit-sms:cancel-refused"
    assert answer["error"] == "Annulation impossible : le SMS était déjà envoyé quand l'annulation est arrivée."
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 5 and activity["smsc_error"] == answer["error"]
    assert len(stack.octopush.sends) == 1


def test_a_held_marketing_sms_whose_time_falls_in_quiet_hours_waits_for_their_end(crm, stack):
    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID,
                           {"smsc_quiethoursstart": 20, "smsc_quiethoursend": 8})
    night = datetime(2026, 11, 23, 21, 30, tzinfo=timezone.utc)          # 22:30 in Paris
    activity_id = crm.new_sms(SMITH, text="Soldes ! STOP au 30101", smsc_smstype=1, scheduledend=wire(night),
                              status=4, smsc_idempotencykey="unit-held-by-hand-1", smsc_phonenumber="+33649819006")

    [result] = release(night)

    assert result.outcome == "scheduled" and stack.octopush.sends == []
    assert crm.activity(activity_id)["scheduledend"] == "2026-11-24T07:00:00Z"
    [later] = release(datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc))
    assert later.outcome == "sent" and stack.octopush.sends[0]["body"]["request_id"] == "unit-held-by-hand-1"


def test_a_request_no_webhook_delivery_took_is_sent_once_by_the_timer(crm, stack):
    activity_id = crm.new_sms(SMITH, text="Votre colis est arrivé.")     # Send requested; both deliveries lost
    services = get_services()
    now = datetime.now(timezone.utc)
    assert take_up_left_requests(unit_sms_service(services.crm, services.sms), now) == []     # too recent

    [result] = take_up_left_requests(unit_sms_service(services.crm, services.sms), now + timedelta(minutes=6))

    assert result.outcome == "sent"
    [send] = stack.octopush.sends
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 5 and send["body"]["request_id"] == activity["smsc_idempotencykey"]
    assert take_up_left_requests(unit_sms_service(services.crm, services.sms), now + timedelta(minutes=12)) == []
    assert crm.webhook(activity_id).json()["outcome"] == "nothing-to-do"          # a late delivery sends nothing


@pytest.mark.parametrize("name", ["release_scheduled_sms", "take_up_left_requests"])
def test_the_timer_functions_are_registered_and_run(crm, stack, name):
    [timer] = [f for f in registered_functions() if f.get_function_name() == name]
    from azure.functions.timer import TimerRequest
    timer.get_user_function()(TimerRequest(past_due=False))     # nothing due: no error, nothing sent
    assert stack.octopush.sends == []


def test_smsc_unit_sms_release_runs_the_timer_at_the_instant_given(crm, stack, capsys):
    from smsc.cli import main

    activity_id, due = scheduled(crm)
    assert main(["unit-sms", "release", "--at", wire(due - timedelta(minutes=1))]) == 0
    assert capsys.readouterr().out == "nothing to do\n" and stack.octopush.sends == []
    assert main(["unit-sms", "release", "--at", wire(due)]) == 0
    assert capsys.readouterr().out == f"{activity_id}: sent\n" and len(stack.octopush.sends) == 1


def test_smsc_unit_sms_refuses_a_bad_instant_in_one_line(stack, capsys):
    from smsc.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["unit-sms", "release", "--at", "tomorrow"])
    assert exited.value.code == 2 and "not an ISO 8601 date and time: 'tomorrow'" in capsys.readouterr().err
    assert stack.octopush.sends == []

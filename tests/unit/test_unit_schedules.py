"""Unit SMS held by the connector (DESIGN §7 « Schedules »): released by the timer at their time,
cancellable until then, and never left silently in *Send requested* — against in-memory repositories."""
from dataclasses import replace
from datetime import timedelta

import pytest

from connector.activity import SmsStatus
from connector.errors import Unavailable
from connector.repositories.sms_activities import SmsActivity
from connector.sms.port import SmsType
from connector.unit_cancel import settle_cancel
from connector.unit_recovery import take_up_left_requests
from connector.unit_release import release_due_sms
from tests.fakes.sms_activities import FakeSmsActivities
from tests.unit.test_unit_sms_service import CONFIG, ENGLISH, FRENCH, NIGHT, NOW, SMITH, Unit, requested

DUE = NOW + timedelta(hours=2)


def held(unit: Unit) -> SmsActivity:
    """The SMS as the send request left it: Scheduled at the connector, due at DUE."""
    assert unit.send(FRENCH).outcome == "scheduled" and unit.provider.requests == []
    return unit.row


def scheduled_row(**columns) -> SmsActivity:
    values = {"text": "Soldes ! STOP au 30101", "phone_number": "+33649819006", "sms_type": SmsType.MARKETING,
              "sender": "CONTOSO", "idempotency_key": "unit-sms-1-held", "due": NIGHT, "owner_id": FRENCH,
              "recipient": SMITH} | columns
    return SmsActivity("sms-1", 'W/"3"', SmsStatus.SCHEDULED, "SMS", **values)


# -- release ---------------------------------------------------------------------------------------------
def test_a_held_sms_is_released_at_its_time_with_its_key_and_written_back_sent():
    unit = Unit(requested(due=DUE))
    key = held(unit).idempotency_key

    assert release_due_sms(unit.service, DUE - timedelta(minutes=1)) == []        # not yet
    assert unit.provider.requests == []
    [result] = release_due_sms(unit.service, DUE)

    assert (result.outcome, result.ticket) == ("sent", "sms_1")
    [request] = unit.provider.requests
    assert (request.request_id, request.send_at, request.text) == (key, None, "Votre commande 4711 est expédiée.")
    assert [r.phone_number for r in request.recipients] == ["+33649819006"]
    assert (unit.row.status, unit.row.ticket, unit.row.sent_on) == (SmsStatus.SENT, "sms_1", DUE)
    assert release_due_sms(unit.service, DUE + timedelta(minutes=5)) == []      # released once


def test_a_cancelled_sms_is_never_released():
    unit = Unit(requested(due=DUE))
    row = held(unit)
    unit.activities._write(row.id, status=SmsStatus.CANCELLED)          # the user's save
    assert release_due_sms(unit.service, DUE + timedelta(days=1)) == []
    assert unit.provider.requests == [] and unit.row.status == SmsStatus.CANCELLED


def test_a_cancel_saved_between_the_timers_read_and_its_take_wins():
    unit = Unit(requested(due=DUE))
    held(unit)
    unit.activities.meanwhile = lambda fake, row: fake._write(row.id, status=SmsStatus.CANCELLED)
    [result] = release_due_sms(unit.service, DUE)
    assert result.outcome == "already-taken"
    assert unit.provider.requests == [] and unit.row.status == SmsStatus.CANCELLED


def test_two_timer_instances_reading_the_same_row_send_it_once():
    unit = Unit(requested(due=DUE))
    held(unit)
    service = unit.service.at(lambda: DUE)
    [first], [second] = list(unit.activities.due_scheduled(DUE)), list(unit.activities.due_scheduled(DUE))
    assert service.release(first).outcome == "sent"
    assert service.release(second).outcome == "already-taken"
    assert len(unit.provider.requests) == 1


def test_a_marketing_sms_whose_time_falls_in_quiet_hours_waits_again():
    config = CONFIG.model_copy(update={"quiet_hours": (20, 8)})      # set after the SMS was held
    unit = Unit(config=config, now=NIGHT)
    unit.activities = FakeSmsActivities(scheduled_row())
    unit.service.activities = unit.activities
    [result] = release_due_sms(unit.service, NIGHT)

    assert result.outcome == "scheduled" and unit.provider.requests == []
    assert result.send_at.isoformat() == "2026-11-24T08:00:00+01:00"
    assert (unit.row.status, unit.row.due, unit.row.idempotency_key) == (SmsStatus.SCHEDULED, result.send_at,
                                                                         "unit-sms-1-held")
    [later] = release_due_sms(unit.service, result.send_at)
    assert later.outcome == "sent" and unit.provider.requests[0].request_id == "unit-sms-1-held"


def test_a_number_opted_out_while_it_was_held_fails_it_in_the_owners_language():
    unit = Unit(optouts={"+33649819006"})
    unit.activities = unit.service.activities = FakeSmsActivities(scheduled_row(sms_type=SmsType.TRANSACTIONAL))
    [result] = release_due_sms(unit.service, NIGHT)
    assert result.outcome == "failed" and "liste d'opposition" in result.detail
    assert unit.provider.requests == [] and unit.row.status == SmsStatus.FAILED


def test_a_row_set_scheduled_by_hand_is_failed_not_sent():
    unit = Unit()
    unit.activities = unit.service.activities = FakeSmsActivities(
        scheduled_row(idempotency_key=None, phone_number=None, owner_id=ENGLISH))
    [result] = release_due_sms(unit.service, NIGHT)
    assert result.outcome == "failed" and "'Send' button" in result.detail and unit.provider.requests == []


def test_an_sms_the_provider_holds_already_is_not_released_again():
    unit = Unit()
    unit.activities = unit.service.activities = FakeSmsActivities(scheduled_row(ticket="sms_old"))
    assert release_due_sms(unit.service, NIGHT + timedelta(days=1)) == [] and unit.provider.requests == []


def test_a_quota_warning_written_with_the_hold_stays_after_the_release():
    unit = Unit()
    unit.activities = unit.service.activities = FakeSmsActivities(
        scheduled_row(sms_type=SmsType.TRANSACTIONAL, error="Attention, contingentement dépassé"))
    [result] = release_due_sms(unit.service, NIGHT)
    assert result.outcome == "sent" and unit.row.error == "Attention, contingentement dépassé"


# -- cancel ----------------------------------------------------------------------------------------------
def cancelled(unit: Unit, before: SmsStatus, **columns) -> None:
    unit.activities = unit.service.activities = FakeSmsActivities(
        replace(scheduled_row(), status=SmsStatus.CANCELLED, **columns))


def test_a_cancel_of_a_scheduled_sms_stands_and_writes_nothing():
    unit = Unit()
    cancelled(unit, SmsStatus.SCHEDULED)
    result = settle_cancel(unit.service, "sms-1", SmsStatus.SCHEDULED, FRENCH)
    assert result.outcome == "cancelled"
    assert (unit.row.status, unit.row.etag) == (SmsStatus.CANCELLED, 'W/"3"')


@pytest.mark.parametrize("before, user, words", [
    (SmsStatus.SENDING, FRENCH, "Annulation impossible : le SMS était déjà en cours d'envoi"),
    (SmsStatus.SENT, ENGLISH, "The cancel came too late: the SMS was already sent."),
    (SmsStatus.DELIVERED, ENGLISH, "already delivered"),
])
def test_a_cancel_after_the_sms_left_is_refused_and_the_status_written_back(before, user, words):
    unit = Unit()
    cancelled(unit, before)
    result = settle_cancel(unit.service, "sms-1", before, user)
    assert result.outcome == "cancel-refused" and words in result.detail
    assert (unit.row.status, unit.row.error) == (before, result.detail)


def test_a_cancel_the_send_wrote_over_is_left_as_the_send_wrote_it():
    unit = Unit()
    cancelled(unit, SmsStatus.SENDING)
    unit.activities._write("sms-1", status=SmsStatus.SENT, ticket="sms_9")     # mark_sent after the cancel
    result = settle_cancel(unit.service, "sms-1", SmsStatus.SENDING, ENGLISH)
    assert (result.outcome, result.detail) == ("nothing-to-do", "the SMS status is sent")
    assert unit.row.status == SmsStatus.SENT


def test_a_send_written_while_the_refusal_is_written_is_kept():
    unit = Unit()
    cancelled(unit, SmsStatus.SENDING)
    unit.activities.meanwhile = lambda fake, row: fake._write(row.id, status=SmsStatus.SENT, ticket="sms_9")
    result = settle_cancel(unit.service, "sms-1", SmsStatus.SENDING, ENGLISH)
    assert result.outcome == "nothing-to-do" and unit.row.status == SmsStatus.SENT


def test_without_a_pre_image_a_provider_ticket_says_it_left():
    unit = Unit()
    cancelled(unit, SmsStatus.SENT, ticket="sms_9")
    assert settle_cancel(unit.service, "sms-1", None, ENGLISH).outcome == "cancel-refused"
    assert unit.row.status == SmsStatus.SENT
    unit2 = Unit()
    cancelled(unit2, SmsStatus.SCHEDULED)
    assert settle_cancel(unit2.service, "sms-1", None, ENGLISH).outcome == "cancelled"


# -- left Send requested -----------------------------------------------------------------------------------
def left(minutes_ago: float, **columns) -> SmsActivity:
    return requested(modified_on=NOW - timedelta(minutes=minutes_ago), owner_id=FRENCH, **columns)


def test_a_request_no_webhook_took_is_sent_once_by_the_timer():
    unit = Unit(left(minutes_ago=6))
    assert take_up_left_requests(unit.service, NOW - timedelta(minutes=2)) == []     # too recent
    [result] = take_up_left_requests(unit.service, NOW)
    assert result.outcome == "sent" and len(unit.provider.requests) == 1
    assert unit.row.status == SmsStatus.SENT
    assert unit.provider.requests[0].request_id == unit.row.idempotency_key
    assert take_up_left_requests(unit.service, NOW + timedelta(minutes=10)) == []


def test_a_workflow_request_left_behind_goes_with_its_own_key():
    unit = Unit(left(minutes_ago=6, workflow_id="wf-1", idempotency_key="wf:wf-1:c-smith:Create:op-1"))
    [result] = take_up_left_requests(unit.service, NOW)
    assert result.outcome == "sent" and unit.provider.requests[0].request_id == "wf:wf-1:c-smith:Create:op-1"


def test_a_request_left_with_a_future_due_date_is_held_not_sent():
    unit = Unit(left(minutes_ago=6, due=DUE))
    [result] = take_up_left_requests(unit.service, NOW)
    assert result.outcome == "scheduled" and unit.provider.requests == [] and unit.row.status == SmsStatus.SCHEDULED


def test_a_request_left_for_more_than_a_day_is_failed_with_the_reason():
    unit = Unit(left(minutes_ago=24 * 60))
    [result] = take_up_left_requests(unit.service, NOW)
    assert result.outcome == "failed" and "pas été prise en charge pendant plus de 23 heures" in result.detail
    assert unit.row.status == SmsStatus.FAILED and unit.provider.requests == []


class Throttled(FakeSmsActivities):
    """Dataverse still refusing the read the send starts with (then answering again)."""
    refused = False

    def get(self, activity_id):
        if not self.refused:
            self.refused = True
            raise Unavailable("Dataverse answered 429 eight times")
        return super().get(activity_id)


def test_a_request_the_timer_cannot_send_either_ends_failed_with_the_reason():
    unit = Unit()
    unit.activities = unit.service.activities = Throttled(left(minutes_ago=6))
    [result] = take_up_left_requests(unit.service, NOW)
    assert result.outcome == "failed" and "429" in result.detail and "rien n'est parti" in result.detail
    assert unit.activities.rows["sms-1"].status == SmsStatus.FAILED and unit.provider.requests == []


def test_a_held_sms_edited_on_its_form_goes_through_the_send_policy_again():
    config = CONFIG.model_copy(update={"append_stop": False})
    unit = Unit(config=config)
    unit.activities = unit.service.activities = FakeSmsActivities(scheduled_row(text="Soldes ce week-end !"))
    [result] = release_due_sms(unit.service, NIGHT)          # the STOP mention was removed while it waited
    assert result.outcome == "failed" and "STOP au 30101" in result.detail and unit.provider.requests == []

"""Every branch of the unit send, its resumption and its recovery timer, against in-memory repositories."""
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from connector.activity import SmsStatus
from connector.configuration import ChannelPreferences, Configuration
from connector.errors import NotFound
from connector.repositories.recipients import RecipientRecord
from connector.repositories.sms_activities import RowRef, SmsActivity
from connector.repositories.templates import SmsTemplate
from connector.repositories.users import UserFormat
from connector.sms.port import DuplicateRequest, ProviderError, SmsType
from connector.unit_recovery import resume_stuck_sends
from connector.unit_sms import UnitSmsService
from tests.fakes.sending import fake_sending
from tests.fakes.sms_activities import FakeSmsActivities
from tests.fakes.sms_provider import FakeSmsProvider

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)            # a Monday, 11:00 in Paris
NIGHT = datetime(2026, 11, 23, 21, 30, tzinfo=UTC)         # 22:30 in Paris
SMITH = RowRef("contact", "c-smith")
ACME = RowRef("account", "a-acme")
FRENCH, ENGLISH = "u-claire", "u-john"
TEMPLATE = SmsTemplate("t-order", "Commande prête", "Bonjour {{ firstname }}, votre commande vous attend.",
                       "contact", True)
RECIPIENTS = (
    RecipientRecord("contact", "c-smith", "David Smith", "06 49 81 90 06", {"firstname": "David"}),
    RecipientRecord("contact", "c-nomobile", "Anne Girard", None),
    RecipientRecord("contact", "c-landline", "Paul Martin", "+33 1 44 55 66 77"),
    RecipientRecord("account", "a-acme", "Acme", None, has_primary_contact=False),
    RecipientRecord("lead", "l-uk", "Jane Doe", "+447911123456"),
)
USERS = {FRENCH: UserFormat("fr_FR"), ENGLISH: UserFormat("en_US")}
UNIT = ChannelPreferences(allow_type_choice=True, default_type=SmsType.TRANSACTIONAL,
                          allow_sender_choice=True, default_sender="CONTOSO")
LOCKED = ChannelPreferences(allow_type_choice=False, default_type=SmsType.TRANSACTIONAL,
                            allow_sender_choice=False, default_sender="CONTOSO")
CONFIG = Configuration(unit=UNIT)


def requested(**columns) -> SmsActivity:
    values = {"text": "Votre commande 4711 est expédiée.", "recipient": SMITH} | columns
    return SmsActivity("sms-1", 'W/"1"', SmsStatus.SEND_REQUESTED, "SMS", **values)


class Unit:
    """One SMS activity, the repositories around it, a provider and a service at a fixed instant."""

    def __init__(self, activity: SmsActivity | None = None, *, config: Configuration = CONFIG,
                 optouts: set[str] | None = None, templates=(TEMPLATE,), provider: FakeSmsProvider | None = None,
                 now: datetime = NOW):
        self.activities = FakeSmsActivities(activity or requested())
        self.provider = provider or FakeSmsProvider()
        self.sending = fake_sending(config, optouts=optouts, users=USERS, templates=templates, recipients=RECIPIENTS)
        self.service = UnitSmsService(self.provider, self.activities, self.sending, clock=lambda: now)

    def send(self, user_id: str | None = ENGLISH):
        return self.service.send("sms-1", user_id)

    @property
    def row(self) -> SmsActivity:
        return self.activities.get("sms-1")


# -- sent, scheduled, held ---------------------------------------------------------------------------
def test_a_transactional_sms_is_taken_then_sent_and_written_back():
    unit = Unit()
    result = unit.send()

    assert (result.outcome, result.activity_id, result.ticket) == ("sent", "sms-1", "sms_1")
    [request] = unit.provider.requests
    assert [r.phone_number for r in request.recipients] == ["+33649819006"]
    assert (request.text, request.sms_type, request.sender, request.send_at) == (
        "Votre commande 4711 est expédiée.", SmsType.TRANSACTIONAL, "CONTOSO", None)
    row = unit.row
    assert (row.status, row.ticket, row.cost, row.sent_on, row.error) == (SmsStatus.SENT, "sms_1", 0.045, NOW, None)
    assert (row.phone_number, row.encoding, row.segments) == ("+33649819006", "GSM-7", 1)
    assert row.idempotency_key == request.request_id and row.idempotency_key.startswith("unit-sms-1-")


def test_a_due_date_in_the_future_holds_the_sms_at_the_connector_and_nothing_reaches_the_provider():
    # Was: the provider got the SMS with `send_at` = the due date and a ticket came back (not cancellable).
    due = NOW + timedelta(days=1)
    unit = Unit(requested(due=due))
    result = unit.send()

    assert (result.outcome, result.send_at, result.ticket) == ("scheduled", due, None)
    assert unit.provider.requests == []
    row = unit.row
    assert (row.status, row.ticket, row.sent_on, row.due) == (SmsStatus.SCHEDULED, None, None, due)
    assert (row.text, row.phone_number, row.segments) == ("Votre commande 4711 est expédiée.", "+33649819006", 1)
    assert row.idempotency_key.startswith("unit-sms-1-")        # the key the release sends with


def test_a_due_date_within_a_minute_is_sent_now():
    unit = Unit(requested(due=NOW + timedelta(seconds=30)))
    assert unit.send().outcome == "sent" and unit.provider.requests[0].send_at is None


def test_a_marketing_sms_asked_at_night_is_held_until_the_quiet_hours_end():
    # Was: handed to the provider with `send_at` 08:00 Paris time.
    config = CONFIG.model_copy(update={"quiet_hours": (20, 8)})
    unit = Unit(requested(text="Soldes ! STOP au 30101", sms_type=SmsType.MARKETING), config=config, now=NIGHT)
    result = unit.send()

    assert result.outcome == "scheduled" and unit.provider.requests == []
    assert result.send_at.isoformat() == "2026-11-24T08:00:00+01:00"
    assert (unit.row.status, unit.row.due) == (SmsStatus.SCHEDULED, result.send_at)   # the due date says when


def test_a_marketing_sms_due_in_the_quiet_hours_is_held_until_they_end():
    config = CONFIG.model_copy(update={"quiet_hours": (20, 8)})
    unit = Unit(requested(text="Soldes ! STOP au 30101", sms_type=SmsType.MARKETING, due=NIGHT), config=config)
    result = unit.send()
    assert result.send_at.isoformat() == "2026-11-24T08:00:00+01:00" and unit.row.due == result.send_at


def test_a_transactional_sms_at_night_goes_now():
    config = CONFIG.model_copy(update={"quiet_hours": (20, 8)})
    unit = Unit(config=config, now=NIGHT)
    assert unit.send().outcome == "sent" and unit.provider.requests[0].send_at is None


def test_the_template_is_merged_with_the_recipient():
    unit = Unit(requested(text=None, template_id="t-order"))
    assert unit.send().outcome == "sent"
    assert unit.provider.requests[0].text == "Bonjour David, votre commande vous attend."
    assert unit.row.text == "Bonjour David, votre commande vous attend."


def test_a_workflow_sms_keeps_its_type_sender_and_already_merged_text():
    config = Configuration(unit=LOCKED)
    unit = Unit(requested(text="Hello {{ not a field }} STOP au 30101", sms_type=SmsType.MARKETING,
                          sender="SHOP", workflow_id="wf-1"), config=config)
    assert unit.send().outcome == "sent"
    [request] = unit.provider.requests
    assert (request.text, request.sms_type, request.sender) == (
        "Hello {{ not a field }} STOP au 30101", SmsType.MARKETING, "SHOP")


def test_a_users_choices_are_ignored_where_the_configuration_does_not_allow_them():
    unit = Unit(requested(sms_type=SmsType.MARKETING, sender="OTHER"), config=Configuration(unit=LOCKED))
    assert unit.send().outcome == "sent"
    request = unit.provider.requests[0]
    assert (request.sms_type, request.sender) == (SmsType.TRANSACTIONAL, "CONTOSO")


def test_the_stop_mention_is_appended_when_the_configuration_says_so():
    config = CONFIG.model_copy(update={"append_stop": True})
    unit = Unit(requested(text="Soldes -20% !", sms_type=SmsType.MARKETING), config=config)
    assert unit.send().outcome == "sent"
    assert unit.provider.requests[0].text == "Soldes -20% !\nSTOP au 30101"


def test_a_number_typed_on_the_activity_wins_over_the_recipients_mobile():
    unit = Unit(requested(phone_number="0612345678"))
    assert unit.send().outcome == "sent"
    assert unit.provider.requests[0].recipients[0].phone_number == "+33612345678"


# -- refusals: Failed with the reason, the key cleared, nothing sent --------------------------------------
LONG = "x" * 1225


@pytest.mark.parametrize("activity, config, optouts, words", [
    (requested(recipient=None), CONFIG, None, "no recipient"),
    (requested(recipient=RowRef("systemuser", "u-1")), CONFIG, None, "not to a systemuser"),
    (requested(recipient=RowRef("contact", "c-nomobile")), CONFIG, None, "no mobile number"),
    (requested(recipient=RowRef("contact", "c-landline")), CONFIG, None, "not a mobile number"),
    (requested(phone_number="12345"), CONFIG, None, "Invalid phone number '12345'"),
    (requested(recipient=ACME), CONFIG, None, "'Acme' has no primary contact"),
    (requested(sender="A B"), CONFIG, None, "Invalid sender 'A B'"),
    (requested(text="Soldes -20% !", sms_type=SmsType.MARKETING), CONFIG, None, "must contain the mention"),
    (requested(text="   "), CONFIG, None, "text is empty"),
    (requested(text=LONG), CONFIG, None, "1225 characters; the limit is 1224"),
    (requested(), CONFIG, {"+33649819006"}, "+33649819006 has opted out"),
    (requested(text=None, template_id="t-draft"), CONFIG, None, "'Brouillon' is not published"),
    (requested(text=None, template_id="t-lead"), CONFIG, None, "is for lead records, not contact"),
    (requested(text="Bonjour {{ firstname"), CONFIG, None, "Template error"),
    (requested(text="Bonjour {{ nosuchfield }}"), CONFIG, None, "does not have: nosuchfield"),
])
def test_each_refusal_is_written_on_the_activity_and_nothing_is_sent(activity, config, optouts, words):
    templates = (TEMPLATE, SmsTemplate("t-draft", "Brouillon", "Bonjour", "contact", False),
                 SmsTemplate("t-lead", "Prospect", "Bonjour", "lead", True))
    unit = Unit(replace(activity, idempotency_key="unit-sms-1-kept"), config=config, optouts=optouts,
                templates=templates)
    result = unit.send()

    assert result.outcome == "failed" and words in result.detail
    assert unit.provider.requests == []
    row = unit.row
    assert (row.status, row.error, row.idempotency_key) == (SmsStatus.FAILED, result.detail, None)


def test_an_opted_out_number_goes_when_the_configuration_does_not_exclude_opt_outs():
    unit = Unit(config=CONFIG.model_copy(update={"exclude_optouts": False}), optouts={"+33649819006"})
    assert unit.send().outcome == "sent"


def test_marketing_abroad_needs_no_stop_mention():
    unit = Unit(requested(text="Sale -20%!", sms_type=SmsType.MARKETING, recipient=RowRef("lead", "l-uk")))
    assert unit.send().outcome == "sent"


@pytest.mark.parametrize("user_id, expected", [
    (FRENCH, "Le destinataire n'a pas de numéro de mobile."),
    (ENGLISH, "The recipient has no mobile number."),
    (None, "The recipient has no mobile number."),          # no user (the CLI): English
])
def test_the_reason_is_written_in_the_users_language(user_id, expected):
    unit = Unit(requested(recipient=RowRef("contact", "c-nomobile")))
    assert unit.send(user_id).detail == expected and unit.row.error == expected


def test_a_french_user_reads_a_french_phone_reason():
    unit = Unit(requested(phone_number="12345"))
    assert unit.send(FRENCH).detail == "Numéro invalide « 12345 » : trop court."


def test_a_refusal_whose_write_loses_to_another_change_is_already_taken():
    unit = Unit(requested(recipient=None))
    unit.activities.meanwhile = lambda activities, activity: activities._write(activity.id, subject="changed")
    assert unit.send().outcome == "already-taken"
    assert unit.row.status == SmsStatus.SEND_REQUESTED


def test_an_activity_deleted_before_its_event_came_is_gone_and_nothing_is_written():
    unit = Unit()
    result = unit.service.send("sms-2")
    assert (result.outcome, result.detail) == ("gone", "the SMS activity no longer exists")
    assert unit.provider.requests == [] and unit.row.status == SmsStatus.SEND_REQUESTED


def test_a_missing_template_is_not_found_naming_it():
    unit = Unit(requested(text=None, template_id="t-gone"))
    with pytest.raises(NotFound, match="t-gone"):
        unit.send()


# -- the provider's answers ----------------------------------------------------------------------------
def test_a_final_provider_refusal_fails_the_sms_and_clears_the_key():
    unit = Unit(provider=FakeSmsProvider(ProviderError("STOP mention missing (Octopush code 121)", code=121)))
    result = unit.send()
    assert result.outcome == "failed"
    assert result.detail == "Octopush refused the send: STOP mention missing (Octopush code 121)"
    assert (unit.row.status, unit.row.idempotency_key) == (SmsStatus.FAILED, None)


def test_an_uncertain_provider_failure_keeps_the_key_for_the_next_request():
    unit = Unit(provider=FakeSmsProvider(ProviderError("time-out", retryable=True)))
    result = unit.send(FRENCH)
    assert result.detail == "Octopush a refusé l'envoi : time-out"
    key = unit.provider.requests[0].request_id
    assert (unit.row.status, unit.row.idempotency_key) == (SmsStatus.FAILED, key)


def test_a_new_request_after_an_uncertain_attempt_reuses_its_key():
    unit = Unit(requested(idempotency_key="unit-sms-1-kept"))
    assert unit.send().outcome == "sent"
    assert unit.provider.requests[0].request_id == "unit-sms-1-kept"


def test_a_duplicate_request_means_an_earlier_attempt_went_out():
    unit = Unit(requested(idempotency_key="unit-sms-1-kept"),
                provider=FakeSmsProvider(DuplicateRequest("request_id already used", code=5)))
    result = unit.send()
    assert (result.outcome, result.ticket) == ("sent", None)
    assert (unit.row.status, unit.row.ticket) == (SmsStatus.SENT, None)


# -- the take ------------------------------------------------------------------------------------------
def test_a_take_lost_to_a_rival_delivery_sends_nothing():
    unit = Unit()

    def rival(activities, activity):
        activities._write(activity.id, status=SmsStatus.SENDING, idempotency_key="unit-sms-1-rival")

    unit.activities.meanwhile = rival
    assert unit.send().outcome == "already-taken"
    assert unit.provider.requests == []
    assert unit.row.idempotency_key == "unit-sms-1-rival"


def test_our_own_take_whose_answer_was_lost_still_sends_once():
    unit = Unit()
    unit.activities.answer_lost = True
    result = unit.send()
    assert result.outcome == "sent" and len(unit.provider.requests) == 1
    assert unit.provider.requests[0].request_id == unit.row.idempotency_key


def test_the_same_request_delivered_twice_sends_once():
    unit = Unit()
    assert unit.send().outcome == "sent"
    again = unit.send()
    assert (again.outcome, again.detail) == ("nothing-to-do", "the SMS status is sent")
    assert len(unit.provider.requests) == 1


@pytest.mark.parametrize("status, label", [
    (SmsStatus.DRAFT, "draft"), (SmsStatus.SENDING, "sending"), (SmsStatus.SCHEDULED, "scheduled"),
    (SmsStatus.SENT, "sent"), (SmsStatus.DELIVERED, "delivered"), (SmsStatus.FAILED, "failed"),
    (SmsStatus.CANCELLED, "cancelled"), (SmsStatus.RECEIVED, "received"), (42, "42"), (None, "None"),
])
def test_an_sms_not_requested_for_sending_is_left_alone(status, label):
    unit = Unit(replace(requested(), status=status))
    result = unit.send()
    assert (result.outcome, result.detail) == ("nothing-to-do", f"the SMS status is {label}")
    assert unit.provider.requests == [] and unit.row.etag == 'W/"1"'


# -- resumption and the recovery timer ---------------------------------------------------------------------
def stuck(minutes_ago: float, **columns) -> SmsActivity:
    values = {"text": "Votre commande est prête.", "phone_number": "+33649819006",
              "sms_type": SmsType.TRANSACTIONAL, "sender": "CONTOSO", "idempotency_key": "unit-sms-1-taken",
              "modified_on": NOW - timedelta(minutes=minutes_ago)} | columns
    return SmsActivity("sms-1", 'W/"7"', SmsStatus.SENDING, "SMS", recipient=SMITH, **values)


def test_a_send_interrupted_after_the_take_is_resumed_with_the_same_key():
    unit = Unit(stuck(minutes_ago=11))
    [result] = resume_stuck_sends(unit.service, NOW)
    assert result.outcome == "sent"
    [request] = unit.provider.requests
    assert (request.request_id, request.text, request.sender) == ("unit-sms-1-taken", "Votre commande est prête.",
                                                                  "CONTOSO")
    assert (unit.row.status, unit.row.sent_on) == (SmsStatus.SENT, NOW)
    assert resume_stuck_sends(unit.service, NOW + timedelta(minutes=30)) == []


def test_a_send_interrupted_on_a_provider_without_idempotency_is_not_resent_and_says_why():
    from dataclasses import replace as replaced

    provider = FakeSmsProvider()
    provider.capabilities = replaced(provider.capabilities, idempotent_requests=False)
    provider.label = "smsmode"
    unit = Unit(stuck(minutes_ago=11), provider=provider)
    [result] = resume_stuck_sends(unit.service, NOW)
    assert result.outcome == "failed" and unit.provider.requests == []          # never twice
    assert unit.row.status == SmsStatus.FAILED
    assert unit.row.error.startswith("The send was interrupted and may have gone out: smsmode does not recognise")


def test_a_recent_send_is_not_resumed_yet():
    unit = Unit(stuck(minutes_ago=5))
    assert resume_stuck_sends(unit.service, NOW) == [] and unit.provider.requests == []


def test_a_resumed_send_the_provider_already_had_is_marked_sent():
    unit = Unit(stuck(minutes_ago=11), provider=FakeSmsProvider(DuplicateRequest("already", code=5)))
    [result] = resume_stuck_sends(unit.service, NOW)
    assert result.outcome == "sent" and unit.row.status == SmsStatus.SENT


def test_a_resumed_marketing_sms_still_waits_for_the_end_of_the_quiet_hours():
    # Was: resumed to the provider with `send_at` 08:00; now held again with its key, for the release timer.
    config = CONFIG.model_copy(update={"quiet_hours": (20, 8)})
    unit = Unit(stuck(minutes_ago=11, modified_on=NIGHT - timedelta(minutes=11), sms_type=SmsType.MARKETING),
                config=config, now=NIGHT)
    [result] = resume_stuck_sends(unit.service, NIGHT)
    assert result.outcome == "scheduled" and unit.provider.requests == []
    assert (unit.row.status, unit.row.idempotency_key) == (SmsStatus.SCHEDULED, "unit-sms-1-taken")
    assert unit.row.due.isoformat() == "2026-11-24T08:00:00+01:00"


def test_a_send_interrupted_before_it_was_prepared_is_failed_for_a_new_request():
    unit = Unit(stuck(minutes_ago=11, idempotency_key=None))
    [result] = resume_stuck_sends(unit.service, NOW)
    assert result.outcome == "failed" and "request it again" in result.detail
    assert (unit.row.status, unit.row.idempotency_key) == (SmsStatus.FAILED, None)
    assert unit.provider.requests == []


def test_a_send_stuck_for_more_than_a_day_is_failed_keeping_its_key():
    unit = Unit(stuck(minutes_ago=24 * 60))
    [result] = resume_stuck_sends(unit.service, NOW)
    assert result.outcome == "failed" and "check with the provider" in result.detail
    assert (unit.row.status, unit.row.idempotency_key) == (SmsStatus.FAILED, "unit-sms-1-taken")
    assert unit.provider.requests == []


def test_a_send_claimed_by_another_recovery_run_is_not_resumed_twice():
    unit = Unit(stuck(minutes_ago=11))
    activity = unit.activities.stuck_sending(NOW)[0]
    unit.service.resume(activity)
    assert unit.service.resume(activity).outcome == "already-taken"       # the same stale ETag
    assert len(unit.provider.requests) == 1


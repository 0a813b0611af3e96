"""Unit SMS end to end: webhook body -> handler -> Dataverse emulator + Octopush emulator."""
import threading
from datetime import datetime, timedelta, timezone

import pytest

from emulators import dataverse_seed as seed
from emulators.webhook_bodies import option, remote_execution_context

SMITH = ("contact", seed.DAVID_SMITH_ID)


def test_a_template_sms_is_sent_and_written_back(crm, stack):
    activity_id = crm.new_sms(SMITH, template=seed.TEMPLATE_ORDER_ID)
    response = crm.webhook(activity_id)

    assert response.status == 200
    assert response.json() == {"handled": "unit-sms:sent", "activityid": activity_id, "outcome": "sent"}
    [send] = stack.octopush.sends
    assert send["body"]["recipients"] == [{"phone_number": "+33649819006"}]
    assert send["body"]["text"] == "Bonjour Mr Smith, votre commande a bien été enregistrée."
    assert send["body"]["purpose"] == "alert" and send["body"]["sender"] == "SMSC"
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 5 and activity["smsc_error"] is None
    assert activity["description"] == send["body"]["text"]
    assert (activity["smsc_phonenumber"], activity["smsc_encoding"], activity["smsc_segments"]) == ("+33649819006", 1, 1)
    assert activity["smsc_providermessageid"] == send["ticket"] and activity["smsc_cost"] == pytest.approx(0.045)
    assert send["body"]["request_id"] == activity["smsc_idempotencykey"]


def test_requests_to_dataverse_take_the_activity_with_its_etag_as_the_user(crm, stack):
    activity_id = crm.new_sms(SMITH, text="Votre colis arrive demain.")
    crm.webhook(activity_id)

    patches = [r for r in stack.dataverse.requests if r.method == "PATCH"]
    assert [p.headers["if-match"] for p in patches][0].startswith('W/"')
    take = patches[0].json()
    assert take["smsc_status"] == 3 and take["smsc_phonenumber"] == "+33649819006"
    assert patches[1].json()["smsc_status"] == 5 and patches[1].headers["if-match"] == "*"
    user_calls = [r for r in stack.dataverse.requests if "systemusers" not in r.path]
    assert {r.headers.get("callerobjectid") for r in user_calls} == {seed.CLAIRE_MARTIN_AAD}
    assert all(r.headers["authorization"] == "Bearer emulator-token" for r in stack.dataverse.requests)


def test_the_same_event_delivered_twice_at_the_same_time_sends_one_sms(crm, stack):
    activity_id = crm.new_sms(SMITH, text="Une seule fois, s'il vous plaît.")
    results, barrier = [], threading.Barrier(4)

    def deliver():
        barrier.wait()
        results.append(crm.webhook(activity_id))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(stack.octopush.sends) == 1
    outcomes = sorted(r.json()["outcome"] for r in results)
    assert outcomes.count("sent") == 1 and all(r.status == 200 for r in results)
    assert crm.activity(activity_id)["smsc_status"] == 5


def test_a_redelivered_event_after_the_send_sends_nothing(crm, stack):
    activity_id = crm.new_sms(SMITH, text="Bonjour")
    crm.webhook(activity_id)
    again = crm.webhook(activity_id, message="Update")
    assert again.json()["outcome"] == "nothing-to-do" and len(stack.octopush.sends) == 1


def test_an_account_uses_its_primary_contacts_mobile(crm, stack):
    activity_id = crm.new_sms(("account", seed.CONTOSO_ID), text="Bonjour Contoso")
    assert crm.webhook(activity_id).json()["outcome"] == "sent"
    assert stack.octopush.sends[0]["numbers"] == ["+33649819006"]


def test_a_lead_and_a_national_number_are_normalised(crm, stack):
    lead_id = crm.new_sms(("lead", seed.ANNE_GIRARD_ID), text="Bonjour Anne")
    lea_id = crm.new_sms(("contact", seed.LEA_DUBOIS_ID), text="Bonjour Léa")
    crm.webhook(lead_id), crm.webhook(lea_id)
    assert [s["numbers"] for s in stack.octopush.sends] == [["+33622222222"], ["+33612345678"]]


def test_a_future_due_date_is_held_by_the_connector_not_the_provider(crm, stack):
    # Was: Octopush got the SMS with `send_at` = the due date (and could not really cancel it).
    due = (datetime.now(timezone.utc) + timedelta(days=1)).replace(microsecond=0)
    activity_id = crm.new_sms(SMITH, text="Rappel demain", scheduledend=due.strftime("%Y-%m-%dT%H:%M:%SZ"))
    answer = crm.webhook(activity_id).json()
    assert (answer["outcome"], answer["sendat"]) == ("scheduled", due.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert stack.octopush.sends == []
    activity = crm.activity(activity_id)
    assert (activity["smsc_status"], activity["smsc_providermessageid"], activity["actualend"]) == (4, None, None)
    assert activity["smsc_idempotencykey"] and activity["smsc_phonenumber"] == "+33649819006"


def test_merge_fields_from_a_lookup_and_a_default(crm, stack):
    activity_id = crm.new_sms(SMITH, template=seed.TEMPLATE_REMINDER_ID)
    crm.webhook(activity_id)
    text = stack.octopush.sends[0]["body"]["text"]
    assert "Bonjour David" in text and "Contoso SA" in text


@pytest.mark.parametrize("to, columns, error", [
    (("contact", seed.MARC_PETIT_ID), {}, "12345"),
    (("contact", seed.JULIE_MOREAU_ID), {}, "pas de numéro de mobile"),
    (("contact", seed.SOPHIE_LAURENT_ID), {}, "+33611111111 est inscrit en liste d'opposition"),
    (("account", seed.FABRIKAM_ID), {}, "n'a pas de contact principal"),
    (SMITH, {"smsc_smstype": 1}, "STOP au 30101"),
    (SMITH, {"smsc_sender": "Bad Sender!"}, "Bad Sender!"),
    (None, {}, "n'a pas de destinataire"),
])
def test_a_refused_sms_is_marked_failed_with_the_reason_and_nothing_is_sent(crm, stack, to, columns, error):
    activity_id = crm.new_sms(to, text="Bonjour", **columns)
    response = crm.webhook(activity_id)
    assert response.status == 200 and response.json()["outcome"] == "failed"
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 8 and error in activity["smsc_error"]
    assert stack.octopush.sends == []


def test_refusals_are_written_in_the_users_language(crm, stack):
    activity_id = crm.new_sms(("contact", seed.JULIE_MOREAU_ID), text="Hello")
    crm.webhook(activity_id, user=seed.JOHN_BAKER_ID)                       # an English-speaking user
    assert crm.activity(activity_id)["smsc_error"] == "The recipient has no mobile number."
    other = crm.new_sms(("contact", seed.MARC_PETIT_ID), text="Bonjour")
    crm.webhook(other)                                                       # Claire Martin, French
    assert crm.activity(other)["smsc_error"] == "Numéro invalide « 12345 » : trop court."


def test_a_draft_template_is_refused(crm, stack):
    activity_id = crm.new_sms(SMITH, template=seed.TEMPLATE_DRAFT_ID)
    crm.webhook(activity_id)
    assert "n'est pas publié" in crm.activity(activity_id)["smsc_error"] and stack.octopush.sends == []


def test_a_provider_refusal_is_recorded_and_a_new_request_can_send(crm, stack):
    stack.octopush.credit = 0.0
    activity_id = crm.new_sms(SMITH, text="Bonjour")
    assert crm.webhook(activity_id).json()["outcome"] == "failed"
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 8 and "n'a plus de crédit" in activity["smsc_error"]      # the user's French
    assert activity["smsc_idempotencykey"] is None      # a definite refusal: the next try gets a new key

    stack.octopush.credit = 10.0
    stack.dataverse.update("smsc_textmessages", activity_id, {"smsc_status": 2})
    assert crm.webhook(activity_id, message="Update").json()["outcome"] == "sent"
    assert len(stack.octopush.sends) == 1


def test_an_uncertain_provider_failure_keeps_the_key_so_a_retry_cannot_send_twice(crm, stack):
    stack.octopush.faults.add(500, times=10, path_contains="sms-campaign/send")
    activity_id = crm.new_sms(SMITH, text="Bonjour")
    assert crm.webhook(activity_id).json()["outcome"] == "failed"
    key = crm.activity(activity_id)["smsc_idempotencykey"]
    assert key and crm.activity(activity_id)["smsc_error"].startswith("Octopush a refusé l'envoi")

    stack.octopush.faults.clear()
    stack.dataverse.update("smsc_textmessages", activity_id, {"smsc_status": 2})
    crm.webhook(activity_id, message="Update")
    assert [s["body"]["request_id"] for s in stack.octopush.sends] == [key]


def test_dataverse_throttling_is_waited_out(crm, stack, retry_waits):
    activity_id = crm.new_sms(SMITH, text="Bonjour")
    stack.dataverse.faults.add(429, retry_after=1, times=1, path_contains="smsc_textmessages(")
    assert crm.webhook(activity_id).json()["outcome"] == "sent"
    assert retry_waits == [1.0]                                 # the Retry-After Dataverse asked for


def test_dataverse_unavailable_answers_503_so_dataverse_retries(crm, stack, retry_waits):
    activity_id = crm.new_sms(SMITH, text="Bonjour")
    stack.dataverse.faults.add(503, times=10, path_contains="smsc_textmessages(")
    response = crm.webhook(activity_id)
    assert response.status == 503 and response.json()["error"]["code"] == "crm_unavailable"
    assert retry_waits == [1.0, 2.0]             # 3 retries: at once, then an exponential back-off
    assert stack.octopush.sends == []
    stack.dataverse.faults.clear()
    assert crm.webhook(activity_id).json()["outcome"] == "sent"


@pytest.mark.parametrize("body, key, status, code", [
    (b"{oops", "default", 400, "malformed_json"),
    ({"MessageName": "Create", "PrimaryEntityName": "smsc_textmessage",
      "PrimaryEntityId": seed.DAVID_SMITH_ID}, "default", 400, "missing_target"),
    ({"MessageName": "Create"}, "default", 400, "malformed_event"),
    ("VALID", None, 401, "unauthenticated"),
    ("VALID", "wrong-key-wrong-key", 401, "unauthenticated"),
])
def test_bad_calls_are_refused_and_nothing_is_written(crm, stack, body, key, status, code):
    activity_id = crm.new_sms(SMITH, text="Bonjour")
    if body == "VALID":     # a well-formed send request: only the key is wrong
        body = remote_execution_context("Create", "smsc_textmessage", activity_id,
                                        user_id=seed.CLAIRE_MARTIN_ID, attributes={"smsc_status": option(2)})
    response = crm.post_event(body, key=key)
    assert response.status == status and response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert crm.writes() == [] and stack.octopush.sends == []
    assert crm.activity(activity_id)["smsc_status"] == 2


def test_an_event_on_a_table_the_connector_does_not_know_is_ignored(crm, stack):
    body = {"MessageName": "Create", "PrimaryEntityName": "msdyn_agentstatus", "PrimaryEntityId": seed.DAVID_SMITH_ID}
    response = crm.post_event(body)
    assert response.status == 200 and response.json()["handled"] == "ignored"
    assert crm.writes() == [] and stack.octopush.sends == []


def test_an_event_for_a_deleted_activity_is_ignored(crm, stack):
    deleted_id = "a0000000-0000-4000-8000-0000000000ff"      # deleted before the webhook came: gone
    response = crm.webhook(deleted_id)
    assert response.status == 200 and response.json()["handled"] == "ignored"
    assert response.json()["reason"] == "the SMS activity no longer exists"
    assert crm.writes() == [] and stack.octopush.sends == []


def test_the_key_never_leaks_into_answers(crm, stack):
    response = crm.post_event({"MessageName": "Create"}, key=stack.webhook_key[:-1] + "x")
    assert stack.webhook_key not in response.body.decode()


def test_a_template_in_the_octopush_guide_style_is_merged(crm, stack):
    template_id = stack.dataverse.insert("smsc_smstemplates", {
        "smsc_name": "Ancien modèle", "smsc_entity": "contact", "smsc_templatestatus": 2,
        "smsc_text": "Bonjour Mr [lastname], votre commande a bien été enregistrée."})
    activity_id = crm.new_sms(("contact", seed.JOHN_DOE_ID), template=template_id)
    assert crm.webhook(activity_id).json()["outcome"] == "sent"
    assert stack.octopush.sends[0]["body"]["text"] == "Bonjour Mr Doe, votre commande a bien été enregistrée."


def test_a_marketing_sms_asked_at_night_waits_for_the_end_of_the_quiet_hours(crm, stack):
    from connector.bootstrap import get_services, unit_sms_service

    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID,
                           {"smsc_quiethoursstart": 20, "smsc_quiethoursend": 8})
    night = datetime(2026, 11, 23, 21, 30, tzinfo=timezone.utc)          # 22:30 in Paris
    services = get_services()
    promo = crm.new_sms(SMITH, text="Soldes ! STOP au 30101", smsc_smstype=1)
    notice = crm.new_sms(SMITH, text="Votre colis est arrivé.", smsc_smstype=2)
    # Was: the marketing SMS went to Octopush with `send_at` 08:00 Paris time; now the connector holds it.
    assert unit_sms_service(services.crm, services.sms, clock=lambda: night).send(promo).outcome == "scheduled"
    assert unit_sms_service(services.crm, services.sms, clock=lambda: night).send(notice).outcome == "sent"
    [transactional] = stack.octopush.sends
    assert "send_at" not in transactional["body"] and transactional["numbers"] == ["+33649819006"]
    held = crm.activity(promo)
    assert (held["smsc_status"], held["scheduledend"]) == (4, "2026-11-24T07:00:00Z")    # 08:00 in Paris


def test_a_template_reading_a_column_its_lookup_lacks_fails_the_sms_naming_the_field(crm, stack):
    activity_id = crm.new_sms(SMITH, text="Bonjour {{ parentcustomerid.nosuchfield }}")
    response = crm.webhook(activity_id)

    assert response.status == 200 and response.json()["outcome"] == "failed"
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 8 and "nosuchfield" in activity["smsc_error"]
    assert stack.octopush.sends == []

"""The stories on Azure Communication Services (SMS_PROVIDER=acs, its emulator): a unit SMS signed
with the connection string's key; a marketing SMS to a French number from an alphanumeric sender
refused before anything is sent, the reason in the user's language; a campaign of up to 100
recipients per request, each activity holding its recipient's message id; the Event Grid
subscription validated by the served app, then delivery reports and a STOP reply posted to it."""
import base64
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime, timezone

import pytest

from connector import bootstrap
from connector.bootstrap import campaign_service, get_services, unit_sms_service
from connector.campaigns.model import CampaignAction
from emulators import dataverse_seed as seed
from emulators.stack import local_stack
from smsc.campaign_parts import release_local_parts
from smsc.serve import BackgroundServer, FunctionHost

SMITH = ("contact", seed.DAVID_SMITH_ID)
SMITH_NUMBER = "+33649819006"
NOON = datetime(2026, 11, 23, 11, 0, tzinfo=timezone.utc)          # no quiet hours then


@pytest.fixture
def stack():
    with local_stack(on_environment_change=bootstrap.reset, provider="acs") as running:
        yield running


@pytest.fixture
def app(stack):
    """The served app, subscribed at the emulator as Event Grid does (the validation handshake)."""
    with BackgroundServer(FunctionHost()) as server:
        assert stack.acs.subscribe(f"{server.url}/api/providers/acs/events?key={stack.webhook_key}")
        yield server


def send(crm, **columns) -> str:
    activity_id = crm.new_sms(SMITH, **columns)
    services = get_services()
    unit_sms_service(services.crm, services.sms, clock=lambda: NOON).send(activity_id)
    return activity_id


def test_a_transactional_unit_sms_goes_to_acs_signed_with_the_access_key(crm, stack):
    activity_id = send(crm, text="Votre colis arrive demain.", smsc_smstype=2)
    [sent] = stack.acs.sends
    activity = crm.activity(activity_id)
    assert (sent["to"], sent["from"], sent["message"]) == (SMITH_NUMBER, "SMSC", "Votre colis arrive demain.")
    assert sent["tag"] == activity["smsc_idempotencykey"] and sent["repeatabilityRequestId"]
    assert (activity["smsc_status"], activity["smsc_providermessageid"]) == (5, sent["messageId"])
    assert all(r.status == 202 for r in stack.acs.requests)


def test_an_acs_marketing_sms_to_a_french_number_is_refused_before_sending_with_a_reason_the_user_reads(crm, stack):
    activity_id = crm.new_sms(SMITH, text="Soldes ! STOP au 30101", smsc_smstype=1)   # the default sender: SMSC
    assert crm.webhook(activity_id).json()["outcome"] == "failed"                     # as Claire Martin (French)
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 8                                         # Failed
    assert activity["smsc_error"] == (
        "Azure Communication Services n'envoie pas de SMS marketing vers un numéro français avec un émetteur "
        "alphanumérique (« SMSC ») : choisissez le type transactionnel si le message n'est pas commercial, ou un "
        "émetteur numérique.")
    assert stack.acs.requests == [] and stack.acs.sends == []                   # nothing reached ACS


def test_a_campaign_sends_one_request_per_hundred_and_each_activity_holds_its_message_id(stack):
    campaign_id = seed.seed_bulk_campaign(stack.dataverse, 5)
    stack.dataverse.update("campaigns", campaign_id, {"smsc_smstype": 2, "smsc_text": "Votre rendez-vous est confirmé."})
    services = get_services()
    service = campaign_service(services.crm, services.sms)
    assert service.run(campaign_id, CampaignAction.PREPARE).ok
    assert service.run(campaign_id, CampaignAction.VALIDATE).ok
    release_local_parts(services, campaign_id)
    assert len([r for r in stack.acs.requests if r.path == "/sms"]) == 1
    assert Counter(s["to"] for s in stack.acs.sends) == Counter({f"+3361000000{n}": 1 for n in range(5)})
    rows = stack.dataverse.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {campaign_id}")
    assert sorted(r["smsc_providermessageid"] for r in rows) == sorted(s["messageId"] for s in stack.acs.sends)


def test_event_grid_reports_and_a_stop_reply_come_back_through_the_app(crm, stack, app):
    stack.acs.set_outcomes(hold=True, duplicates=True)
    activity_id = send(crm, text="Votre colis arrive demain.", smsc_smstype=2)
    attempts = stack.acs.flush_callbacks()
    assert [(a["kind"], a["status"]) for a in attempts] == [("delivery", 200), ("delivery", 200)]   # at least once
    assert crm.activity(activity_id)["smsc_status"] == 6                                         # Delivered
    stack.acs.inbound(SMITH_NUMBER, "STOP")
    assert [a["status"] for a in stack.acs.flush_callbacks()] == [200, 200]
    [optout] = [o for o in stack.dataverse.rows("smsc_optouts") if o["smsc_phonenumber"] == SMITH_NUMBER]
    assert optout["smsc_active"] is True


def test_an_event_grid_event_delivered_twice_is_recorded_and_applied_once(crm, stack, app):
    stack.acs.set_outcomes(hold=True, duplicates=True)
    activity_id = send(crm, text="Votre colis arrive demain.", smsc_smstype=2)
    [sent] = stack.acs.sends
    assert [a["status"] for a in stack.acs.flush_callbacks()] == [200, 200]          # the same event twice
    events = stack.dataverse.rows("smsc_providerevents")
    assert [e["smsc_ticket"] for e in events] == [sent["messageId"]]                  # recorded once
    assert crm.activity(activity_id)["smsc_status"] == 6
    stack.acs.inbound(SMITH_NUMBER, "Merci, à demain")
    assert [a["status"] for a in stack.acs.flush_callbacks()] == [200, 200]
    replies = [e for e in stack.dataverse.rows("smsc_providerevents") if e["smsc_kind"] == 2]
    assert len(replies) == 1 and replies[0]["smsc_text"] == "Merci, à demain"
    incoming = [a for a in stack.dataverse.rows("smsc_textmessages") if a.get("description") == "Merci, à demain"]
    assert len(incoming) == 1                                                        # one incoming SMS


def test_a_failed_report_makes_the_sms_undeliverable_naming_acs(crm, stack, app):
    stack.acs.set_outcomes(hold=True, delivered_share=0)
    activity_id = send(crm, text="Votre colis arrive demain.", smsc_smstype=2)
    assert [a["status"] for a in stack.acs.flush_callbacks()] == [200]
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 7 and "Azure Communication Services" in activity["smsc_error"]
    assert "FAILED" in activity["smsc_error"]


def test_the_route_answers_the_validation_handshake_and_refuses_a_wrong_key(stack, app):
    import requests

    body = [{"id": "v", "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
             "data": {"validationCode": "abc-123"}}]
    url = f"{app.url}/api/providers/acs/events"
    answer = requests.post(url, params={"key": stack.webhook_key}, json=body, timeout=10)
    assert (answer.status_code, answer.json()) == (200, {"validationResponse": "abc-123"})
    assert requests.post(url, params={"key": "wrong" * 5}, json=body, timeout=10).status_code == 401


def test_a_marketing_campaign_to_france_from_a_name_is_refused_at_simulation_and_sends_nothing_to_acs(stack):
    campaign_id = seed.seed_bulk_campaign(stack.dataverse, 3)
    stack.dataverse.update("campaigns", campaign_id, {"smsc_smstype": 1, "smsc_sender": "ShopA",
                                                      "smsc_text": "Soldes ! STOP au 30101"})
    services = get_services()
    service = campaign_service(services.crm, services.sms)
    simulated = service.run(campaign_id, CampaignAction.SIMULATE, seed.CLAIRE_MARTIN_ID)
    assert simulated.summary == "3 destinataires. 3 erreurs."                  # counted in the result
    [note] = [n for n in stack.dataverse.rows("annotations", filter=f"_objectid_value eq {campaign_id}")
              if n.get("filename") == "resume.csv"]
    rows = base64.b64decode(note["documentbody"])[3:].decode("utf-8").split("\r\n")[1:-1]
    reason = ("Azure Communication Services n'envoie pas de SMS marketing vers un numéro français avec un émetteur "
              "alphanumérique (« ShopA ») : choisissez le type transactionnel si le message n'est pas commercial, "
              "ou un émetteur numérique.")
    assert sorted(row.split(";")[:3] for row in rows) == [["ECHEC", reason, f"+3361000000{n}"] for n in range(3)]
    prepared = service.run(campaign_id, CampaignAction.PREPARE, seed.JOHN_BAKER_ID)
    assert prepared.ok and prepared.tally.errors == 3 and prepared.tally.valid == 0
    [xml] = [n for n in stack.dataverse.rows("annotations", filter=f"_objectid_value eq {campaign_id}")
             if (n.get("filename") or "").endswith(".xml")]
    sms = ET.fromstring(base64.b64decode(xml["documentbody"])).iter("sms")
    assert [(e.get("statut"), e.get("detail")) for e in sms] == [("ECHEC", reason)] * 3    # French for John Baker too
    service.run(campaign_id, CampaignAction.VALIDATE)
    release_local_parts(services, campaign_id)
    assert stack.acs.requests == [] and stack.acs.sends == []


def test_one_post_carrying_the_same_event_twice_records_and_applies_it_once(crm, stack, app):
    import requests

    event = {"id": "b1a5e7c0-0000-4000-8000-000000000001", "eventType": "Microsoft.Communication.SMSReceived",
             "eventTime": "2026-12-02T10:01:00Z",
             "data": {"messageId": "Incoming_1", "from": SMITH_NUMBER, "to": "+18005550100",
                      "message": "Oui, merci", "receivedTimestamp": "2026-12-02T10:01:00Z"}}
    answer = requests.post(f"{app.url}/api/providers/acs/events", params={"key": stack.webhook_key},
                           json=[event, event], timeout=10)
    assert answer.status_code == 200 and len(answer.json()["received"]) == 1
    assert len(stack.dataverse.rows("smsc_providerevents")) == 1
    incoming = [a for a in stack.dataverse.rows("smsc_textmessages") if a.get("description") == "Oui, merci"]
    assert len(incoming) == 1

"""The core user stories on each provider (octopush, smsmode, acs: the `on_provider` fixture starts its
emulator and settings): a unit SMS whose webhook comes twice goes out once; a campaign simulated,
prepared and validated reaches each recipient once; a delivery report makes the SMS Delivered; a reply
becomes an incoming SMS; a STOP opts the number out; the credit, or why there is none to show. No
provider is named here: what one cannot do, its capabilities say."""
import pytest

from connector.bootstrap import campaign_service, get_services
from connector.campaigns.model import CampaignAction
from emulators import dataverse_seed as seed
from functions.local_host import invoke
from smsc.campaign_parts import release_local_parts

SMITH = ("contact", seed.DAVID_SMITH_ID)
SMITH_NUMBER = "+33649819006"
SENT, DELIVERED = 5, 6
TEXT = "Votre colis arrive demain."


@pytest.fixture
def stack(on_provider):
    """The Dataverse emulator and the provider's of this run (for the shared `crm` fixture)."""
    return on_provider.stack


@pytest.fixture
def app(on_provider):
    with on_provider.serve() as server:
        yield server


def unit_sms(crm, **columns) -> str:
    """A transactional SMS to David Smith, sent by its webhook (every provider carries it)."""
    activity_id = crm.new_sms(SMITH, text=TEXT, smsc_smstype=2, **columns)
    assert crm.webhook(activity_id).json()["outcome"] == "sent"
    return activity_id


def test_a_unit_sms_whose_webhook_comes_twice_is_sent_once(crm, on_provider):
    activity_id = unit_sms(crm)
    crm.webhook(activity_id)                                       # Dataverse delivers the event again
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] in (SENT, DELIVERED) and activity["smsc_providermessageid"]
    assert on_provider.sent_numbers() == [SMITH_NUMBER]


def test_a_campaign_simulated_prepared_and_validated_reaches_each_recipient_once(on_provider):
    dataverse = on_provider.stack.dataverse
    campaign_id = seed.seed_bulk_campaign(dataverse, 5)
    dataverse.update("campaigns", campaign_id, {"smsc_smstype": 2, "smsc_text": "Votre rendez-vous est confirmé."})
    services = get_services()
    service = campaign_service(services.crm, services.sms)
    simulated = service.run(campaign_id, CampaignAction.SIMULATE, seed.JOHN_BAKER_ID)
    assert simulated.summary == "5 recipients. 0 errors." and on_provider.sent_numbers() == []
    assert service.run(campaign_id, CampaignAction.PREPARE).ok
    assert service.run(campaign_id, CampaignAction.VALIDATE).ok
    release_local_parts(services, campaign_id)
    assert sorted(on_provider.sent_numbers()) == [f"+3361000000{n}" for n in range(5)]
    rows = dataverse.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {campaign_id}")
    assert len(rows) == 5 and all(r["smsc_status"] in (SENT, DELIVERED) and r["smsc_providermessageid"] for r in rows)


def test_a_delivery_report_makes_the_sms_delivered(crm, on_provider, app):
    on_provider.sms.set_outcomes(hold=True)
    activity_id = unit_sms(crm)
    assert crm.activity(activity_id)["smsc_status"] == SENT
    assert [a["status"] for a in on_provider.sms.flush_callbacks()] == [200]
    assert crm.activity(activity_id)["smsc_status"] == DELIVERED
    [event] = on_provider.stack.dataverse.rows("smsc_providerevents")
    assert event["smsc_kind"] == 1 and event["smsc_phonenumber"] == SMITH_NUMBER


def test_a_reply_becomes_an_incoming_sms_and_a_stop_opts_the_number_out(crm, on_provider, app):
    on_provider.sms.set_outcomes(hold=True)
    unit_sms(crm)
    on_provider.sms.inbound(SMITH_NUMBER, "Merci, à demain")
    on_provider.sms.inbound(SMITH_NUMBER, "STOP")
    assert all(a["status"] == 200 for a in on_provider.sms.flush_callbacks())
    dataverse = on_provider.stack.dataverse
    replies = [r["description"] for r in dataverse.rows("smsc_textmessages", filter="smsc_direction eq 2")]
    assert sorted(replies) == ["Merci, à demain", "STOP"]
    [optout] = [o for o in dataverse.rows("smsc_optouts") if o["smsc_phonenumber"] == SMITH_NUMBER]
    assert optout["smsc_active"] is True
    refused = crm.new_sms(SMITH, text=TEXT, smsc_smstype=2)       # the next SMS to that number is refused
    assert crm.webhook(refused).json()["outcome"] != "sent"


def test_the_credit_or_why_there_is_none_to_show(on_provider):
    answer = invoke("GET", "credit", headers={"x-smsc-webhook-key": on_provider.stack.webhook_key})
    assert answer.status == 200
    body = answer.json()
    if get_services().sms.capabilities.balance:
        assert body["amount"] > 0 and body["currency"] == "EUR"
    else:
        assert body["balance"] is None and body["amount"] is None
        assert body["reason"] == f"{body['label']} tells no balance: see the consumption in your {body['label']} account."
        french = invoke("GET", "credit", headers={"x-smsc-webhook-key": on_provider.stack.webhook_key},
                        params={"lang": "fr"}).json()
        assert french["reason"].startswith(f"{body['label']} n'indique pas de solde")
    refused = invoke("GET", "credit", headers={"x-smsc-webhook-key": on_provider.stack.webhook_key},
                     params={"lang": "de"})
    assert refused.status == 400 and "lang must be fr or en" in refused.body.decode()


def test_scheduled_sms_are_held_by_the_connector_cancelled_with_nothing_sent_or_released_at_their_time(crm, on_provider):
    """Every provider: schedules are the connector's (nothing is handed over with a send time), so any
    scheduled SMS can be cancelled until its minute, whether the provider could schedule or cancel."""
    from datetime import datetime, timedelta, timezone

    from connector.bootstrap import unit_sms_service
    from connector.unit_release import release_due_sms
    from emulators.webhook_bodies import option, remote_execution_context

    due = (datetime.now(timezone.utc) + timedelta(minutes=30)).replace(microsecond=0)
    kept, cancelled = (crm.new_sms(SMITH, text=TEXT, smsc_smstype=2, scheduledend=due.strftime("%Y-%m-%dT%H:%M:%SZ"))
                       for _ in range(2))
    assert [crm.webhook(a).json()["outcome"] for a in (kept, cancelled)] == ["scheduled", "scheduled"]
    on_provider.stack.dataverse.update("smsc_textmessages", cancelled, {"smsc_status": 9})   # « Annuler l'envoi »
    answer = crm.post_event(remote_execution_context("Update", "smsc_textmessage", cancelled,
                                                     user_id=seed.CLAIRE_MARTIN_ID,
                                                     attributes={"smsc_status": option(9)},
                                                     pre_image={"smsc_status": option(4)}))
    assert answer.json()["outcome"] == "cancelled"
    services = get_services()
    release = unit_sms_service(services.crm, services.sms)
    assert release_due_sms(release, due - timedelta(minutes=1)) == [] and on_provider.sent_numbers() == []

    [released] = release_due_sms(release, due)

    assert released.outcome == "sent" and on_provider.sent_numbers() == [SMITH_NUMBER]
    assert crm.activity(kept)["smsc_status"] in (SENT, DELIVERED)
    assert crm.activity(cancelled)["smsc_status"] == 9 and crm.activity(cancelled)["smsc_providermessageid"] is None


def test_the_form_preview_estimates_the_cost_and_says_in_the_users_words_when_there_is_no_balance(on_provider):
    body = {"text": TEXT, "regarding": {"entity": "contact", "id": seed.DAVID_SMITH_ID}, "userid": seed.CLAIRE_MARTIN_ID}
    preview = invoke("POST", "textmessages/preview", body=body,
                     headers={"x-smsc-webhook-key": on_provider.stack.webhook_key}).json()
    assert preview["cost"] > 0 and preview["phonenumber"] == SMITH_NUMBER
    provider = get_services().sms
    if provider.capabilities.balance:
        assert preview["credit"]["amount"] > 0 and preview["warnings"] == []
    else:                                  # Claire reads French: no provider's English inside her sentence
        assert preview["credit"] is None
        assert preview["warnings"] == [f"{provider.label} n'indique pas de solde : consultez la consommation dans "
                                       f"votre compte chez {provider.label}."]

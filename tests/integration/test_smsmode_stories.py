"""The stories on smsmode (SMS_PROVIDER=smsmode, its emulator): a unit SMS, a campaign (one request
per recipient, each in the send ledger), a worker killed between smsmode's accept and the ledger's
record (no provider idempotency: sent once all the same), and the loop back over HTTP — smsmode's
delivery report and a STOP reply posted to /api/providers/smsmode/... of the served app."""
import threading
from collections import Counter
from datetime import datetime, timezone

import pytest

from connector import bootstrap
from connector.bootstrap import campaign_service, get_services, with_waiting_reports
from connector.campaigns.model import CampaignAction
from connector.campaigns.release import release_part
from connector.crm.campaign_activities import DataverseCampaignActivities
from connector.crm.campaigns import DataverseCampaigns
from connector.crm.report_notes import DataverseReportNotes
from connector.crm.send_ledger import DataverseSendLedger
from connector.sms.port import SmsType
from emulators import dataverse_seed as seed
from emulators.stack import local_stack
from smsc.campaign_parts import release_local_parts
from smsc.serve import BackgroundServer, FunctionHost

SMITH = ("contact", seed.DAVID_SMITH_ID)
SMITH_NUMBER = "+33649819006"


@pytest.fixture
def stack():
    with local_stack(on_environment_change=bootstrap.reset, provider="smsmode") as running:
        yield running


@pytest.fixture
def app(stack, monkeypatch):
    """The function app served on loopback; smsmode's messages name its callback routes."""
    with BackgroundServer(FunctionHost()) as server:
        monkeypatch.setenv("SMSC_PUBLIC_URL", server.url)
        bootstrap.reset()
        yield server


class Killed(Exception):
    """The worker process dies here."""


class KillAfterSend:
    """The real smsmode client; the process dies right after the `kill_after`-th request was accepted."""

    def __init__(self, provider, kill_after: int):
        self.provider, self.kill_after, self.calls = provider, kill_after, 0
        self.name, self.label, self.capabilities = provider.name, provider.label, provider.capabilities
        self.lock = threading.Lock()

    def send(self, request):
        with self.lock:                  # requests go out several at once
            self.calls += 1
            call = self.calls
        result = self.provider.send(request)
        if call == self.kill_after:
            raise Killed()
        return result


def release(campaign_id: str, provider=None):
    services = get_services()
    crm = services.crm
    campaign = DataverseCampaigns(crm).get(campaign_id)
    notes = DataverseReportNotes(crm)
    return [release_part(notes, with_waiting_reports(DataverseCampaignActivities(crm), crm), provider or services.sms,
                         campaign, part_no, note_id, ledger=DataverseSendLedger(crm), sms_type=SmsType.MARKETING,
                         sender=None, now=datetime.now(timezone.utc))
            for part_no, note_id in enumerate(notes.staged_parts(campaign.id, campaign.ticket), start=1)]


def campaign_rows(stack, campaign_id: str) -> list[dict]:
    return stack.dataverse.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {campaign_id}")


def ledger(stack, campaign_id: str) -> list[dict]:
    """The campaign's provider-request entries (not its leases, nor its windows' Written entries)."""
    rows = stack.dataverse.rows("smsc_sendledgers", filter=f"_smsc_campaignid_value eq {campaign_id}")
    return [r for r in rows if r["smsc_window"] is not None and r["smsc_state"] != 6]


def test_a_unit_sms_is_one_smsmode_message_with_our_key_as_refclient(crm, stack):
    activity_id = crm.new_sms(SMITH, template=seed.TEMPLATE_ORDER_ID)
    assert crm.webhook(activity_id).json()["outcome"] == "sent"
    [send] = stack.smsmode.sends
    activity = crm.activity(activity_id)
    assert send["body"]["recipient"] == {"to": "33649819006"} and send["body"]["from"] == "SMSC"
    assert send["body"]["body"] == {"text": "Bonjour Mr Smith, votre commande a bien été enregistrée."}
    assert send["refClient"] == activity["smsc_idempotencykey"]
    assert (activity["smsc_status"], activity["smsc_providermessageid"]) == (5, send["messageId"])
    assert stack.octopush.sends == []


def test_a_campaign_is_one_smsmode_request_per_recipient_each_in_the_ledger(stack):
    campaign_id = seed.seed_bulk_campaign(stack.dataverse, 7)
    services = get_services()
    service = campaign_service(services.crm, services.sms)
    assert service.run(campaign_id, CampaignAction.PREPARE).ok
    assert service.run(campaign_id, CampaignAction.VALIDATE).ok
    release_local_parts(services, campaign_id)

    numbers = Counter("+" + s["number"] for s in stack.smsmode.sends)
    assert len(numbers) == 7 and set(numbers.values()) == {1}
    assert len({s["refClient"] for s in stack.smsmode.sends}) == 7
    rows = campaign_rows(stack, campaign_id)
    assert sorted(r["smsc_providermessageid"] for r in rows) == sorted(s["messageId"] for s in stack.smsmode.sends)
    requests = [r for r in ledger(stack, campaign_id) if r["smsc_state"] == 3]
    assert len(requests) == 7 and {r["smsc_recipients"] for r in requests} == {1}


def test_killed_between_smsmode_s_accept_and_the_ledger_s_record_each_number_gets_one_sms(stack):
    campaign_id = seed.seed_bulk_campaign(stack.dataverse, 12)
    services = get_services()
    assert campaign_service(services.crm, services.sms).run(campaign_id, CampaignAction.PREPARE).ok
    with pytest.raises(Killed):          # the 3rd request accepted by smsmode, never recorded
        release(campaign_id, provider=KillAfterSend(services.sms, 3))

    [done] = release(campaign_id)

    numbers = Counter(s["number"] for s in stack.smsmode.sends)
    assert len(numbers) == 12 and set(numbers.values()) == {1}          # 0 lost, 0 duplicates
    assert done.messages == 12 and done.uncertain == 1
    rows = campaign_rows(stack, campaign_id)
    assert len(rows) == 12 and len({r["smsc_phonenumber"] for r in rows}) == 12
    states = Counter(r["smsc_state"] for r in ledger(stack, campaign_id))
    assert states[3] == 11 and states[5] == 1                         # Accepted, Uncertain
    again = len(stack.smsmode.sends)
    assert [d.messages for d in release(campaign_id)] == [12] and len(stack.smsmode.sends) == again


def test_smsmode_s_delivery_report_and_a_stop_reply_come_back_through_the_app(crm, stack, app):
    stack.smsmode.set_outcomes(hold=True, replies=[{"number": "all", "text": "STOP"}])
    activity_id = crm.new_sms(SMITH, text="Votre colis arrive demain.")
    assert crm.webhook(activity_id).json()["outcome"] == "sent"
    [send] = stack.smsmode.sends
    assert send["body"]["callbackUrlStatus"] == (f"{app.url}/api/providers/smsmode/delivery?key="
                                                 f"{stack.webhook_key}")
    attempts = stack.smsmode.flush_callbacks()
    assert [(a["kind"], a["status"]) for a in attempts] == [("delivery", 200), ("inbound", 200)]
    assert crm.activity(activity_id)["smsc_status"] == 6                # Delivered
    [optout] = [o for o in stack.dataverse.rows("smsc_optouts") if o["smsc_phonenumber"] == SMITH_NUMBER]
    assert optout["smsc_active"] is True
    again = crm.new_sms(SMITH, text="Encore un message.")
    assert crm.webhook(again).json()["outcome"] == "failed" and len(stack.smsmode.sends) == 1


def test_an_undeliverable_report_says_smsmode_s_status(crm, stack, app):
    stack.smsmode.set_outcomes(hold=True, delivered_share=0, failure_status="BAD_DESTINATION")
    activity_id = crm.new_sms(SMITH, text="Votre colis arrive demain.")
    crm.webhook(activity_id)
    assert [a["status"] for a in stack.smsmode.flush_callbacks()] == [200]
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 7 and "smsmode" in activity["smsc_error"]
    assert "UNDELIVERABLE" in activity["smsc_error"]

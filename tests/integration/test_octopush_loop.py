"""The loop back as it runs locally: `smsc provider callbacks` registers the served function app at the
Octopush emulator; a unit SMS goes out; the emulator posts its delivery report, the recipient's reply and
the STOP opt-out over HTTP to the app's provider routes, which record them and apply the report."""
import pytest

from connector import bootstrap
from emulators import dataverse_seed as seed
from smsc.cli import main
from smsc.serve import BackgroundServer, FunctionHost

SMITH = ("contact", seed.DAVID_SMITH_ID)
SMITH_NUMBER = "+33649819006"


@pytest.fixture
def app(stack, capsys):
    """The function app served on loopback, registered at the emulator as its callbacks."""
    with BackgroundServer(FunctionHost()) as server:
        assert main(["provider", "callbacks", "--url", server.url]) == 0
        out = capsys.readouterr().out
        assert stack.webhook_key not in out and f"{server.url}/api/providers/octopush/delivery?key=***" in out
        yield server


def unit_sms(crm, **columns) -> tuple[str, str]:
    activity_id = crm.new_sms(SMITH, text="Votre colis arrive demain.", **columns)
    assert crm.webhook(activity_id).json()["outcome"] == "sent"
    return activity_id, crm.activity(activity_id)["smsc_providermessageid"]


def test_a_report_posted_by_the_emulator_makes_the_sms_delivered(crm, stack, app):
    stack.octopush.set_outcomes(hold=True)
    activity_id, ticket = unit_sms(crm)
    assert crm.activity(activity_id)["smsc_status"] == 5
    [attempt] = stack.octopush.flush_callbacks()
    assert attempt["status"] == 200 and attempt["body"]["message_id"] == ticket
    assert crm.activity(activity_id)["smsc_status"] == 6                      # Delivered
    [event] = stack.dataverse.rows("smsc_providerevents")
    assert (event["smsc_kind"], event["smsc_ticket"], event["smsc_providerstatus"]) == (1, ticket, "DELIVERED")


def test_a_failed_delivery_makes_it_undeliverable_with_the_reason(crm, stack, app):
    stack.octopush.set_outcomes(hold=True, delivered_share=0, failure_status="BAD_DESTINATION")
    activity_id, _ = unit_sms(crm)
    assert [a["status"] for a in stack.octopush.flush_callbacks()] == [200]
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 7 and "BAD_DESTINATION" in activity["smsc_error"]


def test_a_named_sender_gets_no_reply_but_a_stop_still_reaches_the_app(crm, stack, app):
    stack.octopush.set_outcomes(hold=True, replies=[{"number": "all", "text": "STOP"}])
    unit_sms(crm)                                                             # the seeded sender SMSC: a name
    assert stack.octopush.sends[-1]["body"]["with_replies"] is False
    attempts = stack.octopush.flush_callbacks()
    assert [(a["kind"], a["status"]) for a in attempts] == [("delivery", 200), ("opt_out", 200)]
    assert sorted(e["smsc_kind"] for e in stack.dataverse.rows("smsc_providerevents")) == [1, 3]
    [optout] = [o for o in stack.dataverse.rows("smsc_optouts") if o["smsc_phonenumber"] == SMITH_NUMBER]
    assert (optout["smsc_reason"], optout["smsc_active"]) == (1, True)           # STOP, in force
    # The next SMS to that number is refused; the emulator's blacklist would report it anyway.
    activity_id = crm.new_sms(SMITH, text="Encore un message.")
    assert crm.webhook(activity_id).json()["outcome"] == "failed"
    # START from the phone lifts it.
    stack.octopush.inbound(SMITH_NUMBER, "START")
    assert [a["status"] for a in stack.octopush.flush_callbacks()] == [200]
    [optout] = [o for o in stack.dataverse.rows("smsc_optouts") if o["smsc_phonenumber"] == SMITH_NUMBER]
    assert optout["smsc_active"] is False


def test_without_a_sender_the_sms_can_be_answered_and_the_reply_reaches_the_app(crm, stack, app):
    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_unitdefaultsender": None})
    bootstrap.reset()                                                         # the configuration is read again
    stack.octopush.set_outcomes(hold=True, replies=[{"number": SMITH_NUMBER, "text": "Merci, à demain"}])
    _, ticket = unit_sms(crm)
    assert stack.octopush.sends[-1]["body"]["with_replies"] is True
    attempts = stack.octopush.flush_callbacks()
    assert [(a["kind"], a["status"]) for a in attempts] == [("delivery", 200), ("inbound", 200)]
    inbound = [e for e in stack.dataverse.rows("smsc_providerevents") if e["smsc_kind"] == 2]
    assert [(e["smsc_ticket"], e["smsc_text"]) for e in inbound] == [(ticket, "Merci, à demain")]
    replies = [a for a in stack.dataverse.rows("smsc_textmessages") if a.get("smsc_direction") == 2]
    assert [(r["smsc_status"], r["description"], r["_regardingobjectid_value"]) for r in replies] == [
        (10, "Merci, à demain", seed.DAVID_SMITH_ID)]                      # Received, threaded to Smith

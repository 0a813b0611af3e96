"""Inbound SMS on the emulators: the rows a reply, a STOP and a START write, the campaign that then
leaves the number out, and a keyword workflow answering « OUI »."""
import base64
import json
from datetime import datetime, timedelta, timezone

import azure.functions as func
import pytest

from connector.bootstrap import campaign_service, get_services, inbound_service, workflow_repositories
from connector.campaigns.model import CampaignAction
from connector.crm.configuration import forget_configuration
from connector.crm.provider_events import DataverseProviderEvents
from connector.optout import StopOptOutKept, lift_by_admin
from connector.crm.optouts import DataverseOptOuts
from connector.sms.callbacks import CallbackKind, ProviderCallback
from emulators import dataverse_seed as seed
from functions.local_host import invoke, queue_function
from workflows.catalog import forget_parsed
from workflows.inbound import KeywordWorkflowRunner

SMITH = ("contact", seed.DAVID_SMITH_ID)
SMITH_MOBILE, DOE_MOBILE = "+33649819006", "+33600000002"
EXPAND = "smsc_textmessage_activity_parties($select=participationtypemask,_partyid_value)"


def received(number: str, text: str, *, kind=CallbackKind.INBOUND, ticket: str | None = None) -> str:
    """The provider's callback, recorded as the callback route does; its event id."""
    callback = ProviderCallback(kind, number, ticket=ticket, text=text,
                                raw={"number": number, "text": text, "message_id": ticket})
    return DataverseProviderEvents(get_services().crm).record(callback, datetime.now(timezone.utc))


def handle(*event_ids: str, workflows=None) -> dict:
    crm = get_services().crm
    events = DataverseProviderEvents(crm).get_many(list(event_ids))
    return inbound_service(crm, workflows).handle(events)


def incoming(stack) -> list[dict]:
    return stack.dataverse.rows("smsc_textmessages", filter="smsc_direction eq 2")


def from_party(stack, activity_id: str) -> list[tuple[int, str]]:
    row = stack.dataverse.get("smsc_textmessages", activity_id, expand=EXPAND)
    return [(p["participationtypemask"], p["_partyid_value"]) for p in row["smsc_textmessage_activity_parties"]]


def run_campaign(action: str, campaign_id: str):
    """The action; validate's parts released from the in-process queue, as the CLI does."""
    from smsc.campaign_parts import release_local_parts

    services = get_services()
    result = campaign_service(services.crm, services.sms).run(campaign_id, CampaignAction[action.upper()],
                                                              seed.JOHN_BAKER_ID)
    if action == "validate" and result.ok:
        result = release_local_parts(services, campaign_id) or result
    return result


def test_a_reply_to_a_unit_sms_becomes_an_incoming_activity_on_the_contact(crm, stack):
    outgoing = crm.new_sms(SMITH, text="Votre RDV est demain à 10h.")
    assert crm.webhook(outgoing).status == 200
    event = received(SMITH_MOBILE, "Merci, j'y serai")

    assert handle(event) == handle(event)                # the queue delivering it twice: one activity
    [reply] = incoming(stack)
    assert handle(event) == {event: reply["activityid"]}
    assert (reply["smsc_direction"], reply["smsc_status"], reply["description"], reply["smsc_phonenumber"]) == (
        2, 10, "Merci, j'y serai", SMITH_MOBILE)
    assert reply["subject"] == f"Réponse de {SMITH_MOBILE}" and reply["smsc_idempotencykey"] == f"in:{event}"
    assert reply["_regardingobjectid_value"] == seed.DAVID_SMITH_ID and reply["actualend"]
    assert from_party(stack, reply["activityid"]) == [(1, seed.DAVID_SMITH_ID)]
    assert crm.activity(outgoing)["smsc_status"] == 5                     # the outgoing SMS keeps its status


def test_a_reply_to_an_account_campaign_is_on_the_account_and_the_campaign_until_it_closes(stack):
    assert run_campaign("prepare", seed.CAMPAIGN_ACCOUNTS_ID).ok
    assert run_campaign("validate", seed.CAMPAIGN_ACCOUNTS_ID).ok
    [sent] = stack.dataverse.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {seed.CAMPAIGN_ACCOUNTS_ID}")
    assert sent["smsc_phonenumber"] == SMITH_MOBILE                        # the primary contact's mobile

    handle(received(SMITH_MOBILE, "Super, merci", ticket=sent["smsc_providermessageid"]))
    [reply] = incoming(stack)
    assert reply["_regardingobjectid_value"] == seed.CONTOSO_ID            # the account, not David Smith
    assert reply["_smsc_campaignid_value"] == seed.CAMPAIGN_ACCOUNTS_ID
    assert from_party(stack, reply["activityid"]) == [(1, seed.CONTOSO_ID)]

    stack.dataverse.update("campaigns", seed.CAMPAIGN_ACCOUNTS_ID, {"smsc_closedon": "2026-01-01T00:00:00Z"})
    handle(received(SMITH_MOBILE, "Et une autre question"))
    late = next(r for r in incoming(stack) if r["description"] == "Et une autre question")
    assert late["_regardingobjectid_value"] == seed.CONTOSO_ID and late["_smsc_campaignid_value"] is None


def test_a_campaign_sms_released_later_without_a_sent_date_still_threads_the_reply(stack):
    started = datetime.now(timezone.utc) - timedelta(hours=2)
    stack.dataverse.update("campaigns", seed.CAMPAIGN_MIXED_ID, {"actualstart": started.strftime("%Y-%m-%dT%H:%M:%SZ")})
    stack.dataverse.insert("smsc_textmessages", {        # as validate writes it for a deferred start: Scheduled
        "subject": "Campagne mixte", "description": "-10% ce week-end. STOP au 30101", "smsc_status": 4,
        "smsc_direction": 1, "smsc_phonenumber": "+33612345678",
        "regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({seed.LEA_DUBOIS_ID})",
        "smsc_CampaignId@odata.bind": f"/campaigns({seed.CAMPAIGN_MIXED_ID})"})
    handle(received("+33612345678", "Valable en magasin ?"))
    [reply] = incoming(stack)
    assert (reply["_regardingobjectid_value"], reply["_smsc_campaignid_value"]) == (
        seed.LEA_DUBOIS_ID, seed.CAMPAIGN_MIXED_ID)


def test_a_number_without_a_recent_sms_is_found_by_the_mobile_as_typed_in_the_crm(stack):
    handle(received("+33612345678", "Bonjour"))                           # Léa Dubois: "06 12 34 56 78"
    [reply] = incoming(stack)
    assert reply["_regardingobjectid_value"] == seed.LEA_DUBOIS_ID


def test_an_unknown_number_is_kept_or_becomes_a_lead_as_configured(stack):
    handle(received("+33655555555", "Qui êtes-vous ?"))
    [kept] = incoming(stack)
    assert kept["_regardingobjectid_value"] is None and kept["smsc_phonenumber"] == "+33655555555"

    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_unknownreplycreateslead": True})
    forget_configuration()
    handle(received("+33677777777", "Je veux un devis"))
    [lead] = stack.dataverse.rows("leads", filter="mobilephone eq '+33677777777'")
    assert lead["lastname"] == "+33677777777"
    reply = next(r for r in incoming(stack) if r["smsc_phonenumber"] == "+33677777777")
    assert reply["_regardingobjectid_value"] == lead["leadid"]


def optout_rows(stack, number: str) -> list[tuple]:
    return [(r["smsc_reason"], r["smsc_active"])
            for r in stack.dataverse.rows("smsc_optouts", filter=f"smsc_phonenumber eq '{number}'")]


def test_stop_then_a_marketing_campaign_excludes_the_number_start_restores_it(stack):
    handle(received(DOE_MOBILE, " Stop "))
    handle(received(DOE_MOBILE, "STOP"))
    assert optout_rows(stack, DOE_MOBILE) == [(1, True)]                  # one row, active, reason STOP
    assert [r["description"] for r in incoming(stack)] == [" Stop ", "STOP"]

    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {
        "smsc_text": "Bonjour Mr [lastname], -10% ce week-end. STOP au 30101"})
    assert run_campaign("simulate", seed.CAMPAIGN_ORDERS_ID).summary == "3 recipients. 1 errors."
    [note] = [n for n in stack.dataverse.rows("annotations", filter=f"_objectid_value eq {seed.CAMPAIGN_ORDERS_ID}")
              if n.get("filename") == "resume.csv"]
    report = base64.b64decode(note["documentbody"]).decode("utf-8-sig")
    assert f"ECHEC;Le destinataire s'est désinscrit (STOP).;{DOE_MOBILE};" in report
    with pytest.raises(StopOptOutKept):
        lift_by_admin(DOE_MOBILE, DataverseOptOuts(get_services().crm), "en")
    handle(received("+33600000001", "START"))                             # from another number: nothing
    assert optout_rows(stack, DOE_MOBILE) == [(1, True)] and optout_rows(stack, "+33600000001") == []

    handle(received(DOE_MOBILE, "start"))
    assert optout_rows(stack, DOE_MOBILE) == [(1, False)]
    assert run_campaign("simulate", seed.CAMPAIGN_ORDERS_ID).summary == "3 recipients. 0 errors."


def test_the_providers_opt_out_callback_opts_out(stack):
    event = received(DOE_MOBILE, "stop", kind=CallbackKind.OPT_OUT)
    assert handle(event) == {event: None}
    assert optout_rows(stack, DOE_MOBILE) == [(1, True)] and incoming(stack) == []


def test_a_stop_between_prepare_and_validate_is_not_sent_and_is_reported(stack):
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {
        "smsc_text": "Bonjour Mr [lastname], -10% ce week-end. STOP au 30101"})
    assert run_campaign("prepare", seed.CAMPAIGN_ORDERS_ID).summary == "3 recipients. 0 errors."
    handle(received(DOE_MOBILE, "ARRÊT"))
    result = run_campaign("validate", seed.CAMPAIGN_ORDERS_ID)

    assert result.ok and DOE_MOBILE in result.summary and result.summary.startswith("2 SMS sent.")
    assert sorted(n for s in stack.octopush.sends for n in s["numbers"]) == ["+33600000001", SMITH_MOBILE]
    sent_to = {r["smsc_phonenumber"] for r in stack.dataverse.rows(
        "smsc_textmessages", filter=f"_smsc_campaignid_value eq {seed.CAMPAIGN_ORDERS_ID}")}
    assert DOE_MOBILE not in sent_to


CONFIRM = """name: Confirmation par SMS
entity: contact
trigger: {event: inbound, keywords: [OUI]}
steps:
  - send_sms: {recipient: self, text: "Merci {{ firstname }}, votre rendez-vous est confirmé."}
"""


def test_oui_runs_the_keyword_workflow_on_the_senders_contact_once(crm, stack):
    forget_parsed()
    stack.dataverse.insert("smsc_workflows", {"smsc_name": "Confirmation par SMS", "smsc_definition": CONFIRM,
                                              "smsc_active": True, "smsc_entity": "contact"})
    crm.webhook(crm.new_sms(SMITH, text="RDV demain 10h : répondez OUI pour confirmer."))
    services = get_services()
    runner = KeywordWorkflowRunner(workflow_repositories(services.crm), services.sms)
    event = received(SMITH_MOBILE, "Oui !")
    handle(event, workflows=runner)
    handle(event, workflows=runner)                                       # redelivered: not sent again

    answers = [s for s in stack.octopush.sends if "confirmé" in s["body"]["text"]]
    assert [(a["numbers"], a["body"]["text"]) for a in answers] == [
        ([SMITH_MOBILE], "Merci David, votre rendez-vous est confirmé.")]
    handle(received(SMITH_MOBILE, "STOP"), workflows=runner)             # STOP never starts it
    assert len([s for s in stack.octopush.sends if "confirmé" in s["body"]["text"]]) == 1


def callback(stack, body: dict):
    """Octopush posting to the inbound route, then the host running the queue message it left."""
    answer = invoke("POST", "providers/octopush/inbound", body=json.dumps(body).encode(),
                    params={"key": stack.webhook_key}, headers={"content-type": "application/json"})
    assert answer.status == 200, answer.body
    queue_function("smsc-provider-events")(func.QueueMessage(body=answer.outputs["provider_events"].encode()))
    return answer


def test_through_the_route_a_reply_lands_on_the_contact_and_a_stop_refuses_the_next_sms(crm, stack):
    outgoing = crm.new_sms(SMITH, text="Votre commande part demain.")
    crm.webhook(outgoing)
    ticket = crm.activity(outgoing)["smsc_providermessageid"]
    reply = callback(stack, {"message_id": ticket, "number": SMITH_MOBILE, "text": "Merci !",
                             "sim_card_number": "+33700000000", "reception_date": "2026-12-02 13:00:00"})
    callback(stack, {"message_id": ticket, "number": SMITH_MOBILE, "text": "Stop", "stop_date": "2026-12-02 13:01:00"})
    queue_function("smsc-provider-events")(func.QueueMessage(body=reply.outputs["provider_events"].encode()))

    [row] = incoming(stack)
    assert (row["description"], row["_regardingobjectid_value"], row["smsc_status"]) == (
        "Merci !", seed.DAVID_SMITH_ID, 10)
    received_on = stack.dataverse.rows("smsc_providerevents", filter="smsc_kind eq 2")[0]["smsc_receivedon"]
    assert row["actualend"] == received_on                              # when the provider told us
    events = stack.dataverse.rows("smsc_providerevents")
    assert all(e["smsc_processedon"] for e in events)
    assert sorted(e["_smsc_textmessageid_value"] or "" for e in events) == ["", row["activityid"]]
    assert optout_rows(stack, SMITH_MOBILE) == [(1, True)]

    again = crm.new_sms(SMITH, text="Une dernière chose")
    crm.webhook(again)
    assert crm.activity(again)["smsc_status"] == 8                       # refused: opted out, nothing sent
    assert [s["body"]["text"] for s in stack.octopush.sends] == ["Votre commande part demain."]


def test_through_the_route_and_the_queue_oui_runs_the_keyword_workflow(crm, stack):
    forget_parsed()
    stack.dataverse.insert("smsc_workflows", {"smsc_name": "Confirmation par SMS", "smsc_definition": CONFIRM,
                                              "smsc_active": True, "smsc_entity": "contact"})
    outgoing = crm.new_sms(SMITH, text="RDV demain 10h : répondez OUI pour confirmer.")
    crm.webhook(outgoing)
    ticket = crm.activity(outgoing)["smsc_providermessageid"]
    callback(stack, {"message_id": ticket, "number": SMITH_MOBILE, "text": "oui",
                     "sim_card_number": "+33700000000", "reception_date": "2026-12-02 13:00:00"})
    answers = [s for s in stack.octopush.sends if "confirmé" in s["body"]["text"]]
    assert [(a["numbers"], a["body"]["text"]) for a in answers] == [
        ([SMITH_MOBILE], "Merci David, votre rendez-vous est confirmé.")]

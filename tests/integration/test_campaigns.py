"""Campaigns on the emulators: the product guide's own example, then the whole lifecycle."""
import base64
import xml.etree.ElementTree as ET

import pytest

from connector.bootstrap import campaign_service, get_services
from connector.campaigns.model import CampaignAction
from emulators import dataverse_seed as seed
from smsc.campaign_parts import release_local_parts

GUIDE_ROWS = [
    "STATUT;DETAIL;NUMERO;SMS",
    "ECHEC;La mention 'STOP au 30101' doit être présente.;+33649819006;Bonjour Mr Smith, votre commande a bien été enregistrée.",
    "ECHEC;La mention 'STOP au 30101' doit être présente.;+33600000002;Bonjour Mr Doe, votre commande a bien été enregistrée.",
    "ECHEC;La mention 'STOP au 30101' doit être présente.;+33600000001;Bonjour Mr Parker, votre commande a bien été enregistrée.",
]


def run(action: str, campaign_id: str, user: str | None = seed.JOHN_BAKER_ID):
    """The action; validate's parts released from the in-process queue (smsc.campaign_parts), as the
    CLI does: its result is then the campaign's once they are."""
    services = get_services()
    result = campaign_service(services.crm, services.sms).run(campaign_id, CampaignAction[action.upper()], user)
    if action == "validate" and result.ok:
        result = release_local_parts(services, campaign_id) or result
    return result


def notes(stack, campaign_id: str, extension: str) -> list[dict]:
    return [n for n in stack.dataverse.rows("annotations", filter=f"_objectid_value eq {campaign_id}")
            if (n.get("filename") or "").endswith(extension)]


def document(note: dict) -> bytes:
    return base64.b64decode(note["documentbody"])


def campaign(stack, campaign_id: str) -> dict:
    return stack.dataverse.get("campaigns", campaign_id)


def test_the_guides_example_gives_its_three_errors(stack):
    result = run("simulate", seed.CAMPAIGN_ORDERS_ID)

    assert result.summary == "3 recipients. 3 errors." and result.ok
    assert campaign(stack, seed.CAMPAIGN_ORDERS_ID)["smsc_lastresult"] == "3 recipients. 3 errors."
    [note] = notes(stack, seed.CAMPAIGN_ORDERS_ID, ".csv")
    assert note["filename"] == "resume.csv" and note["subject"].startswith("Résumé de la simulation (")
    content = document(note)
    assert content.startswith(b"\xef\xbb\xbf")                                  # BOM: Excel shows accents
    assert content[3:].decode("utf-8").split("\r\n")[:-1] == GUIDE_ROWS
    assert stack.octopush.sends == []


def test_a_french_user_reads_the_result_in_french(stack):
    assert run("simulate", seed.CAMPAIGN_ORDERS_ID, seed.CLAIRE_MARTIN_ID).summary == "3 destinataires. 3 erreurs."


def test_with_the_stop_mention_the_campaign_prepares_validates_and_leaves_three_activities(stack):
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {
        "smsc_text": "Bonjour Mr [lastname], votre commande a bien été enregistrée. STOP au 30101"})
    assert run("simulate", seed.CAMPAIGN_ORDERS_ID).summary == "3 recipients. 0 errors."
    rows = document(notes(stack, seed.CAMPAIGN_ORDERS_ID, ".csv")[0])[3:].decode().split("\r\n")[1:-1]
    assert [r.split(";")[0] for r in rows] == ["SUCCES"] * 3

    prepared = run("prepare", seed.CAMPAIGN_ORDERS_ID)
    assert prepared.ok and prepared.status.name == "READY"
    row = campaign(stack, seed.CAMPAIGN_ORDERS_ID)
    assert row["smsc_smsstatus"] == 3 and row["smsc_providerticket"].startswith("smsc-")
    assert row["othercost"] == pytest.approx(3 * 0.045)
    [xml_note] = notes(stack, seed.CAMPAIGN_ORDERS_ID, ".xml")
    tree = ET.fromstring(document(xml_note))
    assert [s.get("statut") for s in tree.iter("sms")] == ["SUCCES"] * 3
    assert tree.find("totaux_campagne").get("cout") == "0.1350"
    assert stack.octopush.sends == []                                # prepared, not sent

    sent = run("validate", seed.CAMPAIGN_ORDERS_ID)
    assert sent.ok and sent.status.name == "SENT"
    assert sorted(n for s in stack.octopush.sends for n in s["numbers"]) == \
        ["+33600000001", "+33600000002", "+33649819006"]
    [send] = stack.octopush.sends                  # one request: the merge field became a placeholder
    assert send["body"]["text"] == "Bonjour Mr {first_name}, votre commande a bien été enregistrée. STOP au 30101"
    assert {"phone_number": "+33600000002", "first_name": "Doe"} in send["body"]["recipients"]
    assert "Bonjour Mr Doe, votre commande a bien été enregistrée. STOP au 30101" in send["texts"]
    assert all(s["body"]["purpose"] == "wholesale" for s in stack.octopush.sends)
    activities = stack.dataverse.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {seed.CAMPAIGN_ORDERS_ID}")
    assert len(activities) == 3 and {a["smsc_status"] for a in activities} == {5}
    assert {a["_regardingobjectid_value"] for a in activities} == {seed.DAVID_SMITH_ID, seed.JOHN_DOE_ID,
                                                                  seed.PETER_PARKER_ID}
    # Each activity carries its share of what Octopush charged, so consumption statistics count campaigns.
    assert sum(a["smsc_cost"] for a in activities) == pytest.approx(send["cost"]) and send["cost"] > 0
    assert [a["smsc_cost"] for a in activities] == pytest.approx([send["cost"] / 3] * 3)     # one part each
    assert campaign(stack, seed.CAMPAIGN_ORDERS_ID)["smsc_smsstatus"] == 5


def test_validate_twice_or_resumed_sends_each_recipient_once(stack):
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_text": "Promo STOP au 30101"})
    run("prepare", seed.CAMPAIGN_ORDERS_ID)
    assert run("validate", seed.CAMPAIGN_ORDERS_ID).ok
    again = run("validate", seed.CAMPAIGN_ORDERS_ID)
    # Issue 8: a sent campaign is said to be sent (it used to say "prepare it before sending").
    assert not again.ok and again.summary == "The campaign was already sent: it will not go again."
    french = run("validate", seed.CAMPAIGN_ORDERS_ID, seed.CLAIRE_MARTIN_ID)
    assert french.summary == "La campagne a déjà été envoyée : elle ne repartira pas."
    assert campaign(stack, seed.CAMPAIGN_ORDERS_ID)["smsc_lastresult"] == french.summary
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_smsstatus": 4})   # as after a crash
    assert run("validate", seed.CAMPAIGN_ORDERS_ID).ok                                    # resumed
    assert sum(len(s["numbers"]) for s in stack.octopush.sends) == 3
    assert len(stack.dataverse.rows("smsc_textmessages",
                                    filter=f"_smsc_campaignid_value eq {seed.CAMPAIGN_ORDERS_ID}")) == 3


def test_static_and_dynamic_lists_with_duplicates_optouts_and_bad_numbers(stack):
    result = run("simulate", seed.CAMPAIGN_MIXED_ID)
    rows = document(notes(stack, seed.CAMPAIGN_MIXED_ID, ".csv")[0])[3:].decode().split("\r\n")[1:-1]
    by_detail = {}
    for row in rows:
        status, detail, number, _ = row.split(";", 3)
        by_detail.setdefault((status, detail), []).append(number)
    assert by_detail[("ECHEC", "Doublon : ce numéro reçoit déjà le SMS.")] == ["+33649819006"]
    assert by_detail[("ECHEC", "Le destinataire s'est désinscrit (STOP).")] == ["+33611111111"]
    assert by_detail[("ECHEC", "Aucun numéro de mobile.")] == [""]
    assert ("ECHEC", "Le numéro doit être au format international (+XXXXXX ou 00XXXXX) : 12345.") in by_detail
    assert sorted(by_detail[("SUCCES", "")]) == ["+33600000002", "+33612345678", "+33649819006"]
    assert result.summary == f"{len(rows)} recipients. {len(rows) - 3} errors."


def test_accounts_use_their_primary_contact_and_report_the_missing_one(stack):
    run("simulate", seed.CAMPAIGN_ACCOUNTS_ID)
    rows = document(notes(stack, seed.CAMPAIGN_ACCOUNTS_ID, ".csv")[0])[3:].decode().split("\r\n")[1:-1]
    assert sorted(r.split(";")[:3] for r in rows) == sorted([
        ["SUCCES", "", "+33649819006"], ["ECHEC", "Le compte n'a pas de contact principal.", ""]])


def test_cancel_returns_a_prepared_campaign_to_not_transmitted_with_a_note(stack):
    stack.dataverse.update("campaigns", seed.CAMPAIGN_LEADS_ID, {})
    assert run("prepare", seed.CAMPAIGN_LEADS_ID).ok
    cancelled = run("cancel", seed.CAMPAIGN_LEADS_ID)
    assert cancelled.ok and cancelled.status.name == "NOT_TRANSMITTED"
    row = campaign(stack, seed.CAMPAIGN_LEADS_ID)
    assert row["smsc_smsstatus"] == 1 and row["smsc_providerticket"] is None
    assert any("cancelled by John Baker" in n["subject"]
               for n in stack.dataverse.rows("annotations", filter=f"_objectid_value eq {seed.CAMPAIGN_LEADS_ID}"))
    refused = run("validate", seed.CAMPAIGN_LEADS_ID)
    assert not refused.ok and stack.octopush.sends == []


def test_reports_larger_than_the_attachment_limit_are_split_and_validate_reads_every_part(stack):
    campaign_id = seed.seed_bulk_campaign(stack.dataverse, 300)
    stack.dataverse.max_upload = 8192                        # base64 bytes per note: ~6 KB of report
    run("simulate", campaign_id)
    parts = sorted(notes(stack, campaign_id, ".csv"), key=lambda n: int(n["filename"][7:-4]))
    assert len(parts) > 3 and all(len(n["documentbody"]) <= 8192 for n in parts)
    assert parts[0]["filename"] == "resume-1.csv" and "(part 2)" in parts[1]["subject"]
    lines = []
    for part in parts:
        text = document(part).decode("utf-8")
        assert text.startswith("\ufeffSTATUT;DETAIL;NUMERO;SMS\r\n")       # each part opens in Excel alone
        lines += text.split("\r\n")[1:-1]
    assert len(lines) == 300 and all(line.startswith("SUCCES;") for line in lines)

    assert run("prepare", campaign_id).ok
    xml_parts = notes(stack, campaign_id, ".xml")
    assert len(xml_parts) > 3
    for part in xml_parts:
        ET.fromstring(document(part))                                     # each part well-formed
    assert run("validate", campaign_id).ok
    assert sum(len(s["numbers"]) for s in stack.octopush.sends) == 300
    assert len(stack.dataverse.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {campaign_id}")) == 300


def test_a_campaign_button_goes_through_the_webhook_and_the_queue(stack):
    from emulators.webhook_bodies import option, remote_execution_context, webhook_headers
    from functions.local_host import invoke, queue_function
    import azure.functions as func

    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_action": 1})    # the Simulate button
    body = remote_execution_context("Update", "campaign", seed.CAMPAIGN_ORDERS_ID, user_id=seed.JOHN_BAKER_ID,
                                    attributes={"smsc_action": option(1)})
    answer = invoke("POST", "dataverse/events", body=body,
                    headers=webhook_headers("Update", "campaign", stack.webhook_key))
    assert answer.status == 202 and answer.json()["handled"] == "campaign:simulate"
    message = answer.outputs["campaign_queue"]
    assert "+33" not in message                                    # queue messages never carry numbers

    worker = queue_function("smsc-campaign-actions")
    worker(func.QueueMessage(body=message.encode()))
    row = campaign(stack, seed.CAMPAIGN_ORDERS_ID)
    assert row["smsc_lastresult"] == "3 recipients. 3 errors." and row["smsc_action"] is None
    callers = {r.headers.get("callerobjectid") for r in stack.dataverse.requests if r.method == "POST"}
    assert callers == {seed.JOHN_BAKER_AAD}                        # the note is written as the user

    worker(func.QueueMessage(body=message.encode()))               # the same event delivered again
    assert len(notes(stack, seed.CAMPAIGN_ORDERS_ID, ".csv")) == 1


def test_an_action_failing_on_its_last_attempt_is_written_on_the_campaign(stack):
    from connector.campaigns.worker import run_queued_action
    from connector.errors import SmscError

    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_action": 1})
    stack.dataverse.faults.add(400, times=100, path_contains="campaignlist_association")
    message = {"campaignid": seed.CAMPAIGN_ORDERS_ID, "action": 1, "userid": None}
    services = get_services()

    def service_for(user_id):
        return campaign_service(services.crm, services.sms, user_id=user_id)

    with pytest.raises(SmscError):
        run_queued_action(service_for, message, attempt=1)
    assert campaign(stack, seed.CAMPAIGN_ORDERS_ID)["smsc_action"] == 1          # the queue will retry
    with pytest.raises(SmscError):
        run_queued_action(service_for, message, attempt=3)
    row = campaign(stack, seed.CAMPAIGN_ORDERS_ID)
    assert row["smsc_action"] is None and row["smsc_lastresult"].startswith("Failed after 3 attempts")


def test_a_validated_campaign_with_a_deferred_start_is_cancelled_before_anything_reaches_the_provider(stack):
    # Before the fan-out this test saw the SMS Scheduled at Octopush, then cancelled there; now the parts
    # wait in the queue until the start, so nothing has gone and cancel has nothing to ask the provider.
    from datetime import datetime, timedelta, timezone

    start = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_text": "Promo STOP au 30101",
                                                                   "actualstart": start})
    run("prepare", seed.CAMPAIGN_ORDERS_ID)
    held = run("validate", seed.CAMPAIGN_ORDERS_ID)
    assert held.ok and held.status.name == "SENDING" and "held until the deferred start" in held.summary
    filter_ = f"_smsc_campaignid_value eq {seed.CAMPAIGN_ORDERS_ID}"
    assert stack.dataverse.rows("smsc_textmessages", filter=filter_) == [] and stack.octopush.sends == []

    cancelled = run("cancel", seed.CAMPAIGN_ORDERS_ID)
    assert cancelled.ok and cancelled.status.name == "NOT_TRANSMITTED"
    assert stack.octopush.sends == [] and [r for r in stack.octopush.requests if "sms-campaign" in r.path] == []
    row = campaign(stack, seed.CAMPAIGN_ORDERS_ID)
    assert row["smsc_smsstatus"] == 1 and row["smsc_partstotal"] is None


def test_a_sent_campaign_cannot_be_cancelled(stack):
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_text": "Promo STOP au 30101"})
    run("prepare", seed.CAMPAIGN_ORDERS_ID)
    run("validate", seed.CAMPAIGN_ORDERS_ID)
    refused = run("cancel", seed.CAMPAIGN_ORDERS_ID)
    assert not refused.ok and "start has not come" in refused.summary
    assert {s["status"] for s in stack.octopush.sends} == {"sent"}


def test_a_marketing_campaign_validated_at_night_goes_out_when_the_quiet_hours_end(stack):
    from datetime import datetime, timedelta, timezone

    from connector.bootstrap import local_queues
    from connector.repositories.work_queue import CAMPAIGN_PARTS

    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID,
                           {"smsc_quiethoursstart": 20, "smsc_quiethoursend": 8})
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_text": "Promo STOP au 30101"})
    night = datetime(2026, 11, 23, 22, 0, tzinfo=timezone.utc)           # 23:00 in Paris
    services = get_services()
    service = campaign_service(services.crm, services.sms, clock=lambda: night)
    service.run(seed.CAMPAIGN_ORDERS_ID, CampaignAction.PREPARE)
    assert service.run(seed.CAMPAIGN_ORDERS_ID, CampaignAction.VALIDATE).ok
    release_local_parts(services, seed.CAMPAIGN_ORDERS_ID, clock=lambda: night)
    assert stack.octopush.sends == []                          # held by the connector, not at Octopush
    filter_ = f"_smsc_campaignid_value eq {seed.CAMPAIGN_ORDERS_ID}"
    assert stack.dataverse.rows("smsc_textmessages", filter=filter_) == []

    # The part was put back on the queue for 08:00 in Paris; it surfaces then and goes.
    queue = local_queues()[CAMPAIGN_PARTS]
    assert len(queue) == 1
    queue.clock = lambda: datetime.now(timezone.utc) + timedelta(hours=10)
    morning = datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc)
    release_local_parts(services, seed.CAMPAIGN_ORDERS_ID, clock=lambda: morning)
    assert len(stack.octopush.sends) == 1 and "send_at" not in stack.octopush.sends[0]["body"]
    assert {a["smsc_status"] for a in stack.dataverse.rows("smsc_textmessages", filter=filter_)} == {5}
    assert campaign(stack, seed.CAMPAIGN_ORDERS_ID)["smsc_smsstatus"] == 5


def test_a_provider_refusal_during_validate_is_shown_and_validating_again_resumes(stack):
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_text": "Promo STOP au 30101"})
    run("prepare", seed.CAMPAIGN_ORDERS_ID)
    stack.octopush.credit = 0.0
    refused = run("validate", seed.CAMPAIGN_ORDERS_ID)
    # The part failed on each attempt, then its poison step said why (the campaign stays Sending).
    assert not refused.ok and refused.summary == (
        "0 SMS sent. Part 1 of 1 failed after several attempts: The Octopush account is out of credit (Octopush "
        "code 104). Validate again to resume: what went out will not go again.")
    row = campaign(stack, seed.CAMPAIGN_ORDERS_ID)
    assert row["smsc_smsstatus"] == 4 and row["smsc_lastresult"] == refused.summary
    stack.octopush.credit = 10.0
    assert run("validate", seed.CAMPAIGN_ORDERS_ID).ok
    assert sum(len(s["numbers"]) for s in stack.octopush.sends) == 3

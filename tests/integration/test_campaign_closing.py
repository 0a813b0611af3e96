"""Campaign figures and closing on the emulators: Refresh through the real webhook and queue path,
the timer closing what is due, and the aggregate queries' cost (the same for 10 and 1,000 SMS)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import azure.functions as func
from azure.functions.timer import TimerRequest

from connector.bootstrap import campaign_service, get_services
from connector.campaigns.model import CampaignAction
from connector.clock import odata_utc, parse_utc
from connector.crm.campaign_figures import DataverseCampaignFigures
from connector.idempotency import campaign_recipient_key
from connector.repositories.campaign_figures import CampaignFigures
from emulators import dataverse_seed as seed
from emulators.webhook_bodies import option, remote_execution_context, webhook_headers
from functions.local_host import invoke, queue_function, registered_functions

ORDERS, LEADS = seed.CAMPAIGN_ORDERS_ID, seed.CAMPAIGN_LEADS_ID
# 10 sent (7 delivered, 2 undeliverable, 1 only sent), 1 failed and 1 scheduled (never sent).
OUTGOING = [6] * 7 + [7] * 2 + [5] + [8, 4]
REPLIES = ["+33600000001", "+33600000001", "+33600000002", "+33600000003"]     # 3 numbers


def sms(stack, campaign_id: str | None, status: int, number: str, direction: int = 1) -> str:
    body = {"subject": "SMS", "smsc_status": status, "smsc_direction": direction, "smsc_phonenumber": number}
    if campaign_id:
        body["smsc_CampaignId@odata.bind"] = f"/campaigns({campaign_id})"
    if campaign_id and direction == 1:          # as validate writes them: one per campaign and recipient
        body["smsc_idempotencykey"] = campaign_recipient_key(campaign_id, "contact", str(uuid.uuid4()))
    return stack.dataverse.insert("smsc_textmessages", body)


def sent_campaign(stack, campaign_id: str, sent_on: datetime, outgoing=OUTGOING, replies=REPLIES) -> None:
    stack.dataverse.update("campaigns", campaign_id, {"smsc_smsstatus": 5, "actualstart": odata_utc(sent_on)})
    for n, status in enumerate(outgoing):
        sms(stack, campaign_id, status, f"+336{n:08d}")
    for number in replies:
        sms(stack, campaign_id, 10, number, direction=2)


def campaign(stack, campaign_id: str) -> dict:
    return stack.dataverse.get("campaigns", campaign_id)


def test_refresh_through_the_webhook_writes_the_rates_and_the_line_in_the_users_language(stack):
    sent_campaign(stack, ORDERS, datetime.now(timezone.utc) - timedelta(hours=2))
    sms(stack, LEADS, 10, "+33600000009", direction=2)          # another campaign's reply
    sms(stack, None, 10, "+33600000008", direction=2)           # a reply attached to no campaign
    stack.dataverse.update("campaigns", ORDERS, {"smsc_action": 5})                       # the Refresh button
    body = remote_execution_context("Update", "campaign", ORDERS, user_id=seed.CLAIRE_MARTIN_ID,
                                    attributes={"smsc_action": option(5)})
    answer = invoke("POST", "dataverse/events", body=body, headers=webhook_headers("Update", "campaign",
                                                                                  stack.webhook_key))
    assert answer.status == 202 and answer.json()["handled"] == "campaign:refresh"
    queue_function("smsc-campaign-actions")(func.QueueMessage(body=answer.outputs["campaign_queue"].encode()))

    row = campaign(stack, ORDERS)
    assert row["smsc_lastresult"] == "10 SMS envoyés, 7 délivrés (70,0 %), 3 réponses (30,0 %)."
    assert (row["smsc_deliveryrate"], row["smsc_replyrate"]) == (70.0, 30.0)
    assert row["smsc_smsstatus"] == 5 and row["smsc_action"] is None and row["smsc_closedon"] is None
    [aggregate] = [r for r in stack.dataverse.requests if "aggregate" in r.query.get("fetchXml", "")]
    assert aggregate.method == "GET" and aggregate.path.endswith("/smsc_textmessages")


def refresh_requests(stack, campaign_id: str) -> list:
    before = len(stack.dataverse.requests)
    services = get_services()
    result = campaign_service(services.crm, services.sms, user_id=seed.JOHN_BAKER_ID).run(
        campaign_id, CampaignAction.REFRESH, seed.JOHN_BAKER_ID)
    assert result.ok
    return stack.dataverse.requests[before:]


def test_refresh_costs_the_same_crm_requests_for_10_and_1000_activities(stack):
    sent_campaign(stack, ORDERS, datetime.now(timezone.utc), outgoing=[6] * 10, replies=[])
    sent_campaign(stack, LEADS, datetime.now(timezone.utc), outgoing=[6] * 900 + [7] * 100,
                  replies=[f"+3361{n:07d}" for n in range(50)])
    refresh_requests(stack, ORDERS)                   # the first run also reads the configuration (then cached)
    small, large = refresh_requests(stack, ORDERS), refresh_requests(stack, LEADS)

    def shape(requests):
        return [(r.method, r.path.split("(")[0]) for r in requests]

    assert shape(small) == shape(large) == [("GET", "/api/data/v9.2/campaigns"),           # the campaign
                                            ("GET", "/api/data/v9.2/smsc_textmessages"),   # its figures
                                            ("PATCH", "/api/data/v9.2/campaigns")]         # the result
    assert sum(1 for r in large if "fetchXml" in r.query) == 1          # one aggregate query, no paging
    row = campaign(stack, LEADS)
    assert (row["smsc_deliveryrate"], row["smsc_replyrate"]) == (90.0, 5.0)
    assert row["smsc_lastresult"] == "1000 SMS sent, 900 delivered (90.0%), 50 responses (5.0%)."


def test_a_campaign_beyond_the_aggregate_limit_is_counted_in_slices_of_recipients(stack):
    sent_campaign(stack, LEADS, datetime.now(timezone.utc), outgoing=[6] * 900 + [7] * 90 + [5] * 10,
                  replies=[f"+3361{n:07d}" for n in range(50)] * 2)
    crm = get_services().crm
    whole = DataverseCampaignFigures(crm).figures(LEADS)
    before = len(stack.dataverse.requests)

    sliced = DataverseCampaignFigures(crm, aggregate_limit=120).figures(LEADS)   # 1,100 rows: too many at once

    assert sliced == whole == CampaignFigures(sent=1000, delivered=900, undeliverable=90, repliers=50)
    fetches = [r for r in stack.dataverse.requests[before:] if "fetchXml" in r.query]
    assert len(fetches) == 18          # the refused whole, the replies, 16 slices of about 63 SMS


def test_the_timer_closes_a_campaign_whose_time_passed_and_leaves_a_recent_one(stack):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    sent_campaign(stack, ORDERS, now - timedelta(hours=73))
    sent_campaign(stack, LEADS, now - timedelta(hours=1))
    [timer] = [f for f in registered_functions() if f.get_function_name() == "close_due_campaigns"]

    timer.get_user_function()(TimerRequest(past_due=False))

    old, recent = campaign(stack, ORDERS), campaign(stack, LEADS)
    assert parse_utc(old["smsc_closedon"]) == now - timedelta(hours=1)       # 72 h after its send
    assert (old["smsc_deliveryrate"], old["smsc_replyrate"]) == (70.0, 30.0)
    assert recent["smsc_closedon"] is None and recent["smsc_deliveryrate"] is None
    writes = [r for r in stack.dataverse.requests if r.method == "PATCH"]
    timer.get_user_function()(TimerRequest(past_due=False))                  # nothing more to close
    assert [r for r in stack.dataverse.requests if r.method == "PATCH"] == writes


def test_a_validated_campaign_records_its_send_and_closes_72_hours_later(stack):
    stack.dataverse.update("campaigns", ORDERS, {"smsc_text": "Promo STOP au 30101"})
    services = get_services()
    service = campaign_service(services.crm, services.sms)
    assert service.run(ORDERS, CampaignAction.PREPARE, None).ok
    before = datetime.now(timezone.utc).replace(microsecond=0)
    validated = service.run(ORDERS, CampaignAction.VALIDATE, None)
    from smsc.campaign_parts import release_local_parts
    assert (release_local_parts(services, ORDERS) or validated).status.name == "SENT"   # its parts, if queued
    started = parse_utc(campaign(stack, ORDERS)["actualstart"])
    assert before <= started <= datetime.now(timezone.utc)

    from connector.bootstrap import close_due_campaigns
    assert close_due_campaigns(services.crm, lambda: started + timedelta(hours=71)).closed == []
    assert close_due_campaigns(services.crm, lambda: started + timedelta(hours=72)).closed == [ORDERS]
    row = campaign(stack, ORDERS)
    assert parse_utc(row["smsc_closedon"]) == started + timedelta(hours=72)
    assert (row["smsc_deliveryrate"], row["smsc_replyrate"]) == (0.0, 0.0)    # 3 sent, no report yet


def test_the_configured_duration_is_the_one_used(stack):
    from connector.bootstrap import close_due_campaigns, reset

    [config] = stack.dataverse.rows("smsc_configurations")
    stack.dataverse.update("smsc_configurations", config["smsc_configurationid"], {"smsc_campaignduration": 100})
    reset()                                                        # the configuration is cached a few minutes
    now = datetime.now(timezone.utc)
    sent_campaign(stack, ORDERS, now - timedelta(hours=96))          # past 72 h, not past 100 h
    sent_campaign(stack, LEADS, now - timedelta(hours=101))
    assert close_due_campaigns(get_services().crm).closed == [LEADS]
    assert campaign(stack, ORDERS)["smsc_closedon"] is None

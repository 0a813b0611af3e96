"""Delivery reports end to end on the emulators: POST /api/providers/octopush/delivery through the real
handler, its queue message run by the real queue function, the SMS activity in the Dataverse emulator."""
import json

import azure.functions as func
import pytest

from connector.bootstrap import campaign_service, delivery_service, get_services
from connector.campaigns.model import CampaignAction
from emulators import dataverse_seed as seed
from functions.local_host import invoke, queue_function

SMITH = ("contact", seed.DAVID_SMITH_ID)
SMITH_NUMBER = "+33649819006"
ORDERS_TEXT = "Bonjour Mr [lastname], votre commande a bien été enregistrée. STOP au 30101"


def report_body(ticket, number, status, **more):
    return {"channel": "sms", "message_id": ticket, "number": number, "status": status,
            "delivery_date": "2026-12-02 13:00:00", "meta_data": {}, **more}


def post(stack, body, *, key="default", route="providers/octopush/delivery", headers=None):
    params = {"key": stack.webhook_key} if key == "default" else {"key": key} if key else {}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return invoke("POST", route, body=raw, params=params,
                  headers={"content-type": "application/json", **(headers or {})})


def run_queue(answer):
    """The host's part: the queue message the handler put, given to the queue-triggered function."""
    queue_function("smsc-provider-events")(func.QueueMessage(body=answer.outputs["provider_events"].encode()))


def deliver(stack, ticket, number, status):
    answer = post(stack, report_body(ticket, number, status))
    assert answer.status == 200, answer.body
    run_queue(answer)
    return answer.json()["received"]


def sent_unit_sms(crm, text="Votre colis arrive demain.", **columns):
    activity_id = crm.new_sms(SMITH, text=text, **columns)
    assert crm.webhook(activity_id).json()["outcome"] == "sent"
    return activity_id, crm.activity(activity_id)["smsc_providermessageid"]


def events(stack):
    return stack.dataverse.rows("smsc_providerevents")


def writes(stack):
    return [r for r in stack.dataverse.requests if r.method in ("POST", "PATCH", "DELETE")]


def test_a_delivered_report_makes_the_sms_delivered_and_is_kept_linked_to_it(crm, stack):
    activity_id, ticket = sent_unit_sms(crm)
    answer = post(stack, report_body(ticket, SMITH_NUMBER, "DELIVERED"))
    assert answer.status == 200 and set(answer.json()) == {"received"}
    assert json.loads(answer.outputs["provider_events"]) == {"events": [answer.json()["received"]]}
    assert crm.activity(activity_id)["smsc_status"] == 5                  # answered first, applied by the queue

    run_queue(answer)
    assert crm.activity(activity_id)["smsc_status"] == 6
    [event] = events(stack)
    assert event["_smsc_textmessageid_value"] == activity_id and event["smsc_processedon"]
    assert (event["smsc_kind"], event["smsc_ticket"], event["smsc_providerstatus"]) == (1, ticket, "DELIVERED")
    assert stack.webhook_key not in json.dumps(event)                     # the key is never stored


def test_a_failure_gives_undeliverable_with_the_reason_and_late_reports_never_lower_it(crm, stack):
    activity_id, ticket = sent_unit_sms(crm, **{"ownerid@odata.bind": f"/systemusers({seed.CLAIRE_MARTIN_ID})"})
    deliver(stack, ticket, SMITH_NUMBER, "NOT_DELIVERED")
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 7 and "NOT_DELIVERED" in activity["smsc_error"]
    assert activity["smsc_error"].startswith("SMS non délivré")           # its owner, Claire Martin, reads French

    deliver(stack, ticket, SMITH_NUMBER, "ACK")
    assert crm.activity(activity_id)["smsc_status"] == 7
    deliver(stack, ticket, SMITH_NUMBER, "DELIVERED")                      # the operator's retry got through
    assert crm.activity(activity_id)["smsc_status"] == 6 and crm.activity(activity_id)["smsc_error"] is None
    deliver(stack, ticket, SMITH_NUMBER, "NOT_DELIVERED")                  # late duplicate of the first
    assert crm.activity(activity_id)["smsc_status"] == 6
    assert len(events(stack)) == 4 and all(e["_smsc_textmessageid_value"] == activity_id for e in events(stack))


@pytest.mark.parametrize("key", [None, "", "wrong-key"])
def test_without_the_key_the_answer_is_401_and_nothing_is_written(crm, stack, key):
    activity_id, ticket = sent_unit_sms(crm)
    before = len(writes(stack))
    answer = post(stack, report_body(ticket, SMITH_NUMBER, "DELIVERED"), key=key)
    assert answer.status == 401 and answer.json()["error"]["code"] == "unauthenticated"
    assert "'key' query parameter" in answer.json()["error"]["message"]
    assert len(writes(stack)) == before and events(stack) == [] and not answer.outputs
    assert crm.activity(activity_id)["smsc_status"] == 5


def test_the_key_is_accepted_in_the_header_too(crm, stack):
    _, ticket = sent_unit_sms(crm)
    answer = post(stack, report_body(ticket, SMITH_NUMBER, "DELIVERED"), key=None,
                  headers={"x-smsc-webhook-key": stack.webhook_key})
    assert answer.status == 200 and len(events(stack)) == 1


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", json.dumps({"message_id": "sms_1", "status": "DELIVERED"}),
                                  json.dumps(report_body("sms_1", "0649819006", "DELIVERED")),
                                  json.dumps(report_body("sms_1", SMITH_NUMBER, "DELIVERED", delivery_date="hier"))])
def test_a_malformed_report_is_400_and_nothing_is_written(stack, body):
    before = len(writes(stack))
    answer = post(stack, body if isinstance(body, bytes) else body.encode())
    assert answer.status == 400 and answer.json()["error"]["code"] == "malformed_callback"
    assert len(writes(stack)) == before and events(stack) == [] and not answer.outputs


def test_an_unknown_provider_is_404_naming_it(stack):
    answer = post(stack, report_body("sms_1", SMITH_NUMBER, "DELIVERED"), route="providers/twilio/delivery")
    assert answer.status == 404 and "twilio" in answer.json()["error"]["message"] and events(stack) == []


def test_an_unknown_ticket_is_200_changes_nothing_and_stays_for_support(crm, stack):
    activity_id, _ = sent_unit_sms(crm)
    event_id = deliver(stack, "sms_unknown_ticket", SMITH_NUMBER, "NOT_DELIVERED")     # a number we did send to
    assert crm.activity(activity_id)["smsc_status"] == 5
    [event] = events(stack)
    assert event["smsc_providereventid"] == event_id and event["smsc_processedon"] is None
    assert event["_smsc_textmessageid_value"] is None and json.loads(event["smsc_body"])["status"] == "NOT_DELIVERED"


def test_three_undeliverable_sms_in_a_row_opt_the_number_out(crm, stack):
    for n in range(3):
        _, ticket = sent_unit_sms(crm, text=f"Message {n}")
        deliver(stack, ticket, SMITH_NUMBER, "BAD_DESTINATION")
    [row] = [r for r in stack.dataverse.rows("smsc_optouts") if r["smsc_phonenumber"] == SMITH_NUMBER]
    assert (row["smsc_active"], row["smsc_reason"]) == (True, 2)


class ReportsRightAfterTheSend:
    """The provider, as fast as can be: each send's reports arrive before the campaign writes its activities."""

    def __init__(self, provider, stack, status="DELIVERED"):
        self.provider, self.stack, self.status, self.reported = provider, stack, status, []

    def __getattr__(self, name):
        return getattr(self.provider, name)

    def send(self, request):
        accepted = self.provider.send(request)
        for recipient in request.recipients:
            self.reported.append(deliver(self.stack, accepted.ticket, recipient.phone_number, self.status))
        return accepted


def test_reports_arriving_before_the_campaigns_activities_are_applied_once_they_are_written(stack):
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_text": ORDERS_TEXT})
    services = get_services()
    fast = ReportsRightAfterTheSend(services.sms, stack)
    service = campaign_service(services.crm, fast)
    for action in ("simulate", "prepare"):
        assert service.run(seed.CAMPAIGN_ORDERS_ID, CampaignAction[action.upper()], seed.JOHN_BAKER_ID).ok
    reports_before = []

    original_create = service.activities.activities.create

    def create(*args, **kw):      # what the reports found just before the activities were written
        reports_before.extend(e["smsc_processedon"] for e in events(stack))
        return original_create(*args, **kw)

    service.activities.activities.create = create
    original_record = service.ledger.record_window

    def record_window(*args, **kw):     # the same, when the ledger writes them with the window's tickets
        reports_before.extend(e["smsc_processedon"] for e in events(stack))
        return original_record(*args, **kw)

    service.ledger.record_window = record_window
    assert service.run(seed.CAMPAIGN_ORDERS_ID, CampaignAction.VALIDATE, seed.JOHN_BAKER_ID).ok
    from connector.bootstrap import local_queues
    from connector.campaigns.parts import drain_parts
    drain_parts(local_queues()["smsc-campaign-parts"].take_due, lambda user: service, max_attempts=1)
    assert len(fast.reported) == 3 and reports_before == [None, None, None]     # they waited
    activities = stack.dataverse.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {seed.CAMPAIGN_ORDERS_ID}")
    assert sorted(a["smsc_status"] for a in activities) == [6, 6, 6]
    assert {e["_smsc_textmessageid_value"] for e in events(stack)} == {a["activityid"] for a in activities}


def test_the_sweep_applies_a_report_whose_activity_appeared_later(crm, stack):
    from functions.local_host import registered_functions

    [sweep_timer] = [f.get_user_function() for f in registered_functions()
                     if f.get_function_name() == "apply_waiting_delivery_reports"]
    early = deliver(stack, "sms_later", SMITH_NUMBER, "DELIVERED")
    assert delivery_service(get_services().crm).sweep().outcomes == {}      # nothing to apply it to yet
    activity_id = crm.new_sms(SMITH, text="Written after its report", status=5,
                              smsc_providermessageid="sms_later", smsc_phonenumber=SMITH_NUMBER)
    sweep_timer(None)                                                         # the timer, as the host runs it
    assert crm.activity(activity_id)["smsc_status"] == 6
    [event] = events(stack)
    assert event["smsc_providereventid"] == early and event["_smsc_textmessageid_value"] == activity_id


def test_smsc_serve_answers_the_provider_over_http_and_applies_the_report_in_process(crm, stack):
    import requests

    from smsc.serve import BackgroundServer, FunctionHost

    activity_id, ticket = sent_unit_sms(crm)
    with BackgroundServer(FunctionHost()) as server:
        url = f"{server.url}/api/providers/octopush/delivery"
        answer = requests.post(url, params={"key": stack.webhook_key}, timeout=30,
                               data={"message_id": ticket, "number": SMITH_NUMBER, "status": "DELIVERED"})
        refused = requests.post(url, json=report_body(ticket, SMITH_NUMBER, "NOT_DELIVERED"), timeout=30)
    assert answer.status_code == 200 and "received" in answer.json()        # a form body is read too
    assert refused.status_code == 401
    assert crm.activity(activity_id)["smsc_status"] == 6 and len(events(stack)) == 1


def test_replies_and_opt_outs_are_recorded_and_handed_to_the_inbound_service(crm, stack, monkeypatch):
    from connector import bootstrap

    handed = []

    class Inbound:
        def handle(self, events):
            handed.extend((e.callback.kind.name, e.callback.number, e.callback.text) for e in events)
            return {e.id: None for e in events}

    monkeypatch.setattr(bootstrap, "inbound_service", lambda crm, keyword_workflows=None: Inbound())
    reply = post(stack, {"message_id": "sms_1", "number": SMITH_NUMBER, "text": "Merci !", "sim_card_number": "+33",
                         "reception_date": "2026-12-02 13:00:00"}, route="providers/octopush/inbound")
    stop = post(stack, {"message_id": "sms_1", "number": SMITH_NUMBER, "text": "stop", "stop_date": "2026-12-02 13:01:00"},
                route="providers/octopush/inbound")
    assert reply.status == stop.status == 200
    run_queue(reply)
    run_queue(stop)
    assert handed == [("INBOUND", SMITH_NUMBER, "Merci !"), ("OPT_OUT", SMITH_NUMBER, "stop")]
    assert sorted(e["smsc_kind"] for e in events(stack)) == [2, 3] and all(e["smsc_processedon"] for e in events(stack))
    no_key = post(stack, {"number": SMITH_NUMBER, "text": "STOP"}, route="providers/octopush/inbound", key=None)
    no_text = post(stack, {"number": SMITH_NUMBER}, route="providers/octopush/inbound")
    assert (no_key.status, no_text.status) == (401, 400) and len(events(stack)) == 2


def test_a_report_dataverse_cannot_take_now_is_held_in_the_queue_and_applied_later_never_a_5xx(crm, stack):
    activity_id, ticket = sent_unit_sms(crm)
    stack.dataverse.faults.add(status=503, times=20, path_contains="smsc_providerevents", method="POST")
    answer = post(stack, report_body(ticket, SMITH_NUMBER, "DELIVERED"))
    assert (answer.status, answer.json()) == (202, {"received": "queued"}) and events(stack) == []
    [held] = json.loads(answer.outputs["provider_events"])["callbacks"]
    assert (held["ticket"], held["number"], held["status"]) == (ticket, SMITH_NUMBER, "DELIVERED")

    stack.dataverse.faults.clear()                                        # Dataverse is back
    run_queue(answer)
    assert crm.activity(activity_id)["smsc_status"] == 6
    [event] = events(stack)
    assert event["smsc_processedon"] and event["_smsc_textmessageid_value"] == activity_id

"""Transient CRM failures on writes, end to end on the emulators (issue 17): the Dataverse emulator's fault
switch answers a share of the campaign's `$batch` and note POSTs 502/503 (seeded), the connector repeats
those that are repeatable, and the request log shows each repeat; when the failures last, the campaign
says which request failed and how."""
import pytest

from connector.bootstrap import campaign_service, get_services
from connector.campaigns.model import CampaignAction
from emulators import dataverse_seed as seed
from smsc.campaign_parts import release_local_parts

ORDERS = seed.CAMPAIGN_ORDERS_ID


def run(action: str):
    services = get_services()
    return campaign_service(services.crm, services.sms).run(ORDERS, CampaignAction[action.upper()], seed.JOHN_BAKER_ID)


def activities(stack) -> list[dict]:
    return stack.dataverse.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {ORDERS}")


def test_batches_and_notes_answered_503_or_502_at_a_rate_are_repeated_and_the_campaign_completes(stack):
    stack.dataverse.update("campaigns", ORDERS, {"smsc_text": "Promo STOP au 30101"})
    stack.dataverse.faults.add(503, rate=0.3, seed=3, path_contains="$batch", method="POST")
    stack.dataverse.faults.add(502, rate=0.3, seed=4, path_contains="/annotations", method="POST")

    assert run("prepare").ok
    assert run("validate").ok
    sent = release_local_parts(get_services(), ORDERS)

    assert sent is not None and sent.ok and sent.status.name == "SENT"
    assert sum(len(s["numbers"]) for s in stack.octopush.sends) == 3
    rows = activities(stack)
    assert len(rows) == 3 and len({r["smsc_idempotencykey"] for r in rows}) == 3
    posts = [r for r in stack.dataverse.requests if r.method == "POST" and r.path.endswith(("$batch", "/annotations"))]
    refused = [r for r in posts if r.status in (502, 503)]
    assert refused and all(r.answer_headers.get("Content-Type") == "application/json" for r in refused)
    assert sum(f.hits for f in stack.dataverse.faults.rules) == len(refused)
    # every refused POST was sent again with the same body, and that one went through
    later = {r.body for r in posts if r.status is not None and r.status < 400}
    for failed in refused:
        if failed.path.endswith("/annotations"):
            assert failed.body in later


def test_when_the_batches_keep_failing_the_error_names_the_request_and_the_status(stack):
    stack.dataverse.update("campaigns", ORDERS, {"smsc_text": "Promo STOP au 30101"})
    assert run("prepare").ok
    stack.dataverse.faults.add(503, times=1000, path_contains="$batch", method="POST")
    stack.dataverse.faults.add(503, times=1000, path_contains="CreateMultiple", method="POST")   # the activities

    assert run("validate").ok                     # the part is queued
    failed = release_local_parts(get_services(), ORDERS)

    # The part worker's attempts ran out: the poison step writes why on the campaign, which stays resumable.
    assert failed is not None and not failed.ok and failed.status.name == "SENDING"
    assert "smsc_textmessages/Microsoft.Dynamics.CRM.CreateMultiple answered 503 (after retries)" in failed.summary
    batches = [r for r in stack.dataverse.requests if r.path.endswith(("$batch", "CreateMultiple"))]
    assert batches and len(batches) % 4 == 0 and {r.status for r in batches} == {503}   # 1 + 3 retries each
    # The request was recorded in the ledger (one PATCH) and sent once: the later attempts found its ticket.
    assert len(stack.octopush.sends) == 1
    [entry] = [r for r in stack.dataverse.rows("smsc_sendledgers") if not r["smsc_requestid"].startswith("lease-")]
    assert entry["smsc_state"] == 3 and entry["smsc_ticket"] == stack.octopush.sends[0]["ticket"]


@pytest.fixture(autouse=True)
def _no_leftover_faults(stack):
    yield
    stack.dataverse.faults.clear()

"""Transient CRM failures on writes, end to end on the emulators (issue 17): the Dataverse emulator's fault
switch answers a share of the campaign's `$batch` and note POSTs 502/503 (seeded), the connector repeats
those that are repeatable, and the request log shows each repeat; when the failures last, the campaign
says which request failed and how."""
import pytest

from connector.bootstrap import campaign_service, get_services
from connector.campaigns.model import CampaignAction
from connector.crm.port import CrmError
from emulators import dataverse_seed as seed

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
    sent = run("validate")

    assert sent.ok and sent.status.name == "SENT"
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

    with pytest.raises(CrmError) as failed:
        run("validate")

    # What the campaign worker writes on the campaign when its attempts run out (connector/campaigns).
    assert failed.value.status == 503
    assert "POST $batch answered 503 (after retries)" in str(failed.value)
    batches = [r for r in stack.dataverse.requests if r.path.endswith("$batch")]
    assert len(batches) == 4 and {r.status for r in batches} == {503}      # 1 + the 3 retries of the app's session


@pytest.fixture(autouse=True)
def _no_leftover_faults(stack):
    yield
    stack.dataverse.faults.clear()

"""Validate's fan-out on the emulators: the parts queue, the part workers, the progress columns, the
poison step, the leases in the send ledger (one validate at a time), a deferred campaign cancelled
before its start, the queue triggers and the CLI."""
import json
import threading
from datetime import datetime, timedelta, timezone

import azure.functions as func
import pytest

from connector.bootstrap import campaign_service, get_services, local_queues
from connector.campaigns.model import CampaignAction
from connector.campaigns.parts import drain_parts, release_queued_part
from connector.crm.leases import DataverseLeases
from connector.errors import Conflict
from connector.repositories.leases import Lease, LeaseKey, LeaseState
from emulators import dataverse_seed as seed
from tests.fakes.work_queue import FakeWorkQueue

JOHN = seed.JOHN_BAKER_ID


def service(queue, user=None, **kw):
    services = get_services()
    return campaign_service(services.crm, services.sms, user_id=user, parts_queue=queue, **kw)


def workers(queue, **kw):
    return lambda user: service(queue, user, **kw)


def three_part_campaign(stack, queue, n=40) -> str:
    """A campaign of `n` new contacts, prepared in 3 staged parts (a small attachment limit)."""
    campaign_id = seed.seed_bulk_campaign(stack.dataverse, n)
    stack.dataverse.max_upload = 8192
    assert service(queue).run(campaign_id, CampaignAction.PREPARE, JOHN).ok
    return campaign_id


def progress(stack, campaign_id) -> tuple:
    row = stack.dataverse.get("campaigns", campaign_id)
    return row["smsc_partstotal"], row["smsc_partsdone"], row["smsc_partsfailed"]


def sent_numbers(stack) -> list[str]:
    return [n for send in stack.octopush.sends for n in send["numbers"]]


def activities(stack, campaign_id) -> list[dict]:
    return stack.dataverse.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {campaign_id}")


def test_three_parts_fan_out_released_in_any_order_send_every_recipient_once_and_count_the_progress(stack):
    queue = FakeWorkQueue()
    campaign_id = three_part_campaign(stack, queue)
    queued = service(queue).run(campaign_id, CampaignAction.VALIDATE, JOHN)

    assert queued.ok and queued.summary == "3 of 3 part(s) queued for sending: the progress shows on the campaign."
    assert stack.dataverse.get("campaigns", campaign_id)["smsc_smsstatus"] == 4 and stack.octopush.sends == []
    assert progress(stack, campaign_id) == (3, 0, 0)
    messages = queue.take()
    assert [m["part"] for m in messages] == [1, 2, 3] and {m["userid"] for m in messages} == {JOHN}

    seen = []
    for message in reversed(messages):
        release_queued_part(workers(queue), message)
        seen.append(progress(stack, campaign_id))
    assert seen == [(3, 1, 0), (3, 2, 0), (3, 3, 0)]
    assert len(sent_numbers(stack)) == len(set(sent_numbers(stack))) == 40 and len(activities(stack, campaign_id)) == 40
    row = stack.dataverse.get("campaigns", campaign_id)
    assert row["smsc_smsstatus"] == 5 and row["smsc_lastresult"] == "40 SMS sent."
    callers = {r.headers.get("callerobjectid") for r in stack.dataverse.requests
               if r.method == "POST" and (r.path.endswith("smsc_textmessages/Microsoft.Dynamics.CRM.CreateMultiple")
                                          or r.path.endswith("$batch") and b"smsc_textmessages" in r.body)}
    assert callers == {seed.JOHN_BAKER_AAD}                   # the activities are written as the user

    octopush_before = len(stack.octopush.requests)
    for message in messages:                                  # every message delivered a second time
        assert release_queued_part(workers(queue), message).startswith("part ")
    assert len(stack.octopush.requests) == octopush_before and len(activities(stack, campaign_id)) == 40
    ticket = row["smsc_providerticket"]
    ledger = {r["smsc_requestid"]: r["smsc_state"] for r in stack.dataverse.rows("smsc_sendledgers")}
    leases = {request: state for request, state in ledger.items() if request.startswith("lease-")}
    assert leases == {f"lease-{ticket}-p{n}": 3 for n in range(4)}            # every lease Accepted (done)
    requests = {request: state for request, state in ledger.items() if not request.startswith("lease-")}
    # Each provider request Accepted (3), each window's activities Written (6): a resume skips them all.
    assert set(requests.values()) == {3, 6}
    assert {request.split("-")[-2] for request, state in requests.items() if state == 6} == {"1", "2", "3"}


def test_a_part_that_kept_failing_is_counted_failed_said_on_the_campaign_and_validating_again_resumes(stack):
    queue = FakeWorkQueue()
    campaign_id = three_part_campaign(stack, queue)
    service(queue).run(campaign_id, CampaignAction.VALIDATE, seed.CLAIRE_MARTIN_ID)
    first, second, third = [json.dumps(m) for m in queue.take()]
    release_queued_part(workers(queue), json.loads(first))
    stack.octopush.faults.add(503, times=1000, path_contains="sms-campaign/send")
    outcomes = drain_parts(lambda pending=[second]: [pending.pop()] if pending else [], workers(queue),
                           max_attempts=3)
    stack.octopush.faults.clear()
    release_queued_part(workers(queue), json.loads(third))

    assert [o.split(" (")[0] for o in outcomes] == ["part 2: failed"]
    assert progress(stack, campaign_id) == (3, 2, 1)
    row = stack.dataverse.get("campaigns", campaign_id)
    assert row["smsc_smsstatus"] == 4
    assert "Partie 2 sur 3 en échec après plusieurs tentatives : " in row["smsc_lastresult"]
    assert row["smsc_lastresult"].endswith("Cliquez à nouveau sur Envoyer pour reprendre : ce qui est parti ne "
                                           "repartira pas.")

    resumed = service(queue).run(campaign_id, CampaignAction.VALIDATE, seed.CLAIRE_MARTIN_ID)
    assert resumed.ok and resumed.summary.startswith("1 partie(s) sur 3")
    for message in queue.take():
        release_queued_part(workers(queue), message)
    assert progress(stack, campaign_id) == (3, 3, 0)
    assert len(set(sent_numbers(stack))) == 40 and len(activities(stack, campaign_id)) == 40
    assert stack.dataverse.get("campaigns", campaign_id)["smsc_smsstatus"] == 5


class MeetingLeases(DataverseLeases):
    """Both validates are about to write the campaign's lease before either does: the race at its closest."""

    def __init__(self, crm, barrier):
        super().__init__(crm)
        self.barrier, self.met = barrier, False

    def create(self, lease, **kw):
        if lease.key.part == 0 and not self.met:
            self.met = True
            self.barrier.wait(timeout=20)
        return super().create(lease, **kw)


def test_two_validates_at_once_one_queues_the_parts_and_the_other_says_the_campaign_is_being_sent(stack):
    queue = FakeWorkQueue()
    campaign_id = three_part_campaign(stack, queue)
    barrier, results = threading.Barrier(2), []
    services = get_services()

    def validate():
        leases = MeetingLeases(services.crm, barrier)
        results.append(service(queue, leases=leases).run(campaign_id, CampaignAction.VALIDATE, JOHN))

    threads = [threading.Thread(target=validate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(r.ok for r in results) == [False, True], [r.summary for r in results]
    [refused] = [r for r in results if not r.ok]
    assert refused.summary in ("The campaign is being sent: validating again starts nothing while its parts "
                               "are on their way.", "The campaign changed meanwhile (another click?): try again.")
    assert len(queue.put_messages) == 3                       # once, not twice
    for message in queue.take():
        release_queued_part(workers(queue), message)
    assert len(sent_numbers(stack)) == 40 and len(activities(stack, campaign_id)) == 40


def test_a_validate_while_the_parts_are_on_their_way_says_so_and_does_nothing(stack):
    queue = FakeWorkQueue()
    campaign_id = three_part_campaign(stack, queue)
    assert service(queue).run(campaign_id, CampaignAction.VALIDATE, JOHN).ok
    again = service(queue).run(campaign_id, CampaignAction.VALIDATE, JOHN)

    assert not again.ok and again.summary.startswith("The campaign is being sent")
    assert len(queue.put_messages) == 3 and stack.octopush.sends == []


def test_the_send_ledger_keeps_leases_under_their_etag(stack):
    leases = DataverseLeases(get_services().crm)
    key = LeaseKey(seed.CAMPAIGN_ORDERS_ID, "smsc-test-ticket", 0)
    until = datetime(2026, 12, 2, 16, 0, tzinfo=timezone.utc)
    taken = leases.create(Lease(key, LeaseState.HELD, "validate-a", until, seed.JOHN_BAKER_ID))
    with pytest.raises(Conflict):                                 # the alternate key: one row per lease
        leases.create(Lease(key, LeaseState.HELD, "validate-b", until))

    read = leases.read(key)
    assert (read.owner, read.expires, read.user_id, read.etag) == ("validate-a", until, JOHN, taken.etag)
    moved = leases.replace(read.__class__(**{**read.__dict__, "owner": "validate-c"}))
    with pytest.raises(Conflict):                                 # written from a stale read: refused (412)
        leases.replace(read)
    patches = [r for r in stack.dataverse.requests if r.method == "PATCH" and "smsc_sendledgers" in r.path]
    assert [p.headers.get("if-match") for p in patches] == [taken.etag, taken.etag]
    assert leases.read(key).owner == "validate-c" and moved.etag != taken.etag
    row = stack.dataverse.rows("smsc_sendledgers")[0]
    assert row["smsc_requestid"] == "lease-smsc-test-ticket-p0" and row["smsc_state"] == 2
    assert row["_smsc_campaignid_value"] == seed.CAMPAIGN_ORDERS_ID and row["smsc_part"] == 0


def test_a_deferred_2000_recipient_campaign_cancelled_a_minute_before_its_start_sends_nothing(stack):
    queue = FakeWorkQueue()
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
    campaign_id = seed.seed_bulk_campaign(stack.dataverse, 2000)
    stack.dataverse.update("campaigns", campaign_id, {"actualstart": start.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert service(queue).run(campaign_id, CampaignAction.PREPARE, JOHN).ok
    held = service(queue).run(campaign_id, CampaignAction.VALIDATE, JOHN)
    assert held.ok and "held until the deferred start" in held.summary
    assert len(queue.put_messages) >= 1 and all(timedelta(minutes=55) < delay <= timedelta(hours=1)
                                                for _, delay in queue.put_messages)   # held by the queue

    minute_before = start - timedelta(minutes=1)
    cancelled = service(queue, clock=lambda: minute_before).run(campaign_id, CampaignAction.CANCEL, JOHN)
    assert cancelled.ok and cancelled.status.name == "NOT_TRANSMITTED"

    at_start = start + timedelta(seconds=1)                   # the queue hands the parts over
    outcomes = [release_queued_part(workers(queue, clock=lambda: at_start), m) for m in queue.take()]
    assert outcomes and all("no longer being sent" in o for o in outcomes)
    assert [r for r in stack.octopush.requests if "sms-campaign" in r.path] == []     # Octopush got nothing
    assert activities(stack, campaign_id) == []
    assert stack.dataverse.get("campaigns", campaign_id)["smsc_smsstatus"] == 1


def test_the_queue_triggers_release_a_part_and_report_a_poisoned_one(stack):
    from functions.local_host import queue_function

    queue = FakeWorkQueue()
    campaign_id = three_part_campaign(stack, queue)
    service(queue).run(campaign_id, CampaignAction.VALIDATE, JOHN)
    first, second, third = queue.take()

    queue_function("smsc-campaign-parts")(func.QueueMessage(body=json.dumps(first).encode()))
    queue_function("smsc-campaign-parts-poison")(func.QueueMessage(body=json.dumps(second).encode()))
    queue_function("smsc-campaign-parts")(func.QueueMessage(body=b"not json"))          # dropped, logged

    assert progress(stack, campaign_id) == (3, 1, 1)
    assert "Part 2 of 3 failed after several attempts: no reason recorded." in \
        stack.dataverse.get("campaigns", campaign_id)["smsc_lastresult"]


def test_the_cli_validates_and_releases_the_parts_itself_with_the_campaigns_final_result(stack, capsys):
    from smsc.cli import main

    campaign_id = seed.seed_bulk_campaign(stack.dataverse, 40)
    stack.dataverse.max_upload = 8192
    local_queues().clear()
    assert main(["campaign", "prepare", campaign_id]) == 0
    assert main(["campaign", "validate", campaign_id, "--user", JOHN]) == 0

    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == "validate: 40 SMS sent. (status: sent)"
    assert len(set(sent_numbers(stack))) == 40 and len(activities(stack, campaign_id)) == 40
    assert len(local_queues()["smsc-campaign-parts"]) == 0


def test_the_cli_asked_in_english_says_the_parts_result_in_english_for_a_french_user(stack, capsys):
    from smsc.cli import main

    campaign_id = seed.seed_bulk_campaign(stack.dataverse, 40)
    stack.dataverse.max_upload = 8192            # several parts
    local_queues().clear()
    assert main(["campaign", "prepare", campaign_id, "--lang", "en"]) == 0
    assert main(["campaign", "validate", campaign_id, "--lang", "en"]) == 0       # the app user reads French

    assert capsys.readouterr().out.strip().splitlines()[-1] == "validate: 40 SMS sent. (status: sent)"
    assert stack.dataverse.get("campaigns", campaign_id)["smsc_lastresult"] == "40 SMS sent."

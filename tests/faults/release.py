"""The release engine under faults (issue 17): what a scenario is judged by, read from the emulators, and
the pieces the fault-injection benchmark (tests.benchmarks.release_faults) and its bounded tests
(tests/integration/test_release_faults.py) share.

The invariants: every staged number sent once (no duplicate, none lost), one activity per staged number,
each carrying the ticket Octopush gave its request — or, for a request whose ticket was lost between the
provider's answer and the ledger's write (a kill in that instant: the request is Uncertain, see
connector.campaigns.release), the request id it left in — and no operator re-run.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from connector.activity import SmsStatus
from connector.campaigns.parts import PART_LEASE
from connector.campaigns.release import staged_messages
from connector.errors import SmscError
from connector.repositories.send_ledger import LedgerState

SEND_PATH = "sms-campaign/send"
# A redelivery after a worker died comes once the dead worker's lease has run out (the queue's own
# visibility time-out is shorter): the workers' clock is moved on by this much per kill, not slept.
AFTER_A_KILL = PART_LEASE + timedelta(minutes=1)


@dataclass
class Figures:
    scenario: str
    staged: int = 0             # numbers the preparation staged
    sent: int = 0               # numbers Octopush accepted (sum over its accepted sends)
    activities: int = 0
    no_ticket: int = 0          # activities whose provider reference is no Octopush ticket
    request_ids: int = 0        # of those, carrying their request id (an Uncertain request)
    duplicates: int = 0         # extra sends of a number already sent
    lost: int = 0               # staged numbers never sent
    reruns: int = 0             # operator re-runs needed (validate clicked again, a part left failed)
    send_requests: int = 0      # requests that reached Octopush's send route (answered or not)
    provider_requests: int = 0  # distinct provider requests the ledger holds (one per chunk of a window)
    failed_activities: int = 0  # activities marked failed by a delivery report
    elapsed: float = 0.0
    nothing_expected: bool = False      # a cancelled release: nothing may reach Octopush
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        more = "".join(f"  {name} {value}" for name, value in self.extra.items())
        return (f"{self.scenario:<26} SMS sent {self.sent:>6,}  activities {self.activities:>6,}  "
                f"without ticket {self.no_ticket:>5,} (request id {self.request_ids:,})  "
                f"duplicates {self.duplicates}  lost {self.lost}  operator re-runs {self.reruns}  "
                f"sends {self.send_requests}/{self.provider_requests}  failed {self.failed_activities}"
                f"{more}  {self.elapsed:6.1f} s")

    @property
    def problems(self) -> list[str]:
        """What breaks the invariants (empty: none)."""
        found = []
        if self.nothing_expected and (self.sent or self.send_requests):
            found.append(f"{self.sent} SMS sent after the cancel")
        if self.duplicates:
            found.append(f"{self.duplicates} duplicate(s)")
        if self.lost:
            found.append(f"{self.lost} lost")
        if self.activities != self.staged:
            found.append(f"{self.activities} activities for {self.staged} staged numbers")
        if self.no_ticket != self.request_ids:
            found.append(f"{self.no_ticket - self.request_ids} activities with neither ticket nor request id")
        if self.reruns:
            found.append(f"{self.reruns} operator re-run(s)")
        if "problem" in self.extra:
            found.append(str(self.extra["problem"]))
        return found


def staged_numbers(service, campaign_id: str) -> list[str]:
    """Every number the campaign's current preparation staged (its `resume.xml` parts)."""
    campaign = service.campaigns.get(campaign_id)
    numbers: list[str] = []
    for note_id in service.notes.staged_parts(campaign.id, campaign.ticket):
        numbers += [staged.number for staged in staged_messages(service.notes.content(note_id))]
    return numbers


def measure(stack, service, campaign_id: str, scenario: str, *, started: float, reruns: int = 0,
            **extra: Any) -> Figures:
    """The figures of one campaign's release, read from the emulators (in this process)."""
    staged = staged_numbers(service, campaign_id)
    ticket = service.campaigns.get(campaign_id).ticket or ""
    mine = set(staged)
    sends = [s for s in stack.octopush.sends if str(s["body"].get("request_id", "")).startswith(ticket)]
    counted = Counter(number for send in sends for number in send["numbers"])
    tickets = {send["ticket"] for send in sends}
    rows = stack.dataverse.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {campaign_id}")
    references = [row.get("smsc_providermessageid") or "" for row in rows]
    ledger = stack.dataverse.rows("smsc_sendledgers", filter=f"_smsc_campaignid_value eq {campaign_id}")
    requests = {row["smsc_requestid"] for row in ledger
                if not row["smsc_requestid"].startswith("lease-") and row["smsc_state"] != LedgerState.WRITTEN}
    return Figures(
        scenario, staged=len(staged), sent=sum(counted.values()), activities=len(rows),
        no_ticket=sum(1 for r in references if r not in tickets),
        request_ids=sum(1 for r in references if r not in tickets and r in requests),
        duplicates=sum(n - 1 for n in counted.values() if n > 1), lost=len(mine - set(counted)), reruns=reruns,
        send_requests=sum(1 for r in stack.octopush.requests if r.path.endswith(SEND_PATH)),
        provider_requests=len(requests),
        failed_activities=sum(1 for row in rows if row.get("smsc_status") in (SmsStatus.UNDELIVERABLE,
                                                                              SmsStatus.FAILED)),
        elapsed=time.perf_counter() - started, extra=extra)


class MovingClock:
    """The workers' clock: the wall clock, moved on when a scenario skips time (a dead worker's lease
    running out, the resume timer's next run) instead of sleeping."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def skip(self, span: timedelta) -> None:
        self.offset += span


def deliver_all(queue, release: Callable[[dict], str], *, max_deliveries: int) -> list[str]:
    """A queue host in one process over a FakeWorkQueue: each message released, delivered again while it
    raises (the host's retries), what a release put back (held, in another worker's hands) delivered in
    turn. Bounded."""
    pending, outcomes = queue.take(), []
    for _ in range(max_deliveries):
        if not pending:
            return outcomes
        message = pending.pop(0)
        try:
            outcomes.append(release(message))
        except Exception as error:              # the host logs it and delivers the message again
            outcomes.append(f"failed: {error}")
            pending.append(message)
        pending += queue.take()
    raise AssertionError(f"{len(pending)} part message(s) still undelivered after {max_deliveries} deliveries")


# --- the scenarios that run in one process (the benchmark's and the tests') -----------------------------

def campaign_service_for(queue, clock: Callable[[], datetime] | None = None):
    """user id -> the campaign service acting as them, on the emulators the environment names, with the
    CRM client of the queue and timer functions (which run validate, the parts and the resume timer)."""
    from connector.bootstrap import campaign_service, get_background_services

    services = get_background_services()
    extra = {"clock": clock} if clock is not None else {}
    return lambda user=None: campaign_service(services.crm, services.sms, user_id=user, parts_queue=queue, **extra)


def prepared_campaign(stack, service_for, recipients: int, *, per_part: int | None = None) -> str:
    """A campaign of `recipients` new contacts, prepared (staged parts of about `per_part` numbers)."""
    from connector.campaigns.model import CampaignAction
    from emulators.dataverse_seed import seed_bulk_campaign

    campaign_id = seed_bulk_campaign(stack.dataverse, recipients)
    if per_part:
        stack.dataverse.max_upload = max(8192, per_part * STAGED_BYTES)
    prepared = service_for().run(campaign_id, CampaignAction.PREPARE)
    assert prepared.ok, prepared.summary
    return campaign_id


STAGED_BYTES = 330       # about one staged number in a `resume.xml` part, base64 included


def drain(queue, service_for, *, rounds: int = 50) -> list[str]:
    """The Functions host's part: due messages released, each tried up to MAX_ATTEMPTS times, then poisoned."""
    import json

    from connector.campaigns.parts import drain_parts
    from connector.campaigns.worker import MAX_ATTEMPTS

    return drain_parts(lambda: [json.dumps(m) for m in queue.take()], service_for, max_attempts=MAX_ATTEMPTS,
                       rounds=rounds)


def until_sent(queue, service_for, clock: MovingClock, campaign_id: str, *, rounds: int = 6) -> tuple[int, int]:
    """Parts drained, then the resume timer (`connector.campaigns.resume`, automatic) run after the
    campaign's lease ran out, until the campaign is Sent; an operator re-run (validate again) only when
    that leaves parts failed. Returns (resume runs, operator re-runs)."""
    from connector.campaigns.fan_out import CAMPAIGN_LEASE
    from connector.campaigns.model import CampaignAction, CampaignStatus
    from connector.campaigns.resume import resume_campaigns

    resumes = reruns = 0
    for _ in range(rounds):
        drain(queue, service_for)
        try:
            campaign = service_for().campaigns.get(campaign_id)
        except SmscError:               # the timer's run failed (the CRM still refusing): the next one looks
            clock.skip(CAMPAIGN_LEASE + timedelta(minutes=1))
            resumes += 1
            continue
        if campaign.status == CampaignStatus.SENT:
            break
        if campaign.parts and campaign.parts.failed and campaign.parts.settled:
            reruns += 1                                 # left to the user: a click on Envoyer
            service_for().run(campaign_id, CampaignAction.VALIDATE)
            continue
        clock.skip(CAMPAIGN_LEASE + timedelta(minutes=1))
        try:
            resume_campaigns(service_for())
        except SmscError:               # a timer run the CRM refused: the next one looks again
            pass
        resumes += 1
    return resumes, reruns


def crm_throttled(stack, recipients: int, *, seed: int, throttled: float = 0.30, unavailable: float = 0.05,
                  retry_after: int = 1) -> Figures:
    """Scenario b: the CRM answers `throttled` of its calls 429 (Retry-After `retry_after`) and
    `unavailable` 503, from the preparation on; the campaign must end Sent with no operator re-run."""
    from connector.campaigns.model import CampaignAction
    from emulators.dataverse_seed import seed_bulk_campaign
    from tests.fakes.work_queue import FakeWorkQueue

    started, queue, clock = time.perf_counter(), FakeWorkQueue(), MovingClock()
    service_for = campaign_service_for(queue, clock)
    campaign_id = seed_bulk_campaign(stack.dataverse, recipients)
    stack.dataverse.max_upload = max(8192, recipients // 4 * STAGED_BYTES)
    stack.dataverse.faults.add(429, rate=throttled, seed=seed, retry_after=retry_after)
    # Rules are tried in order: the 503s among what the 429s spared, so that they come to `unavailable`.
    stack.dataverse.faults.add(503, rate=unavailable / (1 - throttled), seed=seed + 1)
    reruns = 0
    for action in (CampaignAction.PREPARE, CampaignAction.VALIDATE):
        for _ in range(5):
            try:
                if service_for().run(campaign_id, action).ok:
                    break
            except SmscError:           # the action's queue message is delivered again: not the user
                continue
            reruns += 1
    resumes, left = until_sent(queue, service_for, clock, campaign_id)
    faults = {rule["status"]: rule["hits"] for rule in stack.dataverse.faults.shown()}
    stack.dataverse.faults.clear()
    status = service_for().campaigns.get(campaign_id).status.name.lower()
    return measure(stack, service_for(), campaign_id, "b. CRM 30% 429 + 5% 503", started=started,
                   reruns=reruns + left, **{"429s": faults.get(429, 0), "503s": faults.get(503, 0),
                                            "resumes": resumes, "status": status})


def provider_failing(stack, recipients: int, *, seed: int, errors: float = 0.2, timeouts: float = 0.15,
                     undelivered: float = 0.1) -> Figures:
    """Scenario c: Octopush answers `errors` of the sends 500 and holds `timeouts` of them past the
    client's time-out (then accepts them), and `undelivered` of what it accepted is reported failed;
    the delivery reports go through the connector's route and queue function."""
    import json

    import azure.functions as func

    from connector.campaigns.model import CampaignAction
    from functions.local_host import invoke, queue_function
    from tests.fakes.work_queue import FakeWorkQueue

    started, queue, clock = time.perf_counter(), FakeWorkQueue(), MovingClock()
    service_for = campaign_service_for(queue, clock)
    campaign_id = prepared_campaign(stack, service_for, recipients, per_part=max(50, recipients // 10))
    stack.octopush.set_callback_urls(callback_url_for_deliveries="http://127.0.0.1:9/delivery")
    stack.octopush.set_outcomes(delivered_share=1 - undelivered, hold=True)
    stack.octopush.faults.add(delay=TIME_OUT_DELAY, rate=timeouts, seed=seed, path_contains=SEND_PATH)
    stack.octopush.faults.add(500, rate=errors / (1 - timeouts), seed=seed + 1, path_contains=SEND_PATH)
    assert service_for().run(campaign_id, CampaignAction.VALIDATE).ok
    resumes, reruns = until_sent(queue, service_for, clock, campaign_id)
    faults = [rule["hits"] for rule in stack.octopush.faults.shown()]
    stack.octopush.faults.clear()

    def report(url: str, body: dict) -> int:
        answer = invoke("POST", "providers/octopush/delivery", body=json.dumps(body).encode(),
                        params={"key": stack.webhook_key}, headers={"content-type": "application/json"})
        if answer.status == 200:
            queue_function("smsc-provider-events")(
                func.QueueMessage(body=answer.outputs["provider_events"].encode()))
        return answer.status

    # The reports all at once (Octopush spreads them over minutes): the CRM's budget of 6,000 requests per
    # 5 minutes is lifted for them, their cost is counted instead.
    stack.dataverse.limits.configure(enabled=False)
    before = len(stack.dataverse.requests)
    reports = stack.octopush.flush_callbacks(report)
    per_report = (len(stack.dataverse.requests) - before) / max(1, len(reports))
    stack.dataverse.limits.configure(enabled=True)
    return measure(stack, service_for(), campaign_id, "c. Octopush 5xx/time-outs", started=started, reruns=reruns,
                   **{"time-outs": faults[0], "500s": faults[1], "reports": len(reports),
                      "CRM req/report": round(per_report, 1), "resumes": resumes})


TIME_OUT_DELAY = 2.0     # seconds Octopush holds a send in scenario c (SMSC_HTTP_TIMEOUT is set below it)


def two_validates(stack, recipients: int) -> Figures:
    """Scenario d: two validates of the same campaign at once (two threads): one queues the parts,
    the other says the campaign is being sent; Octopush gets each provider request once."""
    import threading

    from connector.campaigns.model import CampaignAction
    from tests.fakes.work_queue import FakeWorkQueue

    started, queue, clock = time.perf_counter(), FakeWorkQueue(), MovingClock()
    service_for = campaign_service_for(queue, clock)
    campaign_id = prepared_campaign(stack, service_for, recipients, per_part=max(50, recipients // 5))
    barrier, results = threading.Barrier(2), []

    def validate() -> None:
        service = service_for()
        barrier.wait(timeout=30)
        results.append(service.run(campaign_id, CampaignAction.VALIDATE))

    threads = [threading.Thread(target=validate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    queued = len(queue.put_messages)
    parts = len(service_for().notes.staged_parts(campaign_id, service_for().campaigns.get(campaign_id).ticket))
    resumes, reruns = until_sent(queue, service_for, clock, campaign_id)
    refused = [r.summary for r in results if not r.ok]
    return measure(stack, service_for(), campaign_id, "d. two validates at once", started=started, reruns=reruns,
                   **{"worked": sum(r.ok for r in results), "queued": f"{queued}/{parts} parts",
                      "other said": repr(refused[0][:40]) if refused else None})


def cancel_before(stack, recipients: int) -> Figures:
    """Scenario e: a unit SMS due in a minute and a deferred campaign, both cancelled a minute before
    their time: nothing reaches Octopush, the SMS ends Cancelled, the campaign Not transmitted with no
    activity (the timers and the parts' redeliveries run on past their time, the clock injected)."""
    from connector.bootstrap import get_services, unit_sms_service
    from connector.campaigns.model import CampaignAction, CampaignStatus
    from connector.campaigns.parts import release_queued_part
    from connector.campaigns.resume import resume_campaigns
    from connector.unit_release import release_due_sms
    from emulators.dataverse_seed import CLAIRE_MARTIN_ID, DAVID_SMITH_ID
    from emulators.webhook_bodies import option, remote_execution_context, webhook_headers
    from functions.local_host import invoke
    from tests.fakes.work_queue import FakeWorkQueue

    def event(body: dict, message: str) -> dict:
        headers = webhook_headers(message, "smsc_textmessage", stack.webhook_key)
        return invoke("POST", "dataverse/events", body=body, headers=headers).json()

    started, queue = time.perf_counter(), FakeWorkQueue()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    # Due just past the margin under which a unit SMS leaves at once (connector.unit_sms.SCHEDULE_MARGIN):
    # the cancel below lands about a minute before it.
    due, start = now + timedelta(seconds=75), now + timedelta(minutes=2)
    sms_id = stack.dataverse.insert("smsc_textmessages", {
        "subject": "SMS", "description": "Votre rendez-vous est confirmé.", "smsc_status": 2,
        "scheduledend": due.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({DAVID_SMITH_ID})",
        "smsc_textmessage_activity_parties": [
            {"participationtypemask": 2, "partyid_contact@odata.bind": f"/contacts({DAVID_SMITH_ID})"}]})
    held = event(remote_execution_context("Create", "smsc_textmessage", sms_id, user_id=CLAIRE_MARTIN_ID,
                                          attributes={"smsc_status": option(2)}), "Create")
    assert held["outcome"] == "scheduled", held

    service_for = campaign_service_for(queue)
    campaign_id = prepared_campaign(stack, service_for, recipients, per_part=max(50, recipients // 4))
    stack.dataverse.update("campaigns", campaign_id, {"actualstart": start.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert service_for().run(campaign_id, CampaignAction.VALIDATE).ok          # held: its parts wait
    parts = queue.take()

    # A minute before their time: the user's « Annuler l'envoi » on the SMS, « Annuler » on the campaign.
    stack.dataverse.update("smsc_textmessages", sms_id, {"smsc_status": 9})
    cancelled_sms = event(remote_execution_context("Update", "smsc_textmessage", sms_id, user_id=CLAIRE_MARTIN_ID,
                                                   attributes={"smsc_status": option(9)},
                                                   pre_image={"smsc_status": option(4)}), "Update")
    minute_before = start - timedelta(minutes=1)
    cancelled = campaign_service_for(queue, lambda: minute_before)().run(campaign_id, CampaignAction.CANCEL)

    services = get_services()
    for minute in range(0, 20):                          # the timers run on past the time
        moment = due + timedelta(minutes=minute)
        release_due_sms(unit_sms_service(services.crm, services.sms), moment)
        at = lambda moment=start + timedelta(minutes=minute, seconds=1): moment    # noqa: E731
        for message in parts + queue.take():             # the queue hands the parts over at their time
            release_queued_part(campaign_service_for(queue, at), message)
        parts = []
        resume_campaigns(campaign_service_for(queue, at)())
    campaign = service_for().campaigns.get(campaign_id)
    figures = measure(stack, service_for(), campaign_id, "e. cancel a minute before", started=started,
                      **{"sms": stack.dataverse.get("smsc_textmessages", sms_id)["smsc_status"],
                         "sms cancel": cancelled_sms.get("outcome"), "campaign": campaign.status.name.lower(),
                         "campaign cancel": cancelled.ok, "octopush sends": len(stack.octopush.sends)})
    # Cancelled: nothing was to be sent (the staged numbers are not lost), nor any activity written.
    figures.nothing_expected, figures.lost, figures.staged = True, 0, 0
    if campaign.status != CampaignStatus.NOT_TRANSMITTED:
        figures.extra["problem"] = "the campaign is not Not transmitted"
    elif figures.extra["sms"] != SmsStatus.CANCELLED:
        figures.extra["problem"] = "the unit SMS is not Cancelled"
    return figures

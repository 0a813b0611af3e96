"""The release engine under faults, bounded (issue 17; the full-size runs: tests.benchmarks.release_faults):
part workers (and validate releasing a one-part campaign itself) crashed at seeded points and taken up
again, the CRM throttling and failing at rates, two validates at once, a unit SMS and a deferred
campaign cancelled a minute before their time. Each asserts the invariants of tests.faults.release.Figures: every staged number sent once, none lost, one
activity each with its ticket (or, for a request whose ticket the crash lost, its request id), no operator
re-run. Retry waits are recorded, not slept (tests/conftest.py); skipped time is an injected clock."""
from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from connector.campaigns.model import CampaignAction
from connector.campaigns.parts import release_queued_part
from tests.faults.release import (AFTER_A_KILL, SEND_PATH, MovingClock, campaign_service_for, cancel_before,
                                  crm_throttled, measure, prepared_campaign, two_validates)
from tests.fakes.work_queue import FakeWorkQueue


class Crash(BaseException):
    """The process dies here: no `except Exception` sees it, nothing is given back."""


class CrashPoints:
    """Crashes at the Nth HTTP call (to the CRM or Octopush) of the run, before it leaves or after its
    answer came back (the answer then lost), and after the first send Octopush accepted."""

    def __init__(self, points: list[tuple[int, str]], *, after_first_send: bool):
        self.points, self.after_first_send = dict(points), after_first_send
        self.calls = self.crashed = 0

    @contextmanager
    def armed(self) -> Iterator[None]:
        send = requests.Session.send

        def crashing(session, request, **kw):
            self.calls += 1
            if self.points.get(self.calls) == "before":
                self.crash()
            answer = send(session, request, **kw)
            sent = request.url.endswith(SEND_PATH) and answer.status_code == 200
            if self.points.get(self.calls) == "after" or (sent and self.after_first_send):
                self.after_first_send = self.after_first_send and not sent
                self.crash()
            return answer

        requests.Session.send = crashing        # type: ignore[method-assign]
        try:
            yield
        finally:
            requests.Session.send = send        # type: ignore[method-assign]

    def crash(self) -> None:
        self.crashed += 1
        raise Crash(self.calls)


def test_part_workers_crashed_at_6_points_and_redelivered_send_each_number_once_with_its_ticket(stack):
    rng = random.Random(17)
    queue, clock = FakeWorkQueue(), MovingClock()
    service_for = campaign_service_for(queue, clock)
    campaign_id = prepared_campaign(stack, service_for, 300, per_part=60)
    assert service_for().run(campaign_id, CampaignAction.VALIDATE).ok
    pending = queue.take()
    parts = len(pending)
    crashes = CrashPoints([(n, rng.choice(["before", "after"])) for n in sorted(rng.sample(range(1, 30), 5))],
                          after_first_send=True)

    with crashes.armed():
        for _ in range(100):
            if not pending:
                break
            message = pending.pop(0)
            try:
                release_queued_part(service_for, message)
            except Crash:
                clock.skip(AFTER_A_KILL)        # redelivered once the dead worker's lease ran out
                pending.insert(0, message)
            except Exception:                   # a failure: the queue delivers it again
                pending.append(message)
            pending += queue.take()

    figures = measure(stack, service_for(), campaign_id, "crashed", started=0)
    assert pending == [] and crashes.crashed == 6 and parts >= 4
    assert figures.problems == [], figures.line()
    assert figures.sent == figures.activities == figures.staged == 300
    # A send whose answer a crash lost: its request is Uncertain, and its numbers' activities carry
    # the request id (the provider only says "duplicate" to it); every other activity has its ticket.
    uncertain = [row for row in stack.dataverse.rows("smsc_sendledgers") if row["smsc_state"] == 5]
    assert uncertain and figures.request_ids == sum(row["smsc_recipients"] for row in uncertain) > 0
    assert figures.no_ticket == figures.request_ids
    assert service_for().campaigns.get(campaign_id).status.name == "SENT"


def test_the_crm_answering_30_percent_429_and_5_percent_503_needs_no_operator_re_run(stack, retry_waits):
    figures = crm_throttled(stack, 200, seed=5)

    assert figures.problems == [], figures.line()
    assert figures.sent == figures.activities == 200 and figures.extra["status"] == "sent"
    assert figures.extra["429s"] >= 10 and figures.extra["503s"] >= 1
    assert retry_waits                                  # absorbed by the retries, Retry-After honoured


def test_two_validates_at_once_one_queues_the_parts_and_octopush_gets_each_request_once(stack):
    figures = two_validates(stack, 200)

    assert figures.problems == [], figures.line()
    assert figures.extra["worked"] == 1
    queued, parts = figures.extra["queued"].split()[0].split("/")
    assert queued == parts
    assert figures.send_requests == figures.provider_requests and figures.sent == 200


def test_a_unit_sms_and_a_deferred_campaign_cancelled_a_minute_before_send_nothing(stack):
    figures = cancel_before(stack, 150)

    assert figures.problems == [], figures.line()
    assert (figures.extra["sms"], figures.extra["campaign"]) == (9, "not_transmitted")
    assert figures.sent == figures.send_requests == figures.activities == 0 and figures.extra["octopush sends"] == 0


def test_validate_releasing_its_one_part_crashed_at_every_call_then_resumed_sends_each_number_once(stack):
    """A campaign of one part is released by validate itself (no queue): crashed at each HTTP call of that
    run in turn (before it leaves, or its answer lost), the resume timer (after the dead run's lease) or,
    when the crash came before the campaign was moved to Sending, the user validating again, ends it with
    each number sent once and one activity each."""
    from connector.campaigns.fan_out import CAMPAIGN_LEASE
    from connector.campaigns.model import CampaignStatus
    from tests.faults.release import until_sent

    rng = random.Random(23)
    calls = 0
    for point in range(1, 40):
        queue, clock = FakeWorkQueue(), MovingClock()
        service_for = campaign_service_for(queue, clock)
        campaign_id = prepared_campaign(stack, service_for, 12)
        crashes = CrashPoints([(point, rng.choice(["before", "after"]))], after_first_send=False)
        with crashes.armed():
            try:
                service_for().run(campaign_id, CampaignAction.VALIDATE)
            except Crash:
                pass
        if not crashes.crashed:         # past the run's last call: every point was crashed at
            calls = crashes.calls
            break
        assert queue.take() == []       # validate released it itself
        reruns = 0
        if service_for().campaigns.get(campaign_id).status == CampaignStatus.READY:
            clock.skip(CAMPAIGN_LEASE + AFTER_A_KILL)       # the user clicks again once the dead run's lease ran out
            assert service_for().run(campaign_id, CampaignAction.VALIDATE).ok
            reruns = 1
        until_sent(queue, service_for, clock, campaign_id)
        figures = measure(stack, service_for(), campaign_id, f"crashed at call {point}", started=0)
        assert figures.problems == [] and figures.sent == figures.activities == 12, figures.line()
        assert service_for().campaigns.get(campaign_id).status == CampaignStatus.SENT, point
        assert reruns == 0 or point <= 6, point         # only a crash before the move leaves it to the user
    assert calls >= 10                  # the run's calls were all crashed at

"""A ticket lost by a kill comes back with the delivery reports (issue 17), on the emulators: validate,
releasing its one part itself, is killed right after Octopush accepted a request, before the ledger recorded
its ticket; the part, queued again by the resume timer, sends it again, Octopush answers "duplicate", its activities are written with the request
id. Then Octopush posts its delivery reports to the served function app: every activity of that request
ends with the real ticket and Delivered, its ledger entry Accepted with the ticket, no report left waiting.
Requests of 40 recipients here (500 in production): the same shapes, smaller."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from connector.bootstrap import delivery_service, get_services
from connector.campaigns.model import CampaignAction
from connector.campaigns.fan_out import CAMPAIGN_LEASE
from connector.campaigns.parts import release_queued_part
from connector.campaigns.resume import resume_campaigns
from connector.repositories.send_ledger import LedgerState
from smsc.cli import main
from smsc.serve import BackgroundServer, FunctionHost
from tests.fakes.work_queue import FakeWorkQueue
from tests.faults.release import (SEND_PATH, MovingClock, campaign_service_for, measure,
                                  prepared_campaign)

RECIPIENTS, PER_REQUEST = 100, 40


class Crash(BaseException):
    """The worker process dies here: no `except Exception` sees it."""


@pytest.fixture
def app(stack, capsys):
    """The function app served on loopback, registered at the Octopush emulator as its callbacks."""
    with BackgroundServer(FunctionHost()) as server:
        assert main(["provider", "callbacks", "--url", server.url]) == 0
        capsys.readouterr()
        yield server


@pytest.fixture(autouse=True)
def small_requests(monkeypatch):
    monkeypatch.setattr("connector.campaigns.release.PROVIDER_MAX", PER_REQUEST)


def killed_after_the_first_accepted_send(monkeypatch, release) -> None:
    send = requests.Session.send

    def dying(session, request, **kw):
        answer = send(session, request, **kw)
        if request.url.endswith(SEND_PATH) and answer.status_code == 200:
            raise Crash()
        return answer

    monkeypatch.setattr(requests.Session, "send", dying)
    with pytest.raises(Crash):
        release()
    monkeypatch.setattr(requests.Session, "send", send)


def killed_campaign(stack, monkeypatch):
    """A campaign of one part whose validate (which releases it itself) is killed right after Octopush
    accepted its first request; the reports wait for the flush. Returns the campaign, its services, the
    clock and the parts queue."""
    stack.octopush.set_outcomes(hold=True)
    queue, clock = FakeWorkQueue(), MovingClock()
    service_for = campaign_service_for(queue, clock)
    campaign_id = prepared_campaign(stack, service_for, RECIPIENTS)
    killed_after_the_first_accepted_send(monkeypatch,
                                         lambda: service_for().run(campaign_id, CampaignAction.VALIDATE))
    assert queue.take() == []
    return campaign_id, service_for, clock, queue


def resumed_part(service_for, clock, queue) -> dict:
    """The part's message, as the resume timer queues it once the dead validate's lease ran out."""
    clock.skip(CAMPAIGN_LEASE + timedelta(minutes=1))
    assert resume_campaigns(service_for()).requeued
    [message] = queue.take()
    return message


def uncertain_campaign(stack, monkeypatch) -> tuple[str, object]:
    """A campaign sent with a kill right after Octopush accepted its first request, then redelivered."""
    campaign_id, service_for, clock, queue = killed_campaign(stack, monkeypatch)
    release_queued_part(service_for, resumed_part(service_for, clock, queue))
    assert queue.take() == []
    return campaign_id, service_for


def ledger(stack, campaign_id: str) -> list[dict]:
    rows = stack.dataverse.rows("smsc_sendledgers", filter=f"_smsc_campaignid_value eq {campaign_id}")
    return [r for r in rows if not r["smsc_requestid"].startswith("lease-") and r["smsc_state"] != LedgerState.WRITTEN]


def waiting_reports(stack) -> list[dict]:
    return [e for e in stack.dataverse.rows("smsc_providerevents") if e["smsc_kind"] == 1 and not e.get("smsc_processedon")]


def activities(stack, campaign_id: str) -> list[dict]:
    return stack.dataverse.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {campaign_id}")


def test_the_reports_of_a_request_sent_before_a_kill_give_its_activities_their_ticket(stack, app, monkeypatch):
    campaign_id, service_for = uncertain_campaign(stack, monkeypatch)
    before = measure(stack, service_for(), campaign_id, "killed", started=0)
    [uncertain] = [r for r in ledger(stack, campaign_id) if r["smsc_state"] == LedgerState.UNCERTAIN]
    assert before.problems == [] and before.sent == before.activities == RECIPIENTS
    assert before.no_ticket == before.request_ids == PER_REQUEST          # carrying the request id
    [lost] = [s["ticket"] for s in stack.octopush.sends if s["body"]["request_id"] == uncertain["smsc_requestid"]]

    attempts = stack.octopush.flush_callbacks()                  # Octopush posts its reports to the app

    assert len(attempts) == RECIPIENTS and {a["status"] for a in attempts} == {200}
    after = measure(stack, service_for(), campaign_id, "reported", started=0)
    assert after.problems == [] and after.no_ticket == after.request_ids == 0
    rows = activities(stack, campaign_id)
    assert sum(r["smsc_providermessageid"] == lost for r in rows) == PER_REQUEST
    assert {r["smsc_status"] for r in rows} == {6}                                 # all Delivered
    assert {(r["smsc_state"], bool(r.get("smsc_ticket"))) for r in ledger(stack, campaign_id)} == {(3, True)}
    assert stack.dataverse.get("smsc_sendledgers", uncertain["smsc_sendledgerid"])["smsc_ticket"] == lost
    assert waiting_reports(stack) == []


def test_reports_that_came_before_the_resume_are_adopted_by_the_sweep(stack, app, monkeypatch):
    campaign_id, service_for, clock, queue = killed_campaign(stack, monkeypatch)
    stack.octopush.flush_callbacks()                             # the first request's reports: no activity yet
    assert len(waiting_reports(stack)) == PER_REQUEST
    release_queued_part(service_for, resumed_part(service_for, clock, queue))   # its activities: the request id
    assert len(waiting_reports(stack)) == PER_REQUEST

    applied = delivery_service(get_services().crm).sweep()       # the timer, every 2 minutes

    assert len(applied.outcomes) == PER_REQUEST and applied.waiting == [] and waiting_reports(stack) == []
    stack.octopush.flush_callbacks()                             # the other requests' reports
    assert waiting_reports(stack) == [] and measure(stack, service_for(), campaign_id, "swept", started=0).no_ticket == 0
    assert {r["smsc_status"] for r in activities(stack, campaign_id)} == {6}

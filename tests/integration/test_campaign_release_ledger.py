"""release_part on the emulators with the Dataverse send ledger: a part worker killed at the worst
moments and run again, as the queue redelivers its message; and validate sends what was staged.

Windows of 10 and provider requests of 5 here (1,000 and 500 in production): the same shapes, at a
size the emulator answers quickly on a shared machine."""
from collections import Counter
from datetime import datetime, timezone

import pytest

from connector.bootstrap import campaign_service, get_services, with_waiting_reports
from connector.campaigns.model import CampaignAction
from connector.campaigns.release import release_part
from connector.crm.campaign_activities import DataverseCampaignActivities
from connector.crm.campaigns import DataverseCampaigns
from connector.crm.report_notes import DataverseReportNotes
from connector.crm.send_ledger import DataverseSendLedger
from connector.sms.port import SmsType
from emulators import dataverse_seed as seed
from smsc.campaign_parts import release_local_parts


@pytest.fixture(autouse=True)
def small_windows(monkeypatch):
    monkeypatch.setattr("connector.campaigns.release.PROVIDER_MAX", 5)


class Killed(Exception):
    """The worker process dies here."""


class KillAfterSend:
    """The real provider client; the process dies right after the `kill_after`-th send was accepted."""

    def __init__(self, provider, kill_after: int):
        self.provider, self.kill_after, self.calls = provider, kill_after, 0
        self.name, self.label, self.capabilities = provider.name, provider.label, provider.capabilities

    def send(self, request):
        self.calls += 1
        result = self.provider.send(request)
        if self.calls == self.kill_after:
            raise Killed()
        return result


class KillInWindowWrite:
    """The real ledger; on the `kill_on`-th window write the process dies after its outcomes were
    written (`after="outcomes"`: the activities not), or after the activities too (`after="activities"`:
    the window not marked Written) — the states a `$batch` stopped at its CreateMultiple, or at its
    Written entry, leaves."""

    def __init__(self, ledger, activities, kill_on: int, after: str = "outcomes"):
        self.ledger, self.activities, self.kill_on, self.after, self.calls = ledger, activities, kill_on, after, 0

    def part_entries(self, campaign_id, part):
        return self.ledger.part_entries(campaign_id, part)

    def write(self, entries):
        self.ledger.write(entries)

    def record_window(self, entries, window, written):
        self.calls += 1
        if self.calls != self.kill_on:
            return self.ledger.record_window(entries, window, written)
        self.ledger.write(entries)
        if self.after == "activities":
            self.activities.create(window.campaign, window.messages, sms_type=window.sms_type, sender=window.sender,
                                   sent_at=window.sent_at)
        raise Killed()


def prepared(stack, recipients: int) -> str:
    campaign_id = seed.seed_bulk_campaign(stack.dataverse, recipients)
    stack.octopush.credit = 1000.0
    services = get_services()
    assert campaign_service(services.crm, services.sms, window=10).run(campaign_id, CampaignAction.PREPARE).ok
    return campaign_id


def release(campaign_id: str, *, provider=None, ledger=None, now=None):
    """Every staged part through release_part, as the part workers do."""
    services = get_services()
    crm = services.crm
    campaign = DataverseCampaigns(crm).get(campaign_id)
    notes = DataverseReportNotes(crm)
    activities = with_waiting_reports(DataverseCampaignActivities(crm), crm)
    return [release_part(notes, activities, provider or services.sms, campaign, part_no, note_id,
                         ledger=ledger or DataverseSendLedger(crm), sms_type=SmsType.MARKETING, sender=None,
                         now=now or datetime.now(timezone.utc))
            for part_no, note_id in enumerate(notes.staged_parts(campaign.id, campaign.ticket), start=1)]


def activities(stack, campaign_id: str) -> list[dict]:
    return stack.dataverse.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {campaign_id}")


def sent_numbers(stack) -> Counter:
    return Counter(n for send in stack.octopush.sends for n in send["numbers"])


def traffic(stack, since: int) -> tuple[int, int]:
    """(provider send requests, CRM bulk writes: `$batch` or CreateMultiple) since the given lengths of the logs."""
    octopush, dataverse = since
    sends = sum(1 for r in stack.octopush.requests[octopush:] if r.path.endswith("/sms-campaign/send"))
    batches = sum(1 for r in stack.dataverse.requests[dataverse:]
                  if r.path.endswith(("/$batch", "/Microsoft.Dynamics.CRM.CreateMultiple")))
    return sends, batches


def marks(stack) -> tuple[int, int]:
    return len(stack.octopush.requests), len(stack.dataverse.requests)


def test_killed_right_after_the_provider_accepted_the_resume_sends_nothing_twice(stack):
    campaign_id = prepared(stack, 25)
    with pytest.raises(Killed):                  # window 2's first request accepted, not recorded
        release(campaign_id, provider=KillAfterSend(get_services().sms, 3))
    since = marks(stack)

    [done] = release(campaign_id)

    assert done.messages == 25 and done.uncertain == 1
    assert len(sent_numbers(stack)) == 25 and set(sent_numbers(stack).values()) == {1}
    # asked again: the unrecorded request (duplicate) and window 2's other one, then window 3
    sends, batches = traffic(stack, since)
    # one $batch per window (2 and 3): its outcomes, activities and Written entry; the first run reserved all
    assert sends == 3 and batches == 2
    rows = activities(stack, campaign_id)
    ledger = {r["smsc_requestid"]: r for r in stack.dataverse.rows("smsc_sendledgers")}
    [uncertain] = [r for r in ledger.values() if r["smsc_state"] == 5]
    by_reference = Counter(r["smsc_providermessageid"] for r in rows)
    assert len(rows) == 25 and by_reference[uncertain["smsc_requestid"]] == 5
    tickets = {s["ticket"] for s in stack.octopush.sends}
    assert sum(n for ref, n in by_reference.items() if ref in tickets) == 20
    assert Counter(r["smsc_state"] for r in ledger.values()) == {3: 4, 5: 1, 6: 3}
    assert {r["smsc_ticket"] for r in ledger.values() if r["smsc_state"] == 3} <= tickets


def test_killed_after_the_ledger_recorded_the_ticket_every_activity_gets_it(stack):
    campaign_id = prepared(stack, 25)
    crm = get_services().crm
    with pytest.raises(Killed):                  # window 2 sent and recorded, its activities not written
        release(campaign_id, ledger=KillInWindowWrite(DataverseSendLedger(crm), DataverseCampaignActivities(crm), 2))
    assert len(stack.octopush.sends) == 4 and len(activities(stack, campaign_id)) == 10
    since = marks(stack)

    [done] = release(campaign_id)

    assert done.messages == 25 and done.uncertain == 0
    assert traffic(stack, since) == (1, 2)      # window 3's one request; a $batch per window
    assert set(sent_numbers(stack).values()) == {1} and len(sent_numbers(stack)) == 25
    tickets = {s["ticket"] for s in stack.octopush.sends}
    rows = activities(stack, campaign_id)
    assert len(rows) == 25 and all(r["smsc_providermessageid"] in tickets for r in rows)
    assert {r["smsc_status"] for r in rows} == {5}
    again = marks(stack)
    assert [d.messages for d in release(campaign_id)] == [25]       # redelivered once more: nothing to do
    assert traffic(stack, again) == (0, 0)


def test_killed_after_the_activities_before_the_window_was_marked_written_they_are_not_written_twice(stack):
    campaign_id = prepared(stack, 25)
    crm = get_services().crm
    with pytest.raises(Killed):                  # window 2's activities written, the window not marked Written
        release(campaign_id, ledger=KillInWindowWrite(DataverseSendLedger(crm), DataverseCampaignActivities(crm), 2,
                                                      after="activities"))
    assert len(activities(stack, campaign_id)) == 20
    since = marks(stack)

    [done] = release(campaign_id)

    assert done.messages == 25 and done.uncertain == 0 and done.refused_activities == 0
    # window 2: its $batch stops at the CreateMultiple (the keys are there), then a $batch of the rows one
    # by one (continue-on-error: each already there), then its Written entry (a PATCH); window 3's $batch
    assert traffic(stack, since) == (1, 2 + 1)
    assert set(sent_numbers(stack).values()) == {1} and len(sent_numbers(stack)) == 25
    tickets = {s["ticket"] for s in stack.octopush.sends}
    rows = activities(stack, campaign_id)
    assert len(rows) == 25 and all(r["smsc_providermessageid"] in tickets for r in rows)
    ledger = stack.dataverse.rows("smsc_sendledgers", filter=f"_smsc_campaignid_value eq {campaign_id}")
    assert Counter(r["smsc_state"] for r in ledger if not r["smsc_requestid"].startswith("lease-")) == {3: 5, 6: 3}


def test_a_deferred_start_is_held_by_the_connector_and_nothing_reaches_the_provider(stack):
    campaign_id = prepared(stack, 3)
    start = datetime(2030, 1, 7, 9, 0, tzinfo=timezone.utc)
    stack.dataverse.update("campaigns", campaign_id, {"actualstart": "2030-01-07T09:00:00Z"})
    [done] = release(campaign_id)
    assert done.held_until == start and stack.octopush.sends == [] and activities(stack, campaign_id) == []
    [done] = release(campaign_id, now=start)
    assert done.held_until is None and done.messages == 3
    assert all("send_at" not in s["body"] for s in stack.octopush.sends)


def test_validate_sends_the_sender_the_preparation_staged(stack):
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_text": "Promo STOP au 30101",
                                                                   "smsc_sender": "ShopA"})
    services = get_services()
    service = campaign_service(services.crm, services.sms, window=10)
    assert service.run(seed.CAMPAIGN_ORDERS_ID, CampaignAction.PREPARE).ok
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_sender": "ShopB"})   # after approval

    assert service.run(seed.CAMPAIGN_ORDERS_ID, CampaignAction.VALIDATE).ok
    release_local_parts(services, seed.CAMPAIGN_ORDERS_ID)

    assert {s["body"].get("sender") for s in stack.octopush.sends} == {"ShopA"}
    assert {a["smsc_sender"] for a in activities(stack, seed.CAMPAIGN_ORDERS_ID)} == {"ShopA"}

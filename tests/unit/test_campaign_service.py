"""Every campaign transition and refusal, on in-memory fakes (no HTTP)."""
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest

from connector.campaigns.model import CampaignAction as A
from connector.campaigns.model import CampaignStatus as S
from connector.configuration import Configuration
from connector.campaigns.release import campaign_sms, staged_messages
from connector.errors import SmscError
from connector.repositories.campaigns import PartsProgress
from connector.sms.port import SmsType
from connector.sms.port import ProviderError
from tests.fakes.campaign_world import ENGLISH, FRENCH, NOW, a_campaign, contact, world
from tests.fakes.campaigns import FakeCampaigns
from tests.fakes.optouts import FakeOptOuts
from connector.repositories.optouts import OptOutReason
from connector.repositories.users import UserFormat
from tests.fakes.users import FakeUsers


def csv_lines(w) -> list[str]:
    [note] = w.notes.of("camp-1", ".csv")
    return note["attachment"].content.decode("utf-8-sig").split("\r\n")[1:-1]


def staged(w):
    return [s for note in w.notes.staged_parts("camp-1", w.campaign.ticket) for s in staged_messages(w.notes.content(note))]


def prepared(**kw):
    w = world(**kw)
    assert w.run(A.PREPARE).ok
    return w


# -- simulate ------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", list(S))
def test_simulate_runs_in_every_status_and_changes_none(status):
    w = world(a_campaign(status, action=A.SIMULATE))
    result = w.run(A.SIMULATE)

    assert result.ok and result.status == status and w.campaign.status == status
    assert result.summary == "3 recipients. 0 errors." == w.campaign.last_result
    assert w.campaign.action is None and w.provider.sends == []
    assert [line.split(";")[0] for line in csv_lines(w)] == ["SUCCES"] * 3


def test_simulate_reports_each_refused_recipient_in_the_guides_french():
    people = [contact(1), contact(2, mobile="12345"), contact(3, mobile="+33600000001"), contact(4, mobile="+33611111111")]
    w = world(candidates=people, optouts=FakeOptOuts({"+33611111111"}))
    assert w.run(A.SIMULATE, FRENCH).summary == "4 destinataires. 3 erreurs."
    assert csv_lines(w)[1:] == [
        "ECHEC;Le numéro doit être au format international (+XXXXXX ou 00XXXXX) : 12345.;12345;Bonjour Name2 STOP au 30101",
        "ECHEC;Doublon : ce numéro reçoit déjà le SMS.;+33600000001;Bonjour Name3 STOP au 30101",
        "ECHEC;Le destinataire s'est désinscrit (STOP).;+33611111111;Bonjour Name4 STOP au 30101"]


# -- prepare -------------------------------------------------------------------------------------
def test_prepare_from_not_transmitted_stages_the_messages_and_is_ready():
    w = world(a_campaign(action=A.PREPARE))
    result = w.run(A.PREPARE)

    assert result.ok and result.status == S.READY and result.summary == "3 recipients. 0 errors."
    campaign = w.campaign
    assert campaign.status == S.READY and campaign.ticket.startswith("smsc-camp-1-")
    assert campaign.action is None and w.campaigns.costs["camp-1"] == pytest.approx(3 * 0.045)
    [note] = w.notes.of("camp-1", ".xml")
    assert note["ticket"] == campaign.ticket
    tree = ET.fromstring(note["attachment"].content)
    assert [s.get("statut") for s in tree.iter("sms")] == ["SUCCES"] * 3
    assert w.provider.sends == []                                       # prepared, not sent


def test_prepare_cancel_prepare_within_the_same_second_then_validate_sends_each_recipient_once():
    w = world(a_campaign(action=A.PREPARE))           # the fake clock never moves: one second for all
    assert w.run(A.PREPARE).ok
    first = w.campaign.ticket
    assert w.run(A.CANCEL).ok and w.run(A.PREPARE).ok
    assert w.campaign.ticket != first                  # a new preparation, its own ticket
    assert w.validate().ok and w.campaign.status == S.SENT
    assert sum(len(send.recipients) for send in w.provider.sends) == 3


@pytest.mark.parametrize("status", [S.IN_CONSTRUCTION, S.READY, S.SENDING, S.SENT])
def test_prepare_is_refused_in_any_other_status(status):
    w = world(a_campaign(status, ticket="smsc-old"))
    result = w.run(A.PREPARE)

    assert not result.ok and result.status == status and w.campaign.status == status
    assert result.summary.startswith("Only a campaign not transmitted can be prepared")
    assert w.campaign.last_result == result.summary and w.campaign.ticket == "smsc-old"
    assert w.notes.notes == {}


def test_prepare_with_an_unknown_merge_field_goes_back_to_not_transmitted_naming_it():
    w = world(a_campaign(text="Bonjour {{ nosuch }} STOP au 30101"))
    w.recipients.columns = {"contact": {"contactid", "fullname", "lastname", "mobilephone"}}
    result = w.run(A.PREPARE, FRENCH)

    assert not result.ok and result.status == S.NOT_TRANSMITTED
    assert result.summary == "Le texte de la campagne utilise un champ que la table contact n'a pas : nosuch."
    assert w.campaign.status == S.NOT_TRANSMITTED and w.campaign.ticket is None
    assert w.campaign.last_result == result.summary


def test_prepare_refuses_a_campaign_without_recipient_type_or_text_before_moving_it():
    w = world(a_campaign(recipient_table=None))
    assert w.run(A.PREPARE).summary.startswith("Choose the campaign's recipient type")
    w = world(a_campaign(text="  "))
    assert w.run(A.PREPARE).summary == "Write the campaign's SMS text or choose a published SMS template."
    w = world(a_campaign(text=None, template_id="tpl-draft"))
    assert w.run(A.PREPARE).summary.startswith("The SMS template cannot be used: ")
    assert w.campaigns.versions == 1 and w.campaign.status == S.NOT_TRANSMITTED     # the result only


def test_prepare_uses_a_published_template():
    w = world(a_campaign(text=None, template_id="tpl-1"), templates={"tpl-1": "Hello {{ lastname }} STOP au 30101"})
    assert w.run(A.PREPARE).ok
    tree = ET.fromstring(w.notes.of("camp-1", ".xml")[0]["attachment"].content)
    assert next(tree.iter("sms")).text == "Hello Name1 STOP au 30101"


# -- validate ------------------------------------------------------------------------------------
# Validate releases a campaign of one part itself the first time, else fans the parts out on the queue
# (connector.campaigns.fan_out); `w.validate()` runs the part workers after it when it queued some.
def test_validate_from_ready_sends_what_was_prepared_and_is_sent():
    w = prepared()
    result = w.validate()

    assert result.ok and result.status == S.SENT and result.summary == "3 SMS sent."
    assert w.campaign.status == S.SENT and w.campaign.last_result == "3 SMS sent." and w.campaign.action is None
    assert w.campaign.parts == PartsProgress(1, 1, 0) and w.campaign.start == NOW
    assert w.parts_queue.put_messages == []                    # released by validate itself: no queue hop
    assert w.provider.numbers == ["+33600000001", "+33600000002", "+33600000003"]
    activities = w.activities.of("camp-1")
    assert len(activities) == 3 and {a["status"] for a in activities} == {"sent"}
    assert {a["sms"].idempotency_key for a in activities} == {f"camp:camp-1:contact:c-{n}" for n in (1, 2, 3)}
    assert w.ledger.reads == 0                                 # a lease no one held: no entry to read


class Killed(BaseException):
    """The process dies here (not an error the run can catch)."""


def test_validate_killed_before_its_last_write_is_ended_later_without_sending_twice():
    w = prepared()
    finish = w.campaigns.finish

    def killed_at_the_end(campaign_id, result, **columns):
        if columns.get("status") == S.SENT:
            raise Killed()
        return finish(campaign_id, result, **columns)

    w.campaigns.finish = killed_at_the_end
    with pytest.raises(Killed):
        w.validate()
    w.campaigns.finish = finish
    assert w.campaign.status == S.SENDING and len(w.provider.numbers) == 3

    again = w.validate()                                      # at once: the dead run's lease still holds it
    assert not again.ok and again.summary.startswith("The campaign is being sent")
    w.now += timedelta(minutes=16)                             # its lease ran out: validating again ends it
    assert w.validate().ok and w.campaign.status == S.SENT and w.campaign.last_result == "3 SMS sent."
    assert len(w.provider.numbers) == 3 and len(w.activities.of("camp-1")) == 3


def test_validate_whose_own_release_fails_puts_the_part_on_the_queue_for_the_workers():
    w = prepared()
    w.provider.fail_send = ProviderError("the provider is down", retryable=True)
    result = w.run(A.VALIDATE)

    assert result.ok and result.status == S.SENDING
    assert result.summary == "1 of 1 part(s) queued for sending: the progress shows on the campaign."
    assert len(w.parts_queue.put_messages) == 1 and w.provider.numbers == []
    w.provider.fail_send = None
    w.release_parts()
    assert w.campaign.status == S.SENT and w.provider.numbers == ["+33600000001", "+33600000002", "+33600000003"]


def test_validate_by_a_service_acting_as_the_app_for_a_user_queues_the_part_to_go_as_them():
    w = prepared()
    result = w.service().run("camp-1", A.VALIDATE, ENGLISH)     # the app's repositories, the user's click

    assert result.ok and result.status == S.SENDING and w.provider.sends == []
    [(message, _)] = w.parts_queue.put_messages
    assert message["userid"] == ENGLISH                         # its worker releases it as the user


def test_validate_from_sending_resumes_without_sending_twice():
    w = prepared()
    assert w.validate().ok and w.campaign.status == S.SENT
    w.campaigns.restore("camp-1", S.SENDING)                   # as after a crash before the last write
    w.now += timedelta(minutes=16)
    result = w.validate()                                     # the part queued again; its worker sends nothing

    assert result.ok and w.campaign.status == S.SENT and w.campaign.last_result == "3 SMS sent."
    assert len(w.provider.numbers) == 3 and len(w.activities.of("camp-1")) == 3


@pytest.mark.parametrize("status", [S.NOT_TRANSMITTED, S.IN_CONSTRUCTION])
def test_validate_before_preparing_is_refused(status):
    w = world(a_campaign(status))
    result = w.run(A.VALIDATE)
    assert not result.ok and result.status == status
    assert result.summary == f"Prepare the campaign before sending it (status: {status.name.lower().replace('_', ' ')})."
    assert w.provider.sends == []


def test_validating_a_sent_campaign_says_it_was_sent():
    w = world(a_campaign(S.SENT))
    assert w.run(A.VALIDATE).summary == "The campaign was already sent: it will not go again."
    assert w.run(A.VALIDATE, FRENCH).summary == "La campagne a déjà été envoyée : elle ne repartira pas."


def test_a_provider_failure_during_validate_stays_sending_and_says_so():
    from connector.campaigns.parts import drain_parts

    w = prepared()
    w.provider.fail_send = ProviderError("The Octopush account is out of credit (Octopush code 104)", code=104)
    assert w.run(A.VALIDATE).ok
    # The part fails on each of the host's attempts, then lands on the poison queue.
    queued = [json.dumps(m) for m in w.parts_queue.take()]
    drain_parts(lambda: [queued.pop()] if queued else [], lambda user: w.service(), max_attempts=3)

    assert w.campaign.status == S.SENDING and w.campaign.parts == PartsProgress(1, 0, 1)
    assert w.campaign.last_result.startswith("0 SMS sent. Part 1 of 1 failed after several attempts: "
                                             "The Octopush account is out of credit")
    assert w.campaign.last_result.endswith("Validate again to resume: what went out will not go again.")
    w.provider.fail_send = None
    assert w.validate().ok and len(w.provider.numbers) == 3
    assert w.campaign.status == S.SENT and w.campaign.parts == PartsProgress(1, 1, 0)


def test_validate_with_a_deferred_start_holds_the_parts_in_the_queue_until_then():
    start = NOW + timedelta(days=1)
    w = prepared(campaign=a_campaign(start=start))
    result = w.run(A.VALIDATE)
    assert result.ok and result.summary == ("1 of 1 part(s) held until the deferred start on Nov 24, 2026, 10:00 AM UTC; "
                                            "they can be cancelled until then.")
    [(message, delay)] = w.parts_queue.put_messages
    assert delay == timedelta(days=1) and w.provider.sends == []
    w.now = start + timedelta(seconds=5)                      # the queue hands the message over at the start
    w.release_parts()
    assert {r.send_at for r in w.provider.sends} == {None} and w.campaign.status == S.SENT
    assert {a["status"] for a in w.activities.of("camp-1")} == {"sent"}


def test_a_marketing_campaign_at_night_waits_for_the_end_of_the_quiet_hours():
    w = prepared(config=Configuration(quiet_hours=(20, 8)))
    w.now = NOW.replace(hour=22)                                    # 23:00 in Paris
    assert w.validate().ok and w.provider.sends == []               # held by the connector, not at Octopush
    [(_, delay)] = w.parts_queue.put_messages                       # the part waits in the queue until then
    morning = datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc)     # 08:00 in Paris
    assert w.now + delay == morning and w.campaign.status == S.SENDING
    w.now = morning
    w.release_parts()
    assert {r.send_at for r in w.provider.sends} == {None} and len(w.provider.numbers) == 3
    assert w.campaign.status == S.SENT


# -- cancel --------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [S.READY, S.IN_CONSTRUCTION])
def test_cancel_returns_a_prepared_campaign_to_not_transmitted_with_a_note(status):
    w = world(a_campaign(status, ticket="smsc-1"))
    result = w.run(A.CANCEL)

    assert result.ok and result.status == S.NOT_TRANSMITTED
    assert w.campaign.status == S.NOT_TRANSMITTED and w.campaign.ticket is None and w.campaigns.costs["camp-1"] is None
    # A user without a time zone the connector knows: UTC, said.
    assert result.summary == "Campaign cancelled by John Baker on Nov 23, 2026, 10:00 AM UTC" == w.campaign.last_result
    assert [n["subject"] for n in w.notes.notes.values()] == [result.summary]


def test_the_notes_and_results_show_times_as_the_user_reads_them_in_the_crm():
    """In their time zone and with their formats (usersettings), as Dynamics shows dates: not UTC."""
    w = world(a_campaign(S.READY, ticket="smsc-1"))
    paris = UserFormat("fr_FR", "dd/MM/yyyy", "HH:mm", "Europe/Paris")
    result = w.service(users=FakeUsers({FRENCH: paris}, {FRENCH: "Claire Martin"})).run("camp-1", A.CANCEL, FRENCH)
    assert result.summary == "Campagne annulée par Claire Martin le 23/11/2026 11:00"       # 10:00 UTC


@pytest.mark.parametrize("status", [S.NOT_TRANSMITTED, S.SENDING, S.SENT])
def test_cancel_is_refused_without_a_deferred_start_to_come(status):
    w = world(a_campaign(status, start=NOW - timedelta(hours=1)))
    result = w.run(A.CANCEL)
    assert not result.ok and result.status == status and w.campaign.status == status
    assert "start has not come" in result.summary


def test_cancel_of_a_deferred_campaign_sent_before_the_fan_out_cancels_at_the_provider():
    # Validated by the release engine before the fan-out: its SMS are Scheduled at the provider.
    w = prepared(campaign=a_campaign(start=NOW + timedelta(days=1)))
    w.campaigns.restore("camp-1", S.SENT)
    w.activities.create(w.campaign, [campaign_sms(w.campaign, s, "ticket-1") for s in staged(w)],
                        sms_type=SmsType.MARKETING, sender=None, sent_at=None)
    result = w.run(A.CANCEL)

    assert result.ok and result.status == S.NOT_TRANSMITTED and w.campaign.status == S.NOT_TRANSMITTED
    assert w.provider.cancelled == ["ticket-1"]
    assert {a["status"] for a in w.activities.of("camp-1")} == {"cancelled"}


def test_a_partial_cancel_keeps_what_the_provider_keeps_and_the_campaign_stays_sent():
    w = prepared(campaign=a_campaign(start=NOW + timedelta(days=1)))
    w.campaigns.restore("camp-1", S.SENT)                   # validated before the fan-out
    w.activities.create(w.campaign, [campaign_sms(w.campaign, s, "ticket-1") for s in staged(w)],
                        sms_type=SmsType.MARKETING, sender=None, sent_at=None)
    w.provider.keep = {"ticket-1"}
    result = w.run(A.CANCEL)

    assert not result.ok and result.status == S.SENT and w.campaign.status == S.SENT
    assert result.summary == "0 SMS cancelled; 3 could not be and will go out: too late to cancel"
    assert {a["status"] for a in w.activities.of("camp-1")} == {"scheduled"}


# -- refresh -------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [S.NOT_TRANSMITTED, S.IN_CONSTRUCTION, S.READY])
def test_refresh_before_the_send_tells_the_status_and_changes_nothing_else(status):
    w = world(a_campaign(status, action=A.REFRESH, last_result="before"))
    result = w.run(A.REFRESH, FRENCH)
    assert result.ok and result.status == status and w.campaign.status == status
    assert result.summary[:-1].lower() == {1: "non transmise", 2: "en cours de construction", 3: "prête à l'envoi",
                                           4: "en cours d'envoi", 5: "envoyée"}[int(status)]
    assert w.campaign.last_result == "before" and w.campaign.action is None


# -- two runs at once ----------------------------------------------------------------------------
class RacingCampaigns(FakeCampaigns):
    """Another run moves the campaign right after this one read it."""

    def get(self, campaign_id):
        read = super().get(campaign_id)
        if not hasattr(self, "raced"):
            self.raced = True
            self.finish(campaign_id, "the other run's result")
        return read


@pytest.mark.parametrize("status, action", [(S.NOT_TRANSMITTED, A.PREPARE), (S.READY, A.VALIDATE),
                                            (S.READY, A.CANCEL)])
def test_of_two_runs_one_wins_and_the_other_is_busy(status, action):
    w = world(a_campaign(status, ticket="smsc-1"))
    w.campaigns = RacingCampaigns(a_campaign(status, ticket="smsc-1"))
    result = w.run(action)

    assert not result.ok and result.summary == "The campaign changed meanwhile (another click?): try again."
    assert w.campaign.status == status and w.campaign.last_result == "the other run's result"
    assert w.provider.sends == []


# -- provider failures while preparing -----------------------------------------------------------
def test_a_rejected_api_key_leaves_the_campaign_preparable_with_the_reason_in_the_users_language():
    w = world()
    w.provider.fail_price = ProviderError("Octopush rejected the API login or API key (HTTP 401)", http_status=401)
    english, french = w.run(A.PREPARE), w.run(A.PREPARE, FRENCH)

    assert not english.ok and english.status == S.NOT_TRANSMITTED
    assert "Octopush rejected the API key" in english.summary and "prepare it again" in english.summary
    assert "Octopush a refusé la clé d'API" in french.summary and w.campaign.last_result == french.summary
    assert w.campaign.status == S.NOT_TRANSMITTED and w.campaign.ticket is None
    w.provider.fail_price = None
    assert w.run(A.PREPARE).ok


def test_another_provider_failure_while_preparing_is_shown_as_is():
    w = world()
    w.provider.fail_price = ProviderError("Octopush failed with HTTP 503; try again later", http_status=503)
    result = w.run(A.PREPARE)
    assert result.summary.startswith("The preparation failed: Octopush failed with HTTP 503; try again later.")


class BrokenNotes:
    def __init__(self, notes):
        self.notes = notes

    def __getattr__(self, name):
        return getattr(self.notes, name)

    def create(self, *args, **kw):
        raise SmscError("Dataverse 503: try again")


def test_a_crm_failure_mid_prepare_puts_the_campaign_back_for_the_queue_to_retry():
    w = world(a_campaign(action=A.PREPARE))
    w.notes = BrokenNotes(w.notes)
    with pytest.raises(SmscError):
        w.run(A.PREPARE)
    assert w.campaign.status == S.NOT_TRANSMITTED and w.campaign.ticket is None
    assert w.campaign.action == A.PREPARE                            # the queue's next attempt runs it


def test_validate_reads_the_opt_outs_again_and_leaves_out_a_stop_that_came_after_preparing():
    w = prepared()
    w.optouts.opt_out("+33600000002", OptOutReason.STOP)          # a STOP reply between prepare and validate
    assert w.validate().ok

    assert w.provider.numbers == ["+33600000001", "+33600000003"]
    assert w.campaign.last_result == "2 SMS sent. 1 number(s) opted out since the preparation, not sent: +33600000002."
    assert {a["sms"].number for a in w.activities.of("camp-1")} == {"+33600000001", "+33600000003"}


def test_validate_sends_to_opted_out_numbers_when_the_configuration_keeps_them():
    w = prepared(config=Configuration(exclude_optouts=False))
    w.optouts.opt_out("+33600000002", OptOutReason.STOP)
    assert w.validate().ok and w.campaign.last_result == "3 SMS sent."

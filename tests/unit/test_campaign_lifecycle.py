"""The campaign state machine as a table: which action may start from which status, and why not."""
import pytest

from connector.campaigns.lifecycle import TRANSITIONS, keeps_preparation, starts_from, transition
from connector.campaigns.model import CampaignAction as A
from connector.campaigns.model import CampaignError
from connector.campaigns.model import CampaignStatus as S


def test_each_action_starts_from_the_statuses_of_the_design():
    assert starts_from(A.SIMULATE) == set(S) and starts_from(A.REFRESH) == set(S)
    assert starts_from(A.PREPARE) == {S.NOT_TRANSMITTED}
    assert starts_from(A.VALIDATE) == {S.READY, S.SENDING}
    assert starts_from(A.CANCEL) == {S.READY, S.IN_CONSTRUCTION, S.SENDING, S.SENT}
    assert starts_from(A.TEST) == {S.READY}


@pytest.mark.parametrize("status", [S.NOT_TRANSMITTED, S.IN_CONSTRUCTION, S.SENDING, S.SENT])
def test_a_test_send_needs_a_campaign_ready_to_send_and_changes_no_status(status):
    step = transition(S.READY, A.TEST)
    assert step.running == step.succeeded == step.failed == S.READY
    with pytest.raises(CampaignError) as refused:
        transition(status, A.TEST)
    assert refused.value.key == "test_needs_preparation" and refused.value.say("fr").startswith("Préparez la campagne")


@pytest.mark.parametrize("action", [A.SIMULATE, A.REFRESH])
@pytest.mark.parametrize("status", list(S))
def test_simulate_and_refresh_change_no_status(status, action):
    step = transition(status, action)
    assert step.running == step.succeeded == step.failed == status


def test_prepare_builds_then_is_ready_and_a_failure_goes_back_to_not_transmitted():
    step = transition(S.NOT_TRANSMITTED, A.PREPARE)
    assert (step.running, step.succeeded, step.failed) == (S.IN_CONSTRUCTION, S.READY, S.NOT_TRANSMITTED)


@pytest.mark.parametrize("status", [S.READY, S.SENDING])
def test_validate_sends_and_a_failure_stays_sending_to_resume(status):
    step = transition(status, A.VALIDATE)
    assert (step.running, step.succeeded, step.failed) == (S.SENDING, S.SENT, S.SENDING)


@pytest.mark.parametrize("status", [S.READY, S.IN_CONSTRUCTION])
def test_cancel_of_a_prepared_campaign_returns_to_not_transmitted(status):
    assert transition(status, A.CANCEL).succeeded == S.NOT_TRANSMITTED


@pytest.mark.parametrize("status", [S.SENDING, S.SENT])
def test_cancel_of_a_validated_campaign_only_while_its_start_is_to_come(status):
    step = transition(status, A.CANCEL, deferred=True)
    assert step.only_deferred and step.succeeded == S.NOT_TRANSMITTED and step.failed == status
    with pytest.raises(CampaignError) as refused:
        transition(status, A.CANCEL, deferred=False)
    assert refused.value.key == "not_cancellable"


@pytest.mark.parametrize("status, action, key", [
    *[(s, A.PREPARE, "not_preparable") for s in S if s != S.NOT_TRANSMITTED],
    (S.NOT_TRANSMITTED, A.VALIDATE, "not_ready"),
    (S.IN_CONSTRUCTION, A.VALIDATE, "not_ready"),
    (S.SENT, A.VALIDATE, "already_sent"),
    (S.NOT_TRANSMITTED, A.CANCEL, "not_cancellable"),
])
def test_refusals_name_the_reason(status, action, key):
    assert (status, action) not in TRANSITIONS
    with pytest.raises(CampaignError) as refused:
        transition(status, action)
    assert refused.value.key == key and refused.value.values == {"status": status}


def test_only_a_campaign_back_to_not_transmitted_drops_its_preparation():
    assert [s for s in S if not keeps_preparation(s)] == [S.NOT_TRANSMITTED]


def test_refusals_read_in_the_users_language():
    error = CampaignError("not_preparable", status=S.READY)
    assert error.say("en") == ("Only a campaign not transmitted can be prepared (status: ready to send); "
                               "cancel it first.")
    assert error.say("fr") == ("Seule une campagne non transmise peut être préparée (statut : prête à l'envoi) ; "
                               "annulez-la d'abord.")

"""The queue worker on fakes: a redelivered event does nothing, the last failed attempt is shown."""
import pytest

from connector.campaigns.model import CampaignAction as A
from connector.campaigns.worker import MAX_ATTEMPTS, run_queued_action
from connector.errors import SmscError
from tests.fakes.campaign_world import ENGLISH, a_campaign, world

MESSAGE = {"campaignid": "camp-1", "action": int(A.SIMULATE), "userid": ENGLISH}


def test_the_action_runs_as_the_user_then_a_second_delivery_finds_it_handled():
    w = world(a_campaign(action=A.SIMULATE))
    users = []

    def service_for(user_id):
        users.append(user_id)
        return w.service()

    assert run_queued_action(service_for, MESSAGE).summary == "3 recipients. 0 errors."
    assert ENGLISH in users
    assert run_queued_action(service_for, MESSAGE) == "simulate already handled"
    assert len(w.notes.of("camp-1", ".csv")) == 1


def test_a_failure_is_retried_by_the_queue_then_written_on_its_last_attempt():
    w = world(a_campaign(action=A.SIMULATE))

    def failing(campaign, fields, page_size=5000):
        raise SmscError("Dataverse 503: unavailable")
        yield

    w.recipients.candidates = failing
    with pytest.raises(SmscError):
        run_queued_action(lambda user_id: w.service(), MESSAGE, attempt=1)
    assert w.campaign.action == A.SIMULATE and w.campaign.last_result is None
    with pytest.raises(SmscError):
        run_queued_action(lambda user_id: w.service(), MESSAGE, attempt=MAX_ATTEMPTS)
    assert w.campaign.action is None
    assert w.campaign.last_result == "Failed after 3 attempts: Dataverse 503: unavailable"

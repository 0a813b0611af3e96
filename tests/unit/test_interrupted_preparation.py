"""A preparation killed mid-way leaves its campaign In construction, from which prepare is refused:
the resume timer puts it back to Not transmitted with the reason, once it cannot be running anymore."""
from datetime import timedelta

from connector.campaigns.model import CampaignAction as A
from connector.campaigns.model import CampaignStatus as S
from connector.campaigns.resume import PREPARATION_DEAD, reopen_interrupted_preparations
from tests.fakes.campaign_world import NOW, a_campaign, world


def interrupted(changed_ago: timedelta):
    w = world(campaign=a_campaign(status=S.IN_CONSTRUCTION, ticket="smsc-dead-1"))
    w.campaigns.changed["camp-1"] = NOW - changed_ago
    return w


def test_a_preparation_dead_for_longer_than_a_function_may_run_is_reopened_and_can_be_prepared_again():
    w = interrupted(PREPARATION_DEAD + timedelta(minutes=1))
    assert not w.run(A.PREPARE).ok                     # refused while it looks In construction

    resumed = reopen_interrupted_preparations(w.service())

    assert resumed.reopened == ["camp-1"]
    assert w.campaign.status == S.NOT_TRANSMITTED and w.campaign.ticket is None
    # Written as the app (no user clicked): in the organisation's language, French here.
    assert w.campaign.last_result.startswith("La préparation a été interrompue avant sa fin (rien n'a été envoyé)")
    prepared = w.run(A.PREPARE)
    assert prepared.ok and w.campaign.status == S.READY and w.campaign.ticket != "smsc-dead-1"


def test_a_preparation_that_may_still_be_running_is_left_alone():
    w = interrupted(timedelta(minutes=5))
    assert reopen_interrupted_preparations(w.service()).reopened == []
    assert w.campaign.status == S.IN_CONSTRUCTION and w.campaign.ticket == "smsc-dead-1"

"""Campaign closing, rates and Refresh on in-memory fakes with an injected clock: when a campaign
closes, the rates' arithmetic (zero sent included), the line the user reads, the timer's job."""
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest

from connector.campaigns.close_due import close_due_campaigns
from connector.campaigns.closing import campaign_closed, closed_at, closes_at, is_closed
from connector.campaigns.figures import figures_line, percent, rates
from connector.campaigns.model import CampaignAction as A
from connector.campaigns.model import CampaignStatus as S
from connector.configuration import Configuration
from connector.crm.campaign_figures import DataverseCampaignFigures, figures_from_groups
from connector.crm.port import CrmError
from connector.errors import SmscError
from connector.repositories.campaign_figures import CampaignFigures, CampaignRates
from tests.fakes.campaign_figures import FakeCampaignFigures
from tests.fakes.campaign_world import ENGLISH, FRENCH, NOW, a_campaign, world
from tests.fakes.campaigns import FakeCampaigns

SENT_ON = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
FIGURES = CampaignFigures(sent=120, delivered=112, undeliverable=5, repliers=8)


# -- the closing rule --------------------------------------------------------------------------
def test_a_campaign_closes_its_duration_after_its_send():
    assert closes_at(SENT_ON, 72) == datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
    assert not is_closed(None, SENT_ON, 72, SENT_ON + timedelta(hours=71, minutes=59, seconds=59))
    assert is_closed(None, SENT_ON, 72, SENT_ON + timedelta(hours=72))
    assert not is_closed(None, SENT_ON, 96, SENT_ON + timedelta(hours=72))       # a longer configured duration


def test_a_closed_on_date_closes_it_and_an_unsent_campaign_is_never_closed():
    assert is_closed(SENT_ON + timedelta(hours=1), SENT_ON, 72, SENT_ON + timedelta(hours=2))
    assert not is_closed(None, None, 72, SENT_ON + timedelta(days=365))


def test_the_campaigns_send_is_its_start_once_sent():
    sent = a_campaign(S.SENT, start=SENT_ON)
    assert campaign_closed(sent, 72, SENT_ON + timedelta(hours=73))
    assert closed_at(sent, 72, SENT_ON + timedelta(hours=73)) == closes_at(SENT_ON, 72)
    assert closed_at(sent, 72, SENT_ON + timedelta(hours=1)) is None
    deferred_not_sent = a_campaign(S.READY, start=SENT_ON)
    assert not campaign_closed(deferred_not_sent, 72, SENT_ON + timedelta(days=10))


# -- rates ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("part, whole, expected", [
    (112, 120, 93.3), (8, 120, 6.7), (1, 3, 33.3), (2, 3, 66.7), (1, 8, 12.5), (1, 16, 6.3),   # half up
    (0, 5, 0.0), (5, 5, 100.0), (0, 0, None), (3, 0, None)])
def test_percent_with_one_decimal_and_none_when_nothing_was_sent(part, whole, expected):
    assert percent(part, whole) == expected


def test_rates_of_the_figures():
    assert rates(FIGURES) == CampaignRates(delivery=93.3, reply=6.7)
    assert rates(CampaignFigures()) == CampaignRates(delivery=None, reply=None)


def test_the_line_in_the_users_language():
    assert figures_line("fr", FIGURES) == "120 SMS envoyés, 112 délivrés (93,3 %), 8 réponses (6,7 %)."
    assert figures_line("en", FIGURES) == "120 SMS sent, 112 delivered (93.3%), 8 responses (6.7%)."
    assert figures_line("fr", CampaignFigures()) == "0 SMS envoyé."
    one = CampaignFigures(sent=1, delivered=1, repliers=1)
    assert figures_line("fr", one) == "1 SMS envoyé, 1 délivré (100,0 %), 1 réponse (100,0 %)."
    assert figures_line("en", one) == "1 SMS sent, 1 delivered (100.0%), 1 response (100.0%)."
    none_back = CampaignFigures(sent=2)
    assert figures_line("fr", none_back) == "2 SMS envoyés, 0 délivré (0,0 %), 0 réponse (0,0 %)."
    assert figures_line("en", none_back) == "2 SMS sent, 0 delivered (0.0%), 0 responses (0.0%)."


def test_aggregate_groups_become_figures():
    groups = [{"status": 5, "direction": 1, "count": 3, "numbers": 3},
              {"status": 6, "direction": 1, "count": 112, "numbers": 110},
              {"status": 7, "direction": 1, "count": 5, "numbers": 5},
              {"status": 10, "direction": 2, "count": 11, "numbers": 8}]
    assert figures_from_groups(groups) == CampaignFigures(sent=120, delivered=112, undeliverable=5, repliers=8)
    assert figures_from_groups([]) == CampaignFigures()


# -- refresh ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [S.SENDING, S.SENT])
def test_refresh_of_a_sent_campaign_writes_its_figures_and_keeps_its_status(status):
    w = world(a_campaign(status, action=A.REFRESH, start=NOW - timedelta(hours=1), last_result="before"))
    w.figures = FakeCampaignFigures({"camp-1": FIGURES})
    result = w.run(A.REFRESH, FRENCH)

    assert result.ok and result.status == status and w.campaign.status == status
    assert result.summary == "120 SMS envoyés, 112 délivrés (93,3 %), 8 réponses (6,7 %)."
    assert w.campaign.last_result == result.summary and w.campaign.action is None
    assert w.campaigns.rates["camp-1"] == CampaignRates(93.3, 6.7)
    assert w.campaign.closed_on is None                                  # 1 hour after its send: open
    assert w.run(A.REFRESH, ENGLISH).summary == "120 SMS sent, 112 delivered (93.3%), 8 responses (6.7%)."


def test_refresh_with_nothing_sent_yet_says_so_and_clears_the_rates():
    w = world(a_campaign(S.SENDING, action=A.REFRESH))
    result = w.run(A.REFRESH)
    assert result.summary == "0 SMS sent." and w.campaigns.rates["camp-1"] == CampaignRates(None, None)


def test_refresh_after_the_duration_closes_the_campaign_the_timer_has_not_closed_yet():
    w = world(a_campaign(S.SENT, action=A.REFRESH, start=NOW - timedelta(hours=80)),
              config=Configuration(campaign_duration_hours=72))
    w.figures = FakeCampaignFigures({"camp-1": FIGURES})
    result = w.run(A.REFRESH)
    closed = NOW - timedelta(hours=8)
    assert w.campaign.closed_on == closed
    assert result.summary.endswith("Campaign closed on Nov 23, 2026, 2:00 AM UTC.")
    again = w.run(A.REFRESH)                       # already closed: its date stays what it was
    assert w.campaign.closed_on == closed and again.summary == result.summary


def test_validate_records_the_send_time_and_keeps_a_deferred_start():
    w = world()
    assert w.run(A.PREPARE).ok and w.validate().ok
    assert w.campaign.start == NOW
    later = NOW + timedelta(days=1)
    deferred = world(a_campaign(start=later))
    assert deferred.run(A.PREPARE).ok and deferred.run(A.VALIDATE).ok
    deferred.now = later                                       # its parts are released at its start
    deferred.release_parts()
    assert deferred.campaign.status == S.SENT and deferred.campaign.start == later


# -- the timer's job -------------------------------------------------------------------------------
def test_the_timer_closes_what_is_due_and_leaves_the_rest():
    old = a_campaign(S.SENT, id="old", start=NOW - timedelta(hours=73))
    recent = a_campaign(S.SENT, id="recent", start=NOW - timedelta(hours=1))
    closed = a_campaign(S.SENT, id="closed", start=NOW - timedelta(days=9), closed_on=NOW - timedelta(days=6))
    ready = a_campaign(S.READY, id="ready", start=NOW - timedelta(days=9))
    campaigns = FakeCampaigns(old, recent, closed, ready)
    figures = FakeCampaignFigures({"old": FIGURES})

    done = close_due_campaigns(campaigns, figures, duration_hours=72, now=NOW)

    assert done.closed == ["old"] and figures.reads == ["old"]
    assert campaigns.get("old").closed_on == NOW - timedelta(hours=1)          # when it closed, not now
    assert campaigns.rates == {"old": CampaignRates(93.3, 6.7)}
    assert campaigns.get("recent").closed_on is None and campaigns.get("ready").closed_on is None
    assert close_due_campaigns(campaigns, figures, duration_hours=72, now=NOW).closed == []    # done once


def test_the_timer_is_bounded_and_one_failure_does_not_stop_the_others():
    campaigns = FakeCampaigns(*[a_campaign(S.SENT, id=f"c{n}", start=NOW - timedelta(days=5, hours=n))
                                for n in range(5)])

    class Failing(FakeCampaignFigures):
        def figures(self, campaign_id):
            if campaign_id == "c4":
                raise SmscError("AggregateQueryRecordLimit exceeded")
            return super().figures(campaign_id)

    done = close_due_campaigns(campaigns, Failing(), duration_hours=72, now=NOW, limit=3)
    assert done.failed == ["c4"] and done.closed == ["c3", "c2"]               # oldest first, three at most
    assert close_due_campaigns(campaigns, FakeCampaignFigures(), duration_hours=72, now=NOW).closed == \
        ["c4", "c1", "c0"]


# -- slices beyond Dataverse's aggregate limit -------------------------------------------------------
class SlicingCrm:
    """Refuses an aggregate over too many rows as Dataverse does; slices shorter than `digits` are too big."""

    def __init__(self, digits: int, code: str = "0x8004E023"):
        self.digits, self.code, self.fetches = digits, code, []

    def fetch_xml(self, entity_set, fetch_xml, *, page_size=5000):
        self.fetches.append(fetch_xml)
        conditions = {c.get("attribute"): c for c in ET.fromstring(fetch_xml).iter("condition")}
        statuses = [v.text for v in conditions["smsc_status"]]
        if statuses == ["10"]:
            return iter([{"status": 10, "direction": 2, "count": 4, "numbers": 3}])
        like = conditions.get("smsc_idempotencykey")
        digits = like.get("value").rsplit(":", 1)[1].rstrip("%") if like is not None else ""
        if len(digits) < self.digits:
            raise CrmError(400, self.code, "AggregateQueryRecordLimit exceeded. Cannot perform this operation.")
        return iter([{"status": 6, "direction": 1, "count": 1, "numbers": 1}])


def test_a_slice_still_too_large_is_split_again():
    crm = SlicingCrm(digits=2)
    figures = DataverseCampaignFigures(crm).figures("camp-1")
    assert figures == CampaignFigures(sent=256, delivered=256, repliers=3)
    assert len(crm.fetches) == 1 + 1 + 16 + 256             # whole, replies, 16 refused, 256 slices


def test_other_errors_and_endless_slicing_are_raised():
    with pytest.raises(CrmError):
        DataverseCampaignFigures(SlicingCrm(digits=1, code="0x80040216")).figures("camp-1")
    with pytest.raises(CrmError):                            # 3 digits at most: 4,096 slices
        DataverseCampaignFigures(SlicingCrm(digits=4)).figures("camp-1")

"""Campaign cost per recipient's country (connector.pricing) and the CRM's refusal of the acting user."""
import pytest

from connector.campaigns.model import CampaignAction, CampaignStatus
from connector.errors import Forbidden
from connector.sms.port import ProviderError
from tests.fakes.campaign_world import ENGLISH, FRENCH, FakeProvider, contact, world
from tests.fakes.campaigns import FakeCampaigns
from tests.fakes.wallet_provider import WalletProvider


class WalletCampaignProvider(FakeProvider, WalletProvider):
    """The campaign fake provider with an Octopush-like wallet (its prices per country)."""

    def __init__(self):
        FakeProvider.__init__(self)
        WalletProvider.__init__(self)

    balance = WalletProvider.balance                # type: ignore[assignment]
    sms_left = WalletProvider.sms_left              # type: ignore[assignment]


def test_prepare_prices_each_recipient_by_its_country_and_sums_them():
    people = [contact(1, "+33600000001"), contact(2, "+32470000002"), contact(3, "+32470000003")]
    w = world(candidates=people, provider=WalletCampaignProvider())
    result = w.run(CampaignAction.PREPARE)
    assert result.ok and result.tally.valid == 3
    assert w.campaigns.costs["camp-1"] == pytest.approx(0.045 + 2 * 0.079)


def test_a_wallet_that_cannot_be_read_leaves_the_campaign_as_it_was():
    provider = WalletCampaignProvider()
    provider.failure = ProviderError("Octopush did not answer", retryable=True)
    w = world(provider=provider)
    result = w.run(CampaignAction.PREPARE)
    assert not result.ok and w.campaign.status == CampaignStatus.NOT_TRANSMITTED


class RefusingCampaigns(FakeCampaigns):
    """Campaign writes as a user whose roles do not grant prvWriteCampaign."""

    def move(self, campaign, status, **columns):
        raise Forbidden("Principal user is missing prvWriteCampaign privilege")

    def finish(self, campaign_id, result, **columns):
        raise Forbidden("Principal user is missing prvWriteCampaign privilege")


def test_a_user_the_crm_refuses_is_told_on_the_campaign_in_their_language_by_the_app():
    w = world()
    app = w.campaigns
    as_user = RefusingCampaigns(*app.rows.values())
    service = w.service(app_campaigns=app)
    service.campaigns = as_user
    result = service.run("camp-1", CampaignAction.PREPARE, FRENCH)
    assert not result.ok and result.status == CampaignStatus.NOT_TRANSMITTED
    assert result.summary.startswith("Dataverse a refusé l'action sur la campagne") and "prvWriteCampaign" in result.summary
    assert app.rows["camp-1"].last_result == result.summary
    assert w.provider.sends == []

    english = service.run("camp-1", CampaignAction.SIMULATE, ENGLISH)
    assert english.summary.startswith("Dataverse refused the campaign action")

"""A send's « Texte économique » (smsc_cheapertext: 1 Oui, 2 Non, empty) read by the adapters, and the
campaign's choice in the context its checks run with."""
import pytest

from connector.campaigns.context import build_context
from connector.campaigns.model import Campaign, CampaignStatus
from connector.configuration import Configuration
from connector.crm.campaigns import campaign_from_row
from connector.crm.choices import cheaper_choice
from connector.crm.sms_activities import activity_from_row
from connector.repositories.users import UserFormat


@pytest.mark.parametrize("value, choice", [(1, True), (2, False), (None, None), (7, None), ("1", None), (True, True)])
def test_the_column_reads_yes_no_or_the_configurations(value, choice):
    assert cheaper_choice(value) is choice


def test_the_sms_and_the_campaign_rows_carry_it():
    assert activity_from_row({"activityid": "a", "smsc_cheapertext": 1}).cheaper_text is True
    assert activity_from_row({"activityid": "a"}).cheaper_text is None
    assert campaign_from_row({"campaignid": "c", "smsc_cheapertext": 2}).cheaper_text is False
    assert campaign_from_row({"campaignid": "c"}).cheaper_text is None


def campaign(cheaper: bool | None) -> Campaign:
    return Campaign("c", "Promo", "*", "contact", "Promo", None, 1, None, CampaignStatus.NOT_TRANSMITTED, None, None,
                    cheaper_text=cheaper)


@pytest.mark.parametrize("configured, chosen, used", [
    (False, True, True), (True, False, False), (True, None, True), (False, None, False)])
def test_the_campaigns_choice_is_the_one_its_actions_use(configured, chosen, used):
    ctx = build_context(campaign(chosen), Configuration(cheaper_text=configured), UserFormat())
    assert ctx.config.cheaper_text is used

"""The low-credit alert: a warning below the threshold, the admins told once per crossing."""
import pytest

from connector.campaigns.model import CampaignAction
from connector.configuration import Configuration
from connector.low_credit import check_low_credit, forget_credit_checks, low_credit_warning
from connector.pricing import Pricing
from connector.repositories.users import UserFormat
from connector.sms.port import ProviderError, SendResult
from connector.unit_sms import UnitSmsService
from tests.fakes.campaign_world import world
from tests.fakes.low_credit_alerts import FakeLowCreditAlerts
from tests.fakes.sending import fake_sending
from tests.fakes.sms_activities import FakeSmsActivities
from tests.fakes.users import FakeUsers
from tests.fakes.wallet_provider import WalletProvider
from tests.unit.test_campaign_cost_and_refusals import WalletCampaignProvider
from tests.unit.test_unit_sms_service import RECIPIENTS, requested

CONFIG = Configuration(low_credit_threshold=100)            # SMS to France
USERS = FakeUsers({"admin-fr": UserFormat("fr_FR"), "admin-en": UserFormat("en_US")})


def pricing(euros: float) -> Pricing:
    return Pricing(WalletProvider(euros=euros), "FR")


def test_below_the_threshold_every_preview_and_send_is_warned():
    assert low_credit_warning(CONFIG, pricing(4.0), "fr") == (
        "Crédit SMS bas : il reste 88 SMS (FR), 4.00 EUR, sous le seuil d'alerte de 100 SMS. "
        "Pensez à réapprovisionner le crédit.")
    assert low_credit_warning(CONFIG, pricing(4.5), "en") is None            # 100 SMS: at the threshold
    assert low_credit_warning(Configuration(), pricing(0.1), "en") is None    # no threshold, no alert


def test_a_provider_failure_does_not_hold_up_the_send():
    failing = WalletProvider()
    failing.failure = ProviderError("down", retryable=True)
    assert low_credit_warning(CONFIG, Pricing(failing, "FR"), "en") is None


def test_the_admins_are_told_once_per_crossing_each_in_their_language():
    alerts = FakeLowCreditAlerts(["admin-fr", "admin-en"])
    first = check_low_credit(CONFIG, pricing(4.0), alerts, USERS)
    assert first.outcome == "raised" and first.told == ("admin-fr", "admin-en")
    assert [(user, title) for user, title, _ in alerts.sent] == [("admin-fr", "Crédit SMS bas"),
                                                                 ("admin-en", "Low SMS credit")]
    assert "88 SMS" in alerts.sent[1][2] and "88 SMS" in alerts.remembered

    again = check_low_credit(CONFIG, pricing(3.0), alerts, USERS)
    assert again.outcome == "standing" and len(alerts.sent) == 2             # not every run

    back = check_low_credit(CONFIG, pricing(50.0), alerts, USERS)
    assert back.outcome == "cleared" and alerts.remembered is None

    check_low_credit(CONFIG, pricing(50.0), alerts, USERS)
    assert len(alerts.sent) == 2
    crossed_again = check_low_credit(CONFIG, pricing(2.0), alerts, USERS)
    assert crossed_again.outcome == "raised" and len(alerts.sent) == 4


def test_without_a_threshold_nothing_is_read():
    provider = WalletProvider()
    assert check_low_credit(Configuration(), Pricing(provider, "FR"), FakeLowCreditAlerts(["a"]), USERS).outcome == "off"
    assert provider.reads == []



@pytest.fixture(autouse=True)
def fresh_credit_checks():
    forget_credit_checks()
    yield
    forget_credit_checks()


class SendingWallet(WalletProvider):
    """A wallet that also sends (unit SMS)."""

    def send(self, request):
        return SendResult("sms_1", len(request.recipients), 0.045)


def test_a_unit_send_below_the_threshold_carries_the_warning_on_its_activity():
    provider = SendingWallet(euros=4.0)
    activities = FakeSmsActivities(requested())
    sending = fake_sending(Configuration(low_credit_threshold=100), users={"u": UserFormat("fr_FR")},
                           recipients=RECIPIENTS)
    result = UnitSmsService(provider, activities, sending).send("sms-1", "u")
    assert result.outcome == "sent" and result.detail.startswith("Crédit SMS bas : il reste 88 SMS")
    assert activities.get("sms-1").error == result.detail          # written with the send, where the user sees it
    reads = len(provider.reads)
    activities.rows["sms-1"] = requested()
    UnitSmsService(provider, activities, sending).send("sms-1", "u")
    assert len(provider.reads) == reads                            # the credit is read at most every 5 minutes


def test_a_campaign_below_the_threshold_says_so_in_its_summary():
    provider = WalletCampaignProvider()
    provider.euros = 4.0
    w = world(config=Configuration(low_credit_threshold=100), provider=provider)
    prepared = w.run(CampaignAction.PREPARE)
    assert prepared.summary == ("3 recipients. 0 errors. Low SMS credit: 88 SMS left (FR), 4.00 EUR, below the "
                                "alert threshold of 100 SMS. Top up the credit.")

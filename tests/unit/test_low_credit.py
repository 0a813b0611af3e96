"""The low-credit alert: a warning below the threshold, the admins told once per crossing."""
from connector.configuration import Configuration
from connector.low_credit import check_low_credit, low_credit_warning
from connector.pricing import Pricing
from connector.repositories.users import UserFormat
from connector.sms.port import ProviderError
from tests.fakes.low_credit_alerts import FakeLowCreditAlerts
from tests.fakes.users import FakeUsers
from tests.fakes.wallet_provider import WalletProvider

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

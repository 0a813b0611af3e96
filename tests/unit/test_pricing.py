"""Cost per destination country and the credit left (connector.pricing)."""
import pytest

from connector.sms.port import Unsupported
from connector.sms.smsmode import capabilities as smsmode_capabilities
from connector.pricing import DEFAULT_PRICES, Pricing, country_of, credit_answer, simplest_price
from tests.fakes.wallet_provider import WalletProvider


@pytest.mark.parametrize("number, country", [
    ("+33612345678", "FR"), ("+32470123456", "BE"), ("+262692123456", "RE"), ("+596696123456", "MQ"),
    (None, "FR"), ("not a number", "FR"),
])
def test_the_country_of_a_number_is_its_operators(number, country):
    assert country_of(number, "FR") == country


@pytest.mark.parametrize("amount, count, price", [(100, 2222, 0.045), (100, 1265, 0.079), (1, 22, 0.045),
                                                  (12.54, 204, 0.0614)])
def test_the_price_is_the_shortest_tariff_both_wallet_answers_allow(amount, count, price):
    assert simplest_price(amount, count) == price
    assert int(amount / price + 1e-9) == count


def test_a_french_and_a_belgian_number_cost_their_own_price_per_sms_part():
    provider = WalletProvider()
    pricing = Pricing(provider, "FR")
    assert pricing.cost("+33612345678", 1) == 0.045
    assert pricing.cost("+32470123456", 2) == 0.158
    assert pricing.of_number("+32470123456").source == "provider"
    assert provider.reads == ["euros", "FR", "BE"]          # the euros once, then each country once
    pricing.cost("+32470999999", 1)
    assert provider.reads == ["euros", "FR", "BE"]


def test_an_empty_wallet_or_a_provider_without_one_falls_back_to_the_shipped_table():
    empty = Pricing(WalletProvider(euros=0.0), "FR")
    assert (empty.price("BE").amount, empty.price("BE").source) == (DEFAULT_PRICES["BE"], "default")

    class NoWallet:
        """smsmode's shape: no balance at all (its capabilities say so)."""
        name, label = "smsmode", "smsmode"
        capabilities = smsmode_capabilities()

    pricing = Pricing(NoWallet(), "FR")
    assert pricing.price("XK").amount == 0.12
    with pytest.raises(Unsupported, match="smsmode tells no credit balance"):
        pricing.credit()


def test_the_credit_in_money_and_in_sms_to_a_country():
    credit = Pricing(WalletProvider(euros=10.0), "FR").credit("BE")
    assert credit.shown() == {"amount": 10.0, "currency": "EUR", "sms": 126, "country": "BE",
                              "product": "sms_premium"}


def test_the_credit_answer_lists_the_default_country_first_then_those_asked():
    answer = credit_answer(Pricing(WalletProvider(euros=10.0), "FR"), ["be", "FR"], None)
    assert (answer["amount"], answer["currency"], answer["sms"], answer["country"]) == (10.0, "EUR", 222, "FR")
    assert list(answer["countries"]) == ["FR", "BE"]
    assert answer["countries"]["BE"] == {"sms": 126, "price": 0.079, "price_source": "provider"}
    assert answer["low_credit"] is False and answer["warnings"] == []


def test_previews_and_sends_share_what_was_read_for_a_few_minutes_and_a_fresh_pricing_reads_again():
    from connector.pricing import forget_recent_pricing, recent_pricing

    forget_recent_pricing()
    provider = WalletProvider()
    for _ in range(3):                                      # three previews typed one after the other
        assert recent_pricing(provider, "FR").credit("FR").sms == Pricing(WalletProvider(), "FR").credit("FR").sms
    assert provider.reads == ["euros", "FR"]                # one wallet read for all three
    Pricing(provider, "FR").credit("FR")                    # prepare, /api/credit, the timer: afresh
    assert provider.reads == ["euros", "FR", "euros", "FR"]
    forget_recent_pricing()

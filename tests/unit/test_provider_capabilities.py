"""What each provider can do (connector.sms.capabilities), as the services read it."""
import pytest

from connector.sms import acs, smsmode
from connector.sms.capabilities import MARKETING, TRANSACTIONAL, Capabilities, SenderKind, sender_kind
from connector.sms.octopush import CAPABILITIES as OCTOPUSH
from connector.user_texts import say


@pytest.mark.parametrize("sender, kind", [(None, None), ("", None), ("MyShop", SenderKind.ALPHANUMERIC),
                                          ("+18005550100", SenderKind.NUMBER), ("36111", SenderKind.NUMBER)])
def test_a_sender_is_a_name_or_a_number(sender, kind):
    assert sender_kind(sender) is kind


def test_the_three_providers_differ_where_the_references_say():
    smsmode_caps, acs_caps = smsmode.capabilities(), acs.capabilities()
    assert [c.recipients_per_request for c in (OCTOPUSH, smsmode_caps, acs_caps)] == [500, 1, 100]
    assert [c.placeholders for c in (OCTOPUSH, smsmode_caps, acs_caps)] == [True, False, False]
    assert [c.idempotent_requests for c in (OCTOPUSH, smsmode_caps, acs_caps)] == [True, False, False]
    assert [c.cancel for c in (OCTOPUSH, smsmode_caps, acs_caps)] == [True, False, False]
    assert [c.balance for c in (OCTOPUSH, smsmode_caps, acs_caps)] == [True, False, False]
    assert smsmode.capabilities(stop_mention=True).stop_mention and not OCTOPUSH.stop_mention


def test_octopush_and_smsmode_refuse_nothing_acs_refuses_french_marketing_from_a_name():
    for caps in (OCTOPUSH, smsmode.capabilities()):
        assert caps.refusal(MARKETING, "+33612345678", "MyShop") is None
    refusal = acs.capabilities().refusal(MARKETING, "+33612345678", "MyShop")
    assert refusal is not None
    text = say("fr", refusal.key, provider="Azure Communication Services", **refusal.values)
    assert text.startswith("Azure Communication Services n'envoie pas de SMS marketing vers un numéro français")
    assert "« MyShop »" in text
    assert "from an alphanumeric sender" in say("en", refusal.key, provider="ACS", **refusal.values)


def test_countries_purposes_and_names_refused_where_a_provider_says_so():
    caps = Capabilities(recipients_per_request=1, placeholders=False, scheduling=False, cancel=False, replies=False,
                        stop_mention=False, alphanumeric_sender=False, balance=False, sms_per_country=False,
                        idempotent_requests=False, purposes=frozenset({TRANSACTIONAL}),
                        countries=frozenset({"FR", "BE"}))
    assert caps.refusal(MARKETING, "+33612345678", None).key == "provider_purpose_refused"
    assert caps.refusal(TRANSACTIONAL, "+33612345678", "Shop").key == "provider_alphanumeric_refused"
    assert caps.refusal(TRANSACTIONAL, "+4915112345678", None).values == {"country": "DE"}
    assert caps.refusal(TRANSACTIONAL, "+32470123456", "36111") is None


@pytest.mark.parametrize("number, country", [("+33612345678", "FR"), ("+262692123456", "RE"),
                                             ("+14155550100", "US"), ("+442071838750", "GB"), ("+999", None)])
def test_a_numbers_country_with_or_without_reading_it(number, country):
    from connector.sms.capabilities import country_of

    assert country_of(number) == country       # +33: one country's code, not parsed; +262, +1, +44: parsed


def test_a_provider_without_rules_by_country_answers_the_same_for_every_number_without_reading_it(monkeypatch):
    import connector.sms.capabilities as capabilities

    monkeypatch.setattr(capabilities, "country_of", lambda number: pytest.fail("the number was read"))
    assert not OCTOPUSH.by_country and acs.capabilities().by_country
    assert OCTOPUSH.refusal(MARKETING, "+33612345678", "MyShop") is None

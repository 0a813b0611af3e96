"""The send policy shared by the unit send, the preview, workflow sends and the campaign checks."""
from datetime import UTC, datetime

import pytest

from connector.configuration import ChannelPreferences, Configuration
from connector.send_policy import (
    CAMPAIGN_MAX_LENGTH,
    PROVIDER_MAX_LENGTH,
    SmsRejected,
    apply_stop_rule,
    check_sender,
    check_text,
    choose_sender,
    choose_type,
    compose,
    phone_number,
    quiet_times_end,
    refuse_opted_out,
    stop_missing,
    with_stop_mention,
)
from connector.sms.port import SmsType
from tests.fakes.optouts import FakeOptOuts

PREFS = ChannelPreferences(allow_type_choice=True, default_type=SmsType.TRANSACTIONAL,
                           allow_sender_choice=True, default_sender="SMSC")
LOCKED = ChannelPreferences(allow_type_choice=False, default_type=SmsType.TRANSACTIONAL,
                            allow_sender_choice=False, default_sender="ACME")


def test_defaults_apply_and_number_is_normalised():
    sms = compose("Bonjour", config=Configuration(), prefs=PREFS, raw_number="06 49 81 90 06")
    assert (sms.phone_number, sms.sms_type, sms.sender) == ("+33649819006", SmsType.TRANSACTIONAL, "SMSC")
    assert sms.stats.encoding == "GSM-7" and sms.stats.segments == 1 and sms.warnings == []


def test_choices_are_ignored_when_the_configuration_does_not_allow_them():
    sms = compose("Bonjour STOP au 30101", config=Configuration(), prefs=LOCKED, raw_number="+33649819006",
                  requested_type=1, requested_sender="Other")
    assert (sms.sms_type, sms.sender) == (SmsType.TRANSACTIONAL, "ACME")


def test_marketing_to_france_without_stop_is_refused_or_completed():
    with pytest.raises(SmsRejected, match="STOP au 30101"):
        compose("Promo -20%", config=Configuration(), prefs=PREFS, raw_number="+33649819006", requested_type=1)
    appended = compose("Promo -20%", config=Configuration(append_stop=True), prefs=PREFS,
                       raw_number="+33649819006", requested_type=1)
    assert appended.text.endswith("STOP au 30101")


def test_marketing_abroad_needs_no_stop():
    sms = compose("Promo", config=Configuration(), prefs=PREFS, raw_number="+447911123456", requested_type=1)
    assert sms.text == "Promo"


@pytest.mark.parametrize("text, number, sender, words", [
    ("Bonjour", None, None, "no mobile number"),
    ("Bonjour", "12345", None, "12345"),
    ("Bonjour", "+33 1 44 55 66 77", None, "not a mobile"),
    ("   ", "+33649819006", None, "empty"),
    ("x" * 1225, "+33649819006", None, "limit is 1224"),
    ("Bonjour", "+33649819006", "AB", "3"),
    ("Bonjour", "+33649819006", "Sender With Space", "Sender With Space"),
])
def test_refusals_name_the_problem(text, number, sender, words):
    with pytest.raises(SmsRejected, match=words):
        compose(text, config=Configuration(), prefs=PREFS, raw_number=number, requested_sender=sender)


def test_unicode_and_long_texts_warn():
    sms = compose("Ça coûte " + "x" * 80, config=Configuration(), prefs=PREFS, raw_number="+33649819006")
    assert sms.stats.encoding == "UCS-2" and sms.stats.segments == 2
    assert any("û" in w for w in sms.warnings) and any("2 SMS" in w for w in sms.warnings)


# -- the rules one by one, as every path uses them ------------------------------------------------------
MARKETING, TRANSACTIONAL = SmsType.MARKETING, SmsType.TRANSACTIONAL


def test_the_length_limit_is_the_callers():
    check_text("x" * PROVIDER_MAX_LENGTH, PROVIDER_MAX_LENGTH)
    with pytest.raises(SmsRejected) as refused:
        check_text("x" * (CAMPAIGN_MAX_LENGTH + 1), CAMPAIGN_MAX_LENGTH)
    assert (refused.value.key, refused.value.values) == ("too_long", {"length": 490, "limit": 489})
    with pytest.raises(SmsRejected, match="limit is 489"):
        compose("x" * 490, config=Configuration(), prefs=PREFS, raw_number="+33649819006",
                max_length=CAMPAIGN_MAX_LENGTH)
    with pytest.raises(SmsRejected, match="empty"):
        check_text("", 10)


def test_the_type_is_the_users_only_where_allowed():
    assert choose_type(1, PREFS) == MARKETING and choose_type(None, PREFS) == TRANSACTIONAL
    assert choose_type(1, LOCKED) == TRANSACTIONAL


def test_the_sender_is_checked_and_its_problem_named():
    assert choose_sender(" Promo ", PREFS) == "Promo" and choose_sender(None, PREFS) == "SMSC"
    assert choose_sender("Other", LOCKED) == "ACME"
    assert choose_sender(None, PREFS.model_copy(update={"default_sender": None})) is None
    with pytest.raises(SmsRejected) as refused:
        check_sender("12345")
    assert refused.value.key == "bad_sender" and "at least one letter" in str(refused.value.values["error"])
    assert "Émetteur « 12345 » invalide" in refused.value.say("fr")


@pytest.mark.parametrize("raw, expected", [
    ("06 49 81 90 06", "+33649819006"), ("0033649819006", "+33649819006"), (" +33 6 49 81 90 06 ", "+33649819006"),
    ("+262 692 12 34 56", "+262692123456"), ("+447911123456", "+447911123456"),
])
def test_numbers_are_normalised_to_e164_in_the_default_country(raw, expected):
    assert phone_number(raw, Configuration()) == expected


@pytest.mark.parametrize("raw, key", [(None, "no_number"), ("  ", "no_number"), ("06 49", "invalid_number"),
                                      ("+33 1 44 55 66 77", "invalid_number"), ("call me", "invalid_number")])
def test_a_missing_or_unusable_number_is_refused(raw, key):
    with pytest.raises(SmsRejected) as refused:
        phone_number(raw, Configuration())
    assert refused.value.key == key
    if key == "invalid_number":
        assert refused.value.values["raw"] == raw.strip()


def test_another_default_country_reads_national_numbers_as_its_own():
    assert phone_number("07911 123456", Configuration(default_country="GB")) == "+447911123456"


def test_the_stop_mention_is_required_for_marketing_to_french_numbers_only():
    config = Configuration()
    assert stop_missing("Promo", MARKETING, "+33649819006", config)
    assert stop_missing("Promo", MARKETING, "+262692123456", config)           # Réunion is France
    assert not stop_missing("Promo STOP au 30101", MARKETING, "+33649819006", config)
    assert not stop_missing("Promo", TRANSACTIONAL, "+33649819006", config)
    assert not stop_missing("Promo", MARKETING, "+447911123456", config)
    assert not stop_missing("Promo", MARKETING, None, config)


def test_only_the_configured_mention_counts():
    assert stop_missing("Promo STOP au 36180", MARKETING, "+33649819006", Configuration())
    assert not stop_missing("Promo .STOP 36608", MARKETING, "+33649819006", Configuration(stop_text=".STOP 36608"))


def test_the_mention_is_appended_after_a_space_when_configured():
    config = Configuration(append_stop=True, stop_on_new_line=False)
    assert apply_stop_rule("Promo", MARKETING, "+33649819006", config) == "Promo STOP au 30101"


def test_overseas_numbers_typed_nationally_get_their_own_country_code():
    assert phone_number("06 92 12 34 56", Configuration()) == "+262692123456"
    assert phone_number("011 44 7911 123456", Configuration(international_prefix="011")) == "+447911123456"


def test_the_stop_mention_is_appended_only_when_configured_and_required():
    appending = Configuration(append_stop=True)
    assert with_stop_mention("Promo", MARKETING, "+33649819006", appending) == "Promo\nSTOP au 30101"
    assert with_stop_mention("Promo STOP au 30101", MARKETING, "+33649819006", appending) == "Promo STOP au 30101"
    assert with_stop_mention("Promo", MARKETING, "+33649819006", Configuration()) == "Promo"
    assert with_stop_mention("Promo", TRANSACTIONAL, "+33649819006", appending) == "Promo"
    assert with_stop_mention("Promo", MARKETING, "", appending) == "Promo"


def test_the_unit_stop_rule_appends_or_refuses_naming_the_configured_mention():
    appending = Configuration(append_stop=True, stop_text="STOP au 36111")
    assert apply_stop_rule("Promo", MARKETING, "+33649819006", appending) == "Promo\nSTOP au 36111"
    with pytest.raises(SmsRejected, match="STOP au 36111"):
        apply_stop_rule("Promo", MARKETING, "+33649819006", Configuration(stop_text="STOP au 36111"))
    assert apply_stop_rule("Promo", MARKETING, None, Configuration()) == "Promo"      # preview without a number


def test_opted_out_numbers_are_refused_when_the_configuration_excludes_them():
    optouts = FakeOptOuts({"+33649819006"})
    with pytest.raises(SmsRejected, match=r"\+33649819006 has opted out"):
        refuse_opted_out("+33649819006", Configuration(), optouts)
    refuse_opted_out("+33611111111", Configuration(), optouts)
    refuse_opted_out("+33649819006", Configuration(exclude_optouts=False), optouts)


def test_marketing_sms_wait_for_the_end_of_the_quiet_hours_transactional_do_not():
    night = datetime(2026, 11, 23, 21, 30, tzinfo=UTC)
    config = Configuration(quiet_hours=(20, 8))
    assert quiet_times_end(night, MARKETING, "+33649819006", config).isoformat() == "2026-11-24T08:00:00+01:00"
    assert quiet_times_end(night, TRANSACTIONAL, "+33649819006", config) is None
    assert quiet_times_end(night, MARKETING, "+33649819006", Configuration()) is None


def test_the_first_rule_broken_is_named_sender_first():
    with pytest.raises(SmsRejected) as refused:
        compose("", config=Configuration(), prefs=PREFS, raw_number=None, requested_sender="A")
    assert refused.value.key == "bad_sender"


def test_a_number_is_optional_where_the_caller_says_so():
    sms = compose("Bonjour", config=Configuration(), prefs=PREFS, raw_number=None, number_required=False)
    assert sms.phone_number is None and sms.text == "Bonjour"


def test_the_cheaper_text_option_replaces_costly_characters_and_says_so():
    text = "Votre commande n° 123 est prête ! Merci ’"
    sms = compose(text, config=Configuration(cheaper_text=True), prefs=PREFS, raw_number="0649819006")
    assert sms.text == "Votre commande no 123 est prete ! Merci '" and sms.stats.encoding == "GSM-7"
    assert sms.warnings[0].startswith("Cheaper text: '°' → 'o', 'ê' → 'e', '’' → \"'\"")
    unchanged = compose(text, config=Configuration(), prefs=PREFS, raw_number="0649819006")
    assert unchanged.text == text and unchanged.stats.encoding == "UCS-2"


@pytest.mark.parametrize("configured, requested, encoding", [
    (False, True, "GSM-7"), (True, False, "UCS-2"), (True, None, "GSM-7"), (False, None, "UCS-2")])
def test_the_sends_own_cheaper_choice_wins_over_the_configuration(configured, requested, encoding):
    text = "« Votre commande est prête » ’"
    sms = compose(text, config=Configuration(cheaper_text=configured), prefs=PREFS, raw_number="0649819006",
                  requested_cheaper=requested)
    assert sms.stats.encoding == encoding
    assert (sms.text == '" Votre commande est prete " \'') == (encoding == "GSM-7")


def test_the_organisations_length_budget_applies_below_the_providers_limit():
    budget = Configuration(max_text_length=149)
    assert compose("x" * 149, config=budget, prefs=PREFS, raw_number="0649819006").stats.characters == 149
    with pytest.raises(SmsRejected, match="149"):
        compose("x" * 150, config=budget, prefs=PREFS, raw_number="0649819006")

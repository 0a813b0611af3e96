"""The rules shared by the unit send and the preview: type, sender, number, STOP mention."""
import pytest

from connector.send_policy import SmsRejected, compose
from connector.configuration import ChannelPreferences, Configuration
from connector.sms.port import SmsType

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

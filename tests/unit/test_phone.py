"""Phone number normalisation to E.164."""

import pytest

from connector.text.phone import InvalidPhoneNumber, normalize


@pytest.mark.parametrize(
    "raw",
    [
        "+33649819006",
        "+33 6 49 81 90 06",
        "0033 6 49 81 90 06",
        "0033649819006",
        "06 49 81 90 06",
        "06.49.81.90.06",
        "06-49-81-90-06",
        "(06) 49 81 90 06",
        "+33 (0)6 49 81 90 06",
        "  0649819006  ",
    ],
)
def test_french_mobile_written_many_ways(raw):
    assert normalize(raw) == "+33649819006"


@pytest.mark.parametrize("e164", ["+33649819006", "+33600000001", "+33600000002"])
def test_product_guide_examples_are_valid_mobiles(e164):
    assert normalize(e164, require_mobile=True) == e164


def test_00_prefix_works_whatever_the_default_country():
    # The US international prefix is 011; "00" is still read as "+".
    assert normalize("0033 6 49 81 90 06", "US") == "+33649819006"


def test_national_number_uses_default_country():
    assert normalize("07911 123456", "GB") == "+447911123456"
    assert normalize("06 49 81 90 06", "fr") == "+33649819006"


def test_fixed_line_is_valid_but_not_a_mobile():
    assert normalize("01 23 45 67 89") == "+33123456789"
    with pytest.raises(InvalidPhoneNumber, match="not a mobile number") as caught:
        normalize("01 23 45 67 89", require_mobile=True)
    assert "'01 23 45 67 89'" in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("abc", "contains letters"),
        ("0649819006 ext 12", "contains letters"),
        ("+", "not a phone number"),
        ("06 49", "too short"),
        ("+33 6 49 81 90 06 99", "too long"),
        ("+33 7 00 00 00 00", "not a valid number for FR"),
        ("+999 123", "unknown country code"),
    ],
)
def test_invalid_numbers_name_value_and_reason(raw, reason):
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize(raw)
    assert reason in str(caught.value)
    assert repr(raw) in str(caught.value)
    assert caught.value.raw == raw
    assert isinstance(caught.value, ValueError)


def test_unknown_default_country_is_a_configuration_error():
    with pytest.raises(ValueError, match="default country 'XX'") as caught:
        normalize("06 49 81 90 06", "XX")
    assert not isinstance(caught.value, InvalidPhoneNumber)


@pytest.mark.parametrize(("raw", "e164"), [
    ("0692 12 34 56", "+262692123456"),     # Réunion
    ("0693 12 34 56", "+262693123456"),     # Réunion
    ("0639 01 23 45", "+262639012345"),     # Mayotte
    ("0690 00 12 34", "+590690001234"),     # Guadeloupe, Saint-Martin, Saint-Barthélemy
    ("0691 28 00 00", "+590691280000"),
    ("0694 20 12 34", "+594694201234"),     # Guyane
    ("0696 20 12 34", "+596696201234"),     # Martinique
    ("0697 20 12 34", "+596697201234"),
])
def test_overseas_numbers_typed_nationally_go_to_their_own_country_code(raw, e164):
    assert normalize(raw, "FR", require_mobile=True) == e164


def test_mainland_numbers_stay_french_and_other_countries_do_not_try_the_overseas_plan():
    assert normalize("06 49 81 90 06", "FR") == "+33649819006"
    with pytest.raises(InvalidPhoneNumber):
        normalize("0692 12 34 56", "BE")


@pytest.mark.parametrize(("raw", "e164"), [("447911123456", "+447911123456"), ("33 6 49 81 90 06", "+33649819006")])
def test_a_bare_country_code_is_read_when_no_national_reading_fits(raw, e164):
    assert normalize(raw, "FR") == e164


def test_a_configured_international_prefix_is_read_as_plus():
    assert normalize("011 44 7911 123456", "FR", international_prefix="011") == "+447911123456"
    assert normalize("0044 7911 123456", "FR", international_prefix="011") == "+447911123456"

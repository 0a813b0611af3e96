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

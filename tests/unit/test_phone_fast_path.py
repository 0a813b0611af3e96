"""The fast readings of a number (an E.164 mobile checked on its region's mobile pattern alone, the
region looked up once) agree with phonenumbers' full reading (parse, every number type) on random
numbers of several regions, French overseas included."""
from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from connector.text.phone import MOBILE_TYPES, OVERSEAS_REGIONS, InvalidPhoneNumber, normalize

REGIONS = ["FR", "RE", "YT", "GP", "MQ", "GF", "PM", "BL", "MF", "NC", "PF", "GB", "DE", "IT", "US", "BE",
           "CH", "ES", "CA", "JE"]
KINDS = ["mobile", "fixed_line", "premium_rate", "toll_free", "voip", "general_desc"]


def reference(text: str, region: str = "FR") -> str | None:
    """The full reading, as it was: parse, number_type, the overseas readings, a mobile type."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.UNKNOWN or phonenumbers.region_code_for_number(number) is None:
        if text.startswith("+"):
            return None
        for overseas in OVERSEAS_REGIONS.get(region, ()):
            other = phonenumbers.parse(text, overseas)
            if phonenumbers.number_type(other) != PhoneNumberType.UNKNOWN \
                    and phonenumbers.region_code_for_number(other) is not None:
                number, kind = other, phonenumbers.number_type(other)
                break
        else:
            return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if kind in MOBILE_TYPES else None


def ours(text: str) -> str | None:
    try:
        return normalize(text, "FR", require_mobile=True)
    except InvalidPhoneNumber:
        return None


@st.composite
def numbers(draw) -> tuple[str, str]:
    """(region, national significant number) drawn from one of the region's number patterns."""
    region = draw(st.sampled_from(REGIONS))
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    descs = [getattr(metadata, kind) for kind in KINDS]
    patterns = [d.national_number_pattern for d in descs if d is not None and d.national_number_pattern]
    national = draw(st.from_regex(f"(?:{draw(st.sampled_from(patterns))})", fullmatch=True, alphabet="0123456789"))
    return region, national


@settings(max_examples=600, deadline=None)
@given(numbers())
def test_international_numbers_read_as_the_full_reading_does(drawn):
    region, national = drawn
    text = f"+{phonenumbers.country_code_for_region(region)}{national}"
    assert ours(text) == reference(text)


@settings(max_examples=300, deadline=None)
@given(numbers())
def test_national_numbers_read_as_the_full_reading_does(drawn):
    region, national = drawn
    if region not in ("FR", *OVERSEAS_REGIONS["FR"]):
        return
    text = "0" + national
    assert ours(text) == reference(text)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\+[0-9]{6,17}", fullmatch=True))
def test_any_plus_digits_read_as_the_full_reading_does(text):
    assert ours(text) == reference(text)


def test_a_repeated_number_is_read_once():
    normalize.cache_clear()
    for _ in range(3):
        assert normalize("+33 6 49 81 90 06", "FR", require_mobile=True) == "+33649819006"
    assert normalize.cache_info().hits == 2


@settings(max_examples=300, deadline=None)
@given(numbers())
def test_a_calling_code_of_one_region_names_the_country_phonenumbers_reads(drawn):
    from connector.pricing import country_of
    from connector.sms.countries import single_region_code

    region, national = drawn
    number = f"+{phonenumbers.country_code_for_region(region)}{national}"
    code = single_region_code(number)
    if code is not None:
        assert country_of(number) == phonenumbers.COUNTRY_CODE_TO_REGION_CODE[code][0]
    assert (code is None) == (len(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[
        phonenumbers.country_code_for_region(region)]) > 1)
